import {
  chainHash,
  chainKeyOf,
  checkpointText,
  CHECKPOINT_HMAC_PURPOSE,
  ChainWalker,
  GENESIS_HASH,
  type ChainBreak,
  type ChainResult,
  type ChainRow,
  type ChainStart,
} from '../core/audit-chain.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { StoredCheckpoint } from '../ports/audit-chain-store.ts';
import type { Store } from '../ports/store.ts';
import { appendAudit, type RequestContext } from './request-context.ts';

export interface AuditChainDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly clock: Clock;
  /** Rows per page of a walk (default 500): memory stays bounded whatever the chain's length. */
  readonly pageSize?: number;
}

export interface ChainVerification {
  /** The tenant id, or `''` for events of no tenant. */
  readonly chain: string;
  readonly result: ChainResult;
  /** Where the walk started: a purge's checkpoint, or none (the genesis). */
  readonly checkpoint: StoredCheckpoint | null;
  readonly verifiedAt: number;
  /**
   * Events without chain columns written before the chain existed (by a release older than the
   * chain, core `unchainedKind`): counted, not a break.
   */
  readonly legacy: number;
}

/** What the console shows about a tenant's chain. */
export interface ChainStatus {
  /** The newest event's place and hash (the final hash an export carries). */
  readonly seq: number;
  readonly hash: string;
  readonly verifiedAt: number | null;
  readonly verifiedSeq: number | null;
  readonly broken: ChainBreak | null;
}

/**
 * The audit log's hash chains (core/audit-chain.ts): `verify` walks each chain in pages from its
 * newest signed checkpoint (or the genesis), names the first broken event, and keeps the verdict
 * and time on the chain's head (an `audit.verified` event records who checked); `purgeBefore`
 * removes events older than the audit retention from the start of each chain, after checking
 * them, and leaves a checkpoint signed with an HMAC from the keyring (purpose
 * `audit-checkpoint`), so what is left stays checkable.
 */
export class AuditChainService {
  constructor(private readonly d: AuditChainDeps) {}

  /** Every chain (no tenant: all of them), or one tenant's; each verdict is recorded. */
  async verify(tenantId: string | null | undefined, actor: string, rc: RequestContext): Promise<ChainVerification[]> {
    const chains = tenantId === undefined ? await this.d.store.auditChain.chains() : [chainKeyOf(tenantId)];
    const out: ChainVerification[] = [];
    for (const chain of chains) out.push(await this.verifyChain(chain, actor, rc));
    return out;
  }

  /** Walks one chain; records the verdict on its head and as an `audit.verified` event in it. */
  async verifyChain(chain: string, actor: string, rc: RequestContext): Promise<ChainVerification> {
    const repo = this.d.store.auditChain;
    const pageSize = Math.max(2, Math.floor(this.d.pageSize ?? 500));
    const checkpoint = await repo.latestCheckpoint(chain);
    const start: ChainStart = checkpoint
      ? { seq: checkpoint.seq, hash: checkpoint.hash }
      : { seq: 0, hash: GENESIS_HASH };
    const walker = new ChainWalker(start);
    if (checkpoint && !this.d.keyring.matches(CHECKPOINT_HMAC_PURPOSE, checkpointText(checkpoint), checkpoint.mac)) {
      walker.fail({
        kind: 'checkpoint',
        reason: 'signature',
        eventId: null,
        seq: checkpoint.seq,
        at: checkpoint.at,
        type: null,
      });
    }
    let cursor: { seq: number; id: number } | null = null;
    let head = null;
    while (!walker.broken) {
      const page: ChainRow[] = await repo.page(chain, cursor, pageSize);
      if (page.length > 0) {
        walker.push(page);
        const last = page[page.length - 1]!;
        cursor = { seq: last.seq!, id: last.id };
      }
      if (page.length === pageSize) continue;
      // the end for now: the head tells whether the newest events are there; an append that
      // committed meanwhile moved it on, and the next page brings that event
      head = await repo.head(chain);
      if (!head || head.seq <= (cursor?.seq ?? start.seq)) break;
      const more = await repo.page(chain, cursor, 1);
      if (more.length === 0) break;
    }
    // rows without chain columns: legacy ones (written before the chain existed) are counted,
    // one written after the chain began is an insertion
    const unchained = walker.broken ? null : await repo.unchained(chain);
    const inserted = unchained?.firstInserted;
    if (inserted) {
      walker.fail({
        kind: 'inserted',
        reason: 'not_chained',
        eventId: inserted.id,
        seq: null,
        at: inserted.event.at,
        type: inserted.event.type,
      });
    }
    const legacy = unchained?.legacy ?? 0;
    const result = walker.finish(head ? { seq: head.seq, hash: head.hash } : null);
    const verifiedAt = this.d.clock.now();
    await this.d.store.transaction(async (tx) => {
      await tx.auditChain.recordVerification(chain, verifiedAt, result.lastSeq, result.broken);
      await appendAudit(tx, {
        at: verifiedAt,
        tenantId: chain === '' ? null : chain,
        accountId: null,
        actor,
        type: 'audit.verified',
        outcome: result.ok ? 'ok' : 'broken',
        rc,
        details: {
          checked: result.checked,
          last_seq: result.lastSeq,
          kind: result.broken?.kind ?? null,
          reason: result.broken?.reason ?? null,
          event_id: result.broken?.eventId ?? null,
          legacy,
        },
      });
    });
    return { chain, result, checkpoint, verifiedAt, legacy };
  }

  /** The tenant's chain as the console shows it; null before its first event. */
  async status(tenantId: string): Promise<ChainStatus | null> {
    const head = await this.d.store.auditChain.head(chainKeyOf(tenantId));
    if (!head) return null;
    return {
      seq: head.seq,
      hash: head.hash,
      verifiedAt: head.verifiedAt,
      verifiedSeq: head.verifiedSeq,
      broken: head.verifyBreak,
    };
  }

  /**
   * Removes, from the start of every chain, the events older than `before` (a prefix: it stops at
   * the first newer one), `batchSize` at a time. Each batch is checked first (links and hashes
   * from the current start); a batch that does not check out is left for `sspr audit verify` to
   * name, and that chain is not purged. Each removal stores a signed checkpoint in the same
   * transaction. Returns how many events went.
   */
  async purgeBefore(before: number, batchSize = 500, maxBatches = 200): Promise<number> {
    const repo = this.d.store.auditChain;
    const size = Math.max(1, Math.floor(batchSize));
    let removed = 0;
    for (const chain of await repo.chains()) {
      for (let i = 0; i < maxBatches; i++) {
        const checkpoint = await repo.latestCheckpoint(chain);
        let prev: ChainStart = checkpoint
          ? { seq: checkpoint.seq, hash: checkpoint.hash }
          : { seq: 0, hash: GENESIS_HASH };
        const rows = await repo.page(chain, null, size);
        let count = 0;
        for (const r of rows) {
          if (r.event.at >= before) break;
          const intact = r.seq === prev.seq + 1 && r.prevHash === prev.hash && r.hash === chainHash(prev.hash, r.event);
          if (!intact) break;
          prev = { seq: r.seq, hash: r.hash };
          count++;
        }
        if (count === 0) break;
        const at = this.d.clock.now();
        const cp = { chain, seq: prev.seq, hash: prev.hash, removed: count, at };
        const mac = this.d.keyring.hmac(CHECKPOINT_HMAC_PURPOSE, checkpointText(cp));
        removed += await this.d.store.transaction(async (tx) => {
          const n = await tx.auditChain.removeThrough({ ...cp, mac });
          await appendAudit(tx, {
            at,
            tenantId: chain === '' ? null : chain,
            accountId: null,
            actor: 'system',
            type: 'audit.purged',
            outcome: 'ok',
            rc: null,
            details: { removed: count, through_seq: prev.seq, before },
          });
          return n;
        });
        if (count < size) break;
      }
    }
    return removed;
  }
}
