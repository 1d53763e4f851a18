import { createHash } from 'node:crypto';

/**
 * The tamper-evident audit log: each tenant's events form a hash chain (events without a tenant
 * form their own, key `''`). An event carries its place (`seq`, 1, 2, …), the hash of the event
 * before it (`prevHash`; the first event of a chain links to `GENESIS_HASH`, or to the hash of the
 * last event a retention purge removed, kept in a signed checkpoint) and its own hash:
 *
 *   hash = SHA-256( prevHash ‖ canonicalEvent(event) )   (hex; prevHash as its 64 hex characters)
 *
 * The canonical encoding is JSON with a fixed set of fields, keys sorted at every level, UTF-8.
 * `seq` and the row id are NOT hashed: the link to the previous hash already fixes an event's
 * place, and leaving the numbers out is what lets a verification tell a reordering or a deletion
 * (the numbers and the links disagree) from an edit (the content and its hash disagree).
 *
 * Pure: no I/O; SHA-256 is computation.
 */

export const GENESIS_HASH = '0'.repeat(64);

/** The key of a tenant's chain: its id, or `''` for events of no tenant. */
export function chainKeyOf(tenantId: string | null): string {
  return tenantId ?? '';
}

export type AuditDetailValue = string | number | boolean | null;

/** The fields of an event the hash covers, as the store keeps them. */
export interface ChainedEvent {
  readonly at: number;
  readonly tenantId: string | null;
  readonly accountId: string | null;
  readonly actor: string;
  readonly type: string;
  readonly outcome: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly details: Readonly<Record<string, AuditDetailValue>>;
}

/** Version of the canonical encoding, hashed with every event. */
export const CANONICAL_VERSION = 1;

/** A value as canonical JSON: object keys sorted (code-unit order) at every level. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The canonical encoding of an event: always these fields (absent ones as null), keys sorted.
 * Details go through a JSON round trip first, so the hash of what is appended equals the hash of
 * what is read back (undefined values dropped, -0 as 0).
 */
export function canonicalEvent(e: ChainedEvent): string {
  return canonicalJson({
    v: CANONICAL_VERSION,
    at: e.at,
    tenant_id: e.tenantId,
    account_id: e.accountId,
    actor: e.actor,
    type: e.type,
    outcome: e.outcome,
    ip: e.ip,
    user_agent: e.userAgent,
    details: JSON.parse(JSON.stringify(e.details ?? {})) as unknown,
  });
}

/** SHA-256 over the previous hash (64 hex characters) followed by the canonical event, as hex. */
export function chainHash(prevHash: string, e: ChainedEvent): string {
  return createHash('sha256').update(prevHash, 'utf8').update(canonicalEvent(e), 'utf8').digest('hex');
}

/** A stored event as a verification reads it: chain columns may be missing (a row written around sspr). */
export interface ChainRow {
  readonly id: number;
  readonly seq: number | null;
  readonly prevHash: string | null;
  readonly hash: string | null;
  readonly event: ChainedEvent;
}

/** Where a chain starts: the genesis, or a purge's checkpoint (the last removed event). */
export interface ChainStart {
  readonly seq: number;
  readonly hash: string;
}

/** What the store says the chain's newest event is (kept in the same transaction as each append). */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export type ChainBreakKind = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'checkpoint';

/**
 * Why the chain broke there, one reason per way of telling:
 * - `content_changed` (edited): the event links to the one before, but its fields no longer give its hash;
 * - `hash_rewritten` (edited): the event's hash matches its fields, but the next event (or the
 *   chain head) recorded another hash for it: it was changed and its hash recomputed;
 * - `seq_changed` (edited): content and link intact, only its place number differs;
 * - `gap` (deleted): events are missing before this one (its number jumps, its link points to an event that is gone);
 * - `tail_missing` (deleted): the newest events are gone (the chain head is further on);
 * - `not_chained` (inserted): a row without a place, link or hash — not written by sspr's append;
 * - `not_linked` (inserted): the chain skips this event (the next one links to the event before it);
 * - `fork` (inserted): two events claim the same predecessor and the chain continues from the other;
 * - `behind_checkpoint` (inserted): a row numbered inside the range a purge removed;
 * - `beyond_head` (inserted): events after the newest one the chain head knows;
 * - `out_of_order` (reordered): the event comes before the event it links to;
 * - `signature` (checkpoint): a purge checkpoint whose signature does not verify.
 */
export type ChainBreakReason =
  | 'content_changed'
  | 'hash_rewritten'
  | 'seq_changed'
  | 'gap'
  | 'tail_missing'
  | 'not_chained'
  | 'not_linked'
  | 'fork'
  | 'behind_checkpoint'
  | 'beyond_head'
  | 'out_of_order'
  | 'signature';

export interface ChainBreak {
  readonly kind: ChainBreakKind;
  readonly reason: ChainBreakReason;
  /** The event named (null when none is left to name, e.g. a missing head or a bad checkpoint). */
  readonly eventId: number | null;
  readonly seq: number | null;
  readonly at: number | null;
  readonly type: string | null;
  /** Deleted: how many events are missing (from their numbers). */
  readonly missing?: number;
}

export interface ChainResult {
  readonly ok: boolean;
  /** Events checked (after the checkpoint). */
  readonly checked: number;
  /** The newest good event's place and hash (the checkpoint's or the genesis when none). */
  readonly lastSeq: number;
  readonly lastHash: string;
  readonly broken: ChainBreak | null;
}

/** How many rows past a suspicious one a verification looks at to tell the kinds apart. */
export const CHAIN_LOOKAHEAD = 64;

interface Anchor {
  readonly seq: number;
  readonly hash: string;
  /** The anchor event's own link (null for the start). */
  readonly prevHash: string | null;
  readonly row: ChainRow | null;
}

function selfHashOk(r: ChainRow): boolean {
  return r.prevHash !== null && r.hash !== null && chainHash(r.prevHash, r.event) === r.hash;
}

function named(kind: ChainBreakKind, reason: ChainBreakReason, r: ChainRow | null, missing?: number): ChainBreak {
  return {
    kind,
    reason,
    eventId: r?.id ?? null,
    seq: r?.seq ?? null,
    at: r?.event.at ?? null,
    type: r?.event.type ?? null,
    ...(missing !== undefined ? { missing } : {}),
  };
}

/**
 * What broke at `r`, the first row that does not continue the chain from `anchor`; `ahead` are
 * the rows after it (up to CHAIN_LOOKAHEAD), in the walk's order (place, then id).
 */
export function classifyBreak(
  anchor: ChainStart & { prevHash?: string | null; row?: ChainRow | null },
  r: ChainRow,
  ahead: readonly ChainRow[],
): ChainBreak {
  const a: Anchor = { seq: anchor.seq, hash: anchor.hash, prevHash: anchor.prevHash ?? null, row: anchor.row ?? null };
  if (r.seq === null || r.prevHash === null || r.hash === null) return named('inserted', 'not_chained', r);
  const self = selfHashOk(r);
  if (r.prevHash === a.hash) {
    return self ? named('edited', 'seq_changed', r) : named('edited', 'content_changed', r);
  }
  // the link is broken
  if (a.row !== null && a.prevHash !== null && r.prevHash === a.prevHash) {
    // two events claim the same predecessor: the one the chain goes on from is the real one
    const next = ahead[0];
    return next && next.prevHash === r.hash ? named('inserted', 'fork', a.row) : named('inserted', 'fork', r);
  }
  if (r.seq <= a.seq) return named('inserted', a.row === null && a.seq > 0 ? 'behind_checkpoint' : 'fork', r);
  const successor = ahead.findIndex((n) => n.prevHash === a.hash);
  if (successor >= 0) {
    const linksAhead = ahead.some((n) => n.hash !== null && n.hash === r.prevHash);
    return linksAhead ? named('reordered', 'out_of_order', r) : named('inserted', 'not_linked', r);
  }
  if (!self) return named('edited', 'content_changed', r);
  if (ahead.some((n) => n.hash !== null && n.hash === r.prevHash)) return named('reordered', 'out_of_order', r);
  if (r.seq > a.seq + 1) return named('deleted', 'gap', r, r.seq - a.seq - 1);
  // numbers contiguous, r intact, but it links to another hash than the event before it has now
  return a.row === null ? named('deleted', 'gap', r) : named('edited', 'hash_rewritten', a.row);
}

/**
 * Walks one chain, fed in pages (place, then id, ascending), with bounded memory: it keeps the
 * newest good event and at most a page plus CHAIN_LOOKAHEAD rows. Stops at the first break.
 */
export class ChainWalker {
  #anchor: Anchor;
  #pending: ChainRow[] = [];
  #checked = 0;
  #broken: ChainBreak | null = null;
  /** The last accepted rows (place → row), to name the first one beyond the head. */
  #recent: ChainRow[] = [];

  constructor(start: ChainStart) {
    this.#anchor = { seq: start.seq, hash: start.hash, prevHash: null, row: null };
  }

  get broken(): ChainBreak | null {
    return this.#broken;
  }

  /** The newest good event's place (where the next page starts after). */
  get lastSeq(): number {
    return this.#anchor.seq;
  }

  /** Adds the next rows of the walk; processes what it can. */
  push(rows: readonly ChainRow[]): void {
    if (this.#broken) return;
    this.#pending.push(...rows);
    this.#process(false);
  }

  /** No more rows: decides what is pending, then compares the end with the chain head. */
  finish(head: ChainHead | null): ChainResult {
    this.#process(true);
    if (!this.#broken) this.#broken = this.#tail(head);
    return {
      ok: this.#broken === null,
      checked: this.#checked,
      lastSeq: this.#anchor.seq,
      lastHash: this.#anchor.hash,
      broken: this.#broken,
    };
  }

  /** Marks a break found outside the walk (a bad checkpoint, a row with no place). */
  fail(b: ChainBreak): void {
    this.#broken ??= b;
  }

  #process(ended: boolean): void {
    while (!this.#broken && this.#pending.length > 0) {
      const r = this.#pending[0]!;
      const a = this.#anchor;
      if (r.seq === a.seq + 1 && r.prevHash === a.hash && selfHashOk(r)) {
        this.#anchor = { seq: r.seq, hash: r.hash!, prevHash: r.prevHash, row: r };
        this.#checked++;
        this.#recent.push(r);
        if (this.#recent.length > 256) this.#recent.shift();
        this.#pending.shift();
        continue;
      }
      if (!ended && this.#pending.length <= CHAIN_LOOKAHEAD) return; // wait for rows to look ahead
      this.#broken = classifyBreak(a, r, this.#pending.slice(1, 1 + CHAIN_LOOKAHEAD));
    }
  }

  #tail(head: ChainHead | null): ChainBreak | null {
    const a = this.#anchor;
    if (head === null) return a.row === null ? null : named('deleted', 'tail_missing', a.row);
    if (head.seq > a.seq) return named('deleted', 'tail_missing', a.row, head.seq - a.seq);
    if (head.seq === a.seq) return head.hash === a.hash ? null : named('edited', 'hash_rewritten', a.row);
    const first = this.#recent.find((r) => r.seq === head.seq + 1) ?? a.row;
    return named('inserted', 'beyond_head', first);
  }
}

/**
 * Rows without a place, link or hash, told apart by when they were written (issue 13's edges):
 * one written before its chain existed — by a release older than the chain (migration 0020), for
 * a chain whose first chained event came later — is `legacy`: counted and reported, not a break;
 * one written after the chain began (a higher row id than the chain's first chained event still
 * there) is `inserted` (`not_chained`). Row ids come from the database's own sequence, so a row
 * added later gets a higher id than every event before it. A chain with no chained event left
 * (none written yet) has only legacy rows; its head, if any, reports what went missing.
 */
export function unchainedKind(rowId: number, firstChainedId: number | null): 'legacy' | 'inserted' {
  return firstChainedId === null || rowId < firstChainedId ? 'legacy' : 'inserted';
}

/** The unchained rows of one chain, as a verification reports them. */
export interface UnchainedRows {
  /** How many rows were written before the chain existed (`unchainedKind` legacy). */
  readonly legacy: number;
  /** The oldest row without place, link or hash written after the chain began, if any. */
  readonly firstInserted: ChainRow | null;
}

/** What a purge checkpoint signs: the chain, the last removed event's place and hash, how many, when. */
export interface AuditCheckpoint {
  readonly chain: string;
  readonly seq: number;
  readonly hash: string;
  readonly removed: number;
  readonly at: number;
}

/** The text a checkpoint's HMAC is computed over (canonical JSON). */
export function checkpointText(c: AuditCheckpoint): string {
  return canonicalJson({
    v: CANONICAL_VERSION,
    chain: c.chain,
    seq: c.seq,
    hash: c.hash,
    removed: c.removed,
    at: c.at,
  });
}

/** The keyring purpose of checkpoint signatures. */
export const CHECKPOINT_HMAC_PURPOSE = 'audit-checkpoint';
