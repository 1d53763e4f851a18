import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import {
  canonicalEvent,
  chainHash,
  chainKeyOf,
  GENESIS_HASH,
  type ChainBreak,
  type ChainedEvent,
  type ChainRow,
  type UnchainedRows,
} from '../../core/audit-chain.ts';
import type {
  AuditChainHeadState,
  AuditChainRepo,
  ChainCursor,
  StoredCheckpoint,
} from '../../ports/audit-chain-store.ts';
import type { AuditEvent, AuditEventInput, AuditFilter, AuditRepo } from '../../ports/store.ts';
import { clampLimit } from './atomic.ts';
import type { AuditEventsTable, Database } from './database.ts';
import type { SqlDialect } from './migrations.ts';
import { columns, SqlTemplate, TemplateFamily } from './sql-template.ts';

/**
 * The append-only audit trail over Kysely. The first append of a transaction to a chain is two
 * statements: an upsert of the chain's head row (on PostgreSQL it waits for, then locks, the head
 * until the transaction ends; on SQLite transactions are serialized) that returns the previous
 * place and hash, and the insert of the chained event, whose trigger moves the head on
 * (audit-chain-migrations.ts). Later appends of the same transaction to that chain are the insert
 * alone. On PostgreSQL every append is one statement that returns nothing: the upsert of the head
 * is a data-modifying `WITH` in front of the insert, and the database computes the event's hash
 * from the head it read (`chainHash` in SQL: SHA-256 over the previous hash and the canonical
 * event, which is computed here); it travels with the transaction's next statement or its commit
 * (pg-write-batching.ts), so the head is not held over a trip back to the client.
 */
export class SqlAuditRepo implements AuditRepo {
  /**
   * Inside a transaction: the chains this transaction already appended to, with their newest
   * place and hash. Their heads stay locked (PostgreSQL) or unchanged by others (SQLite) until
   * the transaction ends, so a second append to the same chain skips the head's upsert: one extra
   * statement per chain and transaction, not per event.
   */
  readonly #heads = new Map<string, { seq: number; hash: string }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect = 'sqlite',
  ) {}

  async append(e: AuditEventInput): Promise<void> {
    if (this.db.isTransaction) return appendChained(this.db, this.dialect, e, this.#heads);
    await this.db.transaction().execute((trx) => appendChained(trx, this.dialect, e, new Map()));
  }

  async appendMany(events: readonly AuditEventInput[]): Promise<void> {
    if (events.length === 0) return;
    if (this.db.isTransaction) return appendManyChained(this.db, events, this.#heads);
    await this.db.transaction().execute((trx) => appendManyChained(trx, events, new Map()));
  }

  /** Newest first (at, then id, descending); since inclusive, until exclusive; limit 100 by default, at most 1000. */
  async list(filter: AuditFilter): Promise<AuditEvent[]> {
    const rows = await LIST_EVENTS.of(filter).rows(this.db, {
      tenant_id: filter.tenantId ?? null,
      account_id: filter.accountId ?? null,
      type: filter.type ?? null,
      outcome: filter.outcome ?? null,
      since: filter.since ?? null,
      until: filter.until ?? null,
      limit: clampLimit(filter.limit),
    });
    return rows.map(toEvent);
  }
}

async function appendChained(
  db: Kysely<Database>,
  dialect: SqlDialect,
  e: AuditEventInput,
  heads: Map<string, { seq: number; hash: string }>,
): Promise<void> {
  const chain = chainKeyOf(e.tenantId);
  const details = JSON.stringify(e.details);
  if (dialect === 'postgres') return appendWithHead(db, chain, details, e, heads);
  const head = heads.get(chain) ?? (await UPSERT_HEAD.first(db, { chain }));
  if (!head) throw new Error('no result');
  const row = chainedRow(e, details, { seq: Number(head.seq), hash: head.hash });
  await INSERT_EVENT.run(db, row);
  heads.set(chain, { seq: row.seq, hash: row.hash });
}

/** The row of `e` linked after `head`: the next number, the head's hash, and its own hash over both. */
function chainedRow(
  e: AuditEventInput,
  details: string,
  head: { seq: number; hash: string },
): EventRow & { seq: number; hash: string } {
  return {
    ...eventColumns(e, details),
    seq: head.seq + 1,
    prev_hash: head.hash,
    hash: chainHash(head.hash, chainedOf(e, details)),
  };
}

/** The columns of `e` that do not depend on its place in the chain. */
function eventColumns(e: AuditEventInput, details: string): Omit<EventRow, 'seq' | 'prev_hash' | 'hash'> {
  return {
    at: e.at,
    tenant_id: e.tenantId,
    account_id: e.accountId,
    actor: e.actor,
    type: e.type,
    outcome: e.outcome,
    ip: e.ip,
    user_agent: e.userAgent,
    details,
  };
}

/** The fields of an event its hash covers; `details` as stored (a JSON round trip drops undefined values). */
function chainedOf(e: AuditEventInput, details: string): ChainedEvent {
  return {
    at: e.at,
    tenantId: e.tenantId,
    accountId: e.accountId,
    actor: e.actor,
    type: e.type,
    outcome: e.outcome,
    ip: e.ip,
    userAgent: e.userAgent,
    details: JSON.parse(details) as AuditEventInput['details'],
  };
}

/**
 * PostgreSQL: the head's upsert (it waits for, then locks, the head) and the chained insert in one
 * statement, held to travel with the next one (`executeLater`). The event's hash is `chainHash` done by
 * the database: SHA-256 of the previous hash's 64 hex characters followed by the canonical event
 * (both UTF-8), as hex; the canonical event is computed here, so the encoding stays in one place
 * (core/audit-chain.ts), and `sspr audit verify` recomputes every hash with `chainHash`.
 */
async function appendWithHead(
  db: Kysely<Database>,
  chain: string,
  details: string,
  e: AuditEventInput,
  heads: Map<string, { seq: number; hash: string }>,
): Promise<void> {
  const canonical = canonicalEvent(chainedOf(e, details));
  // nothing is read back: the statement may travel with the next one, or with the commit; the head
  // moved on (its trigger), so an `appendMany` later in the transaction reads it again
  heads.delete(chain);
  await APPEND_WITH_HEAD.later(db, 'postgres', { chain, ...eventColumns(e, details), canonical });
}

// The statements, each built once per dialect (sql-template.ts).

/** The chain's head (made at the chain's first event): its newest place and hash; on PostgreSQL locked until the transaction ends. */
const UPSERT_HEAD = new SqlTemplate((db, p: { chain: string }) =>
  db
    .insertInto('audit_chain_heads')
    .values({ chain: p.chain, seq: 0, hash: GENESIS_HASH })
    .onConflict((oc) => oc.column('chain').doUpdateSet((eb) => ({ seq: eb.ref('audit_chain_heads.seq') })))
    .returning(['seq', 'hash']),
);

type EventRow = Omit<Selectable<AuditEventsTable>, 'id'>;

const INSERT_EVENT = new SqlTemplate((db, p: EventRow) =>
  db.insertInto('audit_events').values(
    columns(p, {
      at: true,
      tenant_id: true,
      account_id: true,
      actor: true,
      type: true,
      outcome: true,
      ip: true,
      user_agent: true,
      details: true,
      seq: true,
      prev_hash: true,
      hash: true,
    }),
  ),
);

const APPEND_WITH_HEAD = new SqlTemplate(
  (_db, p: Omit<EventRow, 'seq' | 'prev_hash' | 'hash'> & { chain: string; canonical: string }) => sql`with head as (
      insert into audit_chain_heads (chain, seq, hash) values (${p.chain}, 0, ${GENESIS_HASH})
      on conflict (chain) do update set seq = audit_chain_heads.seq
      returning seq, hash)
    insert into audit_events (at, tenant_id, account_id, actor, type, outcome, ip, user_agent, details, seq, prev_hash, hash)
    select ${p.at}::bigint, ${p.tenant_id}::text, ${p.account_id}::text, ${p.actor}::text, ${p.type}::text,
      ${p.outcome}::text, ${p.ip}::text, ${p.user_agent}::text, ${p.details}::text, head.seq + 1,
      head.hash, encode(sha256(convert_to(head.hash || ${p.canonical}::text, 'UTF8')), 'hex')
    from head`,
);

type ListArgs = {
  tenant_id: string | null;
  account_id: string | null;
  type: string | null;
  outcome: string | null;
  since: number | null;
  until: number | null;
  limit: number;
};

/** Newest first, by the filters given (a template per set of filters). */
const LIST_EVENTS = new TemplateFamily(
  (f: AuditFilter) =>
    [f.tenantId, f.accountId, f.type, f.outcome, f.since, f.until].map((v) => (v === undefined ? 0 : 1)).join(''),
  (f) => (db, p: ListArgs) => {
    let query = db.selectFrom('audit_events').selectAll();
    if (f.tenantId !== undefined) query = query.where('tenant_id', '=', p.tenant_id!);
    if (f.accountId !== undefined) query = query.where('account_id', '=', p.account_id!);
    if (f.type !== undefined) query = query.where('type', '=', p.type!);
    if (f.outcome !== undefined) query = query.where('outcome', '=', p.outcome!);
    if (f.since !== undefined) query = query.where('at', '>=', p.since!);
    if (f.until !== undefined) query = query.where('at', '<', p.until!);
    return query.orderBy('at', 'desc').orderBy('id', 'desc').limit(p.limit);
  },
);

/**
 * The chains' heads in one upsert (in the chains' order, so two transactions lock them in the same
 * order on PostgreSQL), then every event in one insert, each linked to the one before it in its
 * chain. The head trigger runs per row and only moves forward (`seq < new.seq`).
 */
async function appendManyChained(
  db: Kysely<Database>,
  events: readonly AuditEventInput[],
  heads: Map<string, { seq: number; hash: string }>,
): Promise<void> {
  const missing = [...new Set(events.map((e) => chainKeyOf(e.tenantId)))].filter((c) => !heads.has(c)).sort();
  if (missing.length > 0) {
    const rows = await db
      .insertInto('audit_chain_heads')
      .values(missing.map((chain) => ({ chain, seq: 0, hash: GENESIS_HASH })))
      .onConflict((oc) => oc.column('chain').doUpdateSet((eb) => ({ seq: eb.ref('audit_chain_heads.seq') })))
      .returning(['chain', 'seq', 'hash'])
      .execute();
    for (const row of rows) heads.set(row.chain, { seq: Number(row.seq), hash: row.hash });
  }
  const values = events.map((e) => {
    const chain = chainKeyOf(e.tenantId);
    const head = heads.get(chain);
    if (!head) throw new Error('audit chain head missing after its upsert');
    const row = chainedRow(e, JSON.stringify(e.details), head);
    heads.set(chain, { seq: row.seq, hash: row.hash });
    return row;
  });
  await db.insertInto('audit_events').values(values).execute();
}

function toEvent(row: Selectable<AuditEventsTable>): AuditEvent {
  return {
    id: Number(row.id),
    at: Number(row.at),
    tenantId: row.tenant_id,
    accountId: row.account_id,
    actor: row.actor,
    type: row.type,
    outcome: row.outcome,
    ip: row.ip,
    userAgent: row.user_agent,
    details: JSON.parse(row.details) as AuditEvent['details'],
  };
}

function toChainRow(row: Selectable<AuditEventsTable>): ChainRow {
  const { id, ...event } = toEvent(row);
  return {
    id,
    seq: row.seq === null ? null : Number(row.seq),
    prevHash: row.prev_hash,
    hash: row.hash,
    event,
  };
}

/** The audit hash chains over Kysely (see the port). */
export class SqlAuditChainRepo implements AuditChainRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Events of the chain: its tenant's, or those of no tenant for `''`. */
  #ofChain(chain: string) {
    const q = this.db.selectFrom('audit_events');
    return chain === '' ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', chain);
  }

  async chains(): Promise<string[]> {
    const [heads, tenants] = await Promise.all([
      this.db.selectFrom('audit_chain_heads').select('chain').execute(),
      this.db.selectFrom('tenants').select('id').execute(),
    ]);
    return [...new Set(['', ...heads.map((h) => h.chain), ...tenants.map((t) => t.id)])].sort();
  }

  async head(chain: string): Promise<AuditChainHeadState | null> {
    const row = await this.db.selectFrom('audit_chain_heads').selectAll().where('chain', '=', chain).executeTakeFirst();
    if (!row) return null;
    return {
      chain: row.chain,
      seq: Number(row.seq),
      hash: row.hash,
      verifiedAt: row.verified_at === null ? null : Number(row.verified_at),
      verifiedSeq: row.verified_seq === null ? null : Number(row.verified_seq),
      verifyBreak: row.verify_result ? (JSON.parse(row.verify_result) as ChainBreak) : null,
    };
  }

  async page(chain: string, after: ChainCursor | null, limit: number): Promise<ChainRow[]> {
    let q = this.#ofChain(chain).selectAll().where('seq', 'is not', null);
    if (after) {
      q = q.where((eb) =>
        eb.or([eb('seq', '>', after.seq), eb.and([eb('seq', '=', after.seq), eb('id', '>', after.id)])]),
      );
    }
    const rows = await q
      .orderBy('seq')
      .orderBy('id')
      .limit(Math.max(1, Math.floor(limit)))
      .execute();
    return rows.map(toChainRow);
  }

  async unchained(chain: string): Promise<UnchainedRows> {
    const notChained = (eb: ExpressionBuilder<Database, 'audit_events'>) =>
      eb.or([eb('seq', 'is', null), eb('prev_hash', 'is', null), eb('hash', 'is', null)]);
    const first = await this.#ofChain(chain)
      .select('id')
      .where('seq', 'is not', null)
      .where('prev_hash', 'is not', null)
      .where('hash', 'is not', null)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    const firstChainedId = first ? Number(first.id) : null;
    // core unchainedKind: below the oldest chained row, legacy; above it, inserted
    let legacyQ = this.#ofChain(chain)
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .where(notChained);
    if (firstChainedId !== null) legacyQ = legacyQ.where('id', '<', firstChainedId);
    const legacy = Number((await legacyQ.executeTakeFirstOrThrow()).n);
    const inserted =
      firstChainedId === null
        ? undefined
        : await this.#ofChain(chain)
            .selectAll()
            .where(notChained)
            .where('id', '>', firstChainedId)
            .orderBy('id')
            .limit(1)
            .executeTakeFirst();
    return { legacy, firstInserted: inserted ? toChainRow(inserted) : null };
  }

  async latestCheckpoint(chain: string): Promise<StoredCheckpoint | null> {
    const row = await this.db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .where('chain', '=', chain)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return null;
    return {
      chain: row.chain,
      seq: Number(row.seq),
      hash: row.hash,
      removed: Number(row.removed),
      at: Number(row.at),
      mac: row.mac,
    };
  }

  async recordVerification(chain: string, at: number, seq: number, broken: ChainBreak | null): Promise<void> {
    const verify_result = broken ? JSON.stringify(broken) : null;
    await this.db
      .insertInto('audit_chain_heads')
      .values({ chain, seq: 0, hash: GENESIS_HASH, verified_at: at, verified_seq: seq, verify_result })
      .onConflict((oc) => oc.column('chain').doUpdateSet({ verified_at: at, verified_seq: seq, verify_result }))
      .execute();
  }

  async removeThrough(c: StoredCheckpoint): Promise<number> {
    const q = this.db.deleteFrom('audit_events');
    const result = await (c.chain === '' ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', c.chain))
      .where('seq', '<=', c.seq)
      .executeTakeFirst();
    await this.db
      .insertInto('audit_checkpoints')
      .values({ chain: c.chain, seq: c.seq, hash: c.hash, removed: c.removed, at: c.at, mac: c.mac })
      .execute();
    return Number(result.numDeletedRows);
  }
}
