import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type {
  NewOutboxMessage,
  OutboxChannel,
  OutboxMessage,
  OutboxOutcome,
  OutboxRepo,
  OutboxStatus,
} from '../../ports/store.ts';
import { clampLimit } from './atomic.ts';
import { insertIf } from './conditional-insert.ts';
import type { Database, OutboxTable } from './database.ts';
import type { SqlDialect } from './migrations.ts';
import { SqlTemplate, TemplateFamily } from './sql-template.ts';

/** The PostgreSQL NOTIFY channel announcing newly committed outbox messages (sent by the trigger of migration 0011). */
export const OUTBOX_CHANNEL = 'sspr_outbox';

/**
 * The outbox over Kysely. Claiming is one `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING *`
 * statement: on PostgreSQL the inner select takes `FOR UPDATE SKIP LOCKED`, so concurrent workers
 * pass over each other's rows; on SQLite the statement is its own write transaction and SQLite
 * has one writer. Completions apply only while the worker still holds the claim.
 */
export class SqlOutboxRepo implements OutboxRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {}

  async enqueue(m: NewOutboxMessage): Promise<void> {
    // one conditional insert: the same statement whether it stores the message or not (`discard`, see insertIf)
    await insertIf(
      this.db,
      'outbox',
      {
        id: m.id,
        tenant_id: m.tenantId,
        account_id: m.accountId,
        channel: m.channel,
        template: m.template,
        recipient_sealed: m.refused === undefined ? m.recipientSealed : null,
        payload_sealed: m.refused === undefined ? m.payloadSealed : null,
        status: m.refused === undefined ? 'pending' : 'expired',
        attempts: 0,
        next_attempt_at: m.now,
        expires_at: m.expiresAt,
        last_error: m.refused ?? null,
        created_at: m.now,
        sent_at: null,
        finished_at: m.refused === undefined ? null : m.now,
        claimed_by: null,
        claimed_until: null,
        code_id: m.codeId ?? null,
      },
      m.discard !== true,
      // on PostgreSQL it may travel with the next statement of the transaction (pg-write-batching.ts)
      this.dialect,
    );
    // PostgreSQL: the insert trigger of migration 0011 sends `pg_notify('sspr_outbox')`, delivered
    // when the enqueuing transaction commits (never for a rollback; repeats within one transaction
    // fold into one): every instance's listener wakes its worker (see pg-outbox-listener.ts)
  }

  async claimDue(worker: string, now: number, claimUntil: number, limit: number): Promise<OutboxMessage[]> {
    const n = clampLimit(limit);
    if (n === 0) return [];
    const rows = await CLAIM_DUE.of(this.dialect).rows(this.db, {
      worker,
      claim_until: claimUntil,
      now,
      limit: n,
    });
    return rows.map(toMessage).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
  }

  async markSent(id: string, worker: string, now: number): Promise<boolean> {
    return this.complete(id, worker, {
      status: 'sent',
      sent_at: now,
      finished_at: now,
      payload_sealed: null,
      recipient_sealed: null,
    });
  }

  async markRetry(
    id: string,
    worker: string,
    attempts: number,
    nextAttemptAt: number,
    error: string,
  ): Promise<boolean> {
    return this.complete(id, worker, {
      status: 'pending',
      attempts,
      next_attempt_at: nextAttemptAt,
      last_error: error,
    });
  }

  async markFailed(id: string, worker: string, attempts: number, error: string, now: number): Promise<boolean> {
    return this.complete(id, worker, {
      status: 'failed',
      attempts,
      last_error: error,
      finished_at: now,
      payload_sealed: null,
      recipient_sealed: null,
    });
  }

  async markExpired(id: string, worker: string, now: number): Promise<boolean> {
    return this.complete(id, worker, {
      status: 'expired',
      finished_at: now,
      payload_sealed: null,
      recipient_sealed: null,
    });
  }

  async recordOutcomes(worker: string, outcomes: readonly OutboxOutcome[]): Promise<Set<string>> {
    if (outcomes.length === 0) return new Set();
    const ended = outcomes.filter((o) => o.status !== 'pending');
    // one column's new value per message: `case id when … then … else <column> end`, typed for PostgreSQL
    const per = <T>(
      column: keyof OutboxTable,
      type: 'text' | 'bigint' | 'integer',
      of: readonly OutboxOutcome[],
      value: (o: OutboxOutcome) => T,
    ): RawBuilder<never> =>
      sql<never>`case ${sql.ref('id')} ${sql.join(
        of.map((o) => sql`when ${o.id} then cast(${value(o)} as ${sql.raw(type)})`),
        sql` `,
      )} else ${sql.ref(column)} end`;
    const retried = outcomes.filter((o) => o.status === 'pending');
    const sent = outcomes.filter((o) => o.status === 'sent');
    const set: Record<string, RawBuilder<never> | null> = {
      status: per('status', 'text', outcomes, (o) => o.status),
      attempts: per('attempts', 'integer', outcomes, (o) => o.attempts),
      claimed_by: null,
      claimed_until: null,
    };
    const errored = outcomes.filter((o) => o.status === 'pending' || o.status === 'failed');
    if (errored.length > 0) set.last_error = per('last_error', 'text', errored, (o) => o.error ?? 'unknown');
    if (retried.length > 0)
      set.next_attempt_at = per('next_attempt_at', 'bigint', retried, (o) => o.nextAttemptAt ?? o.at);
    if (sent.length > 0) set.sent_at = per('sent_at', 'bigint', sent, (o) => o.at);
    if (ended.length > 0) {
      set.finished_at = per('finished_at', 'bigint', ended, (o) => o.at);
      // an ended message keeps no content
      const endedIds = ended.map((o) => o.id);
      set.payload_sealed = sql<never>`case when ${sql.ref('id')} in (${sql.join(endedIds)}) then null else ${sql.ref('payload_sealed')} end`;
      set.recipient_sealed = sql<never>`case when ${sql.ref('id')} in (${sql.join(endedIds)}) then null else ${sql.ref('recipient_sealed')} end`;
    }
    const rows = await this.db
      .updateTable('outbox')
      .set(set)
      .where(
        'id',
        'in',
        outcomes.map((o) => o.id),
      )
      .where('claimed_by', '=', worker)
      .where('status', '=', 'sending')
      .returning('id')
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  async currentCodes(
    items: readonly { readonly codeId: string; readonly queuedAt: number }[],
    now: number,
  ): Promise<boolean[]> {
    if (items.length === 0) return [];
    const ids = [...new Set(items.map((i) => i.codeId))];
    const codes = await this.db
      .selectFrom('flow_codes')
      .innerJoin('flows', 'flows.id', 'flow_codes.flow_id')
      .select([
        'flow_codes.id',
        'flow_codes.used_at',
        'flow_codes.superseded_at',
        'flow_codes.expires_at',
        'flows.state',
      ])
      .where('flow_codes.id', 'in', ids)
      .execute();
    const resetCodes = new Map(
      codes.map((code) => [
        code.id,
        code.used_at === null &&
          code.superseded_at === null &&
          now < Number(code.expires_at) &&
          code.state !== 'completed' &&
          code.state !== 'unlocked' &&
          code.state !== 'expired',
      ]),
    );
    const rest = ids.filter((id) => !resetCodes.has(id));
    const pending =
      rest.length === 0
        ? []
        : await this.db
            .selectFrom('security_info_pending')
            .select(['id', 'used_at', 'superseded_at', 'expires_at', 'sent_at'])
            .where('id', 'in', rest)
            .execute();
    const registrations = new Map(pending.map((p) => [p.id, p]));
    return items.map((item) => {
      const reset = resetCodes.get(item.codeId);
      if (reset !== undefined) return reset;
      const p = registrations.get(item.codeId);
      // a resend reissues the code on the same row: a message queued before it carries the old code
      return (
        p !== undefined &&
        p.used_at === null &&
        p.superseded_at === null &&
        now < Number(p.expires_at) &&
        Number(p.sent_at) <= item.queuedAt
      );
    });
  }

  async backlog(): Promise<{ pending: number; oldestCreatedAt: number | null }> {
    const capped = this.db
      .selectFrom('outbox')
      .select('created_at')
      .where('status', '=', 'pending')
      .orderBy('created_at')
      .limit(1000)
      .as('p');
    const row = await this.db
      .selectFrom(capped)
      .select((eb) => [eb.fn.countAll<number | string | bigint>().as('n'), eb.fn.min('created_at').as('oldest')])
      .executeTakeFirst();
    return { pending: Number(row?.n ?? 0), oldestCreatedAt: row?.oldest == null ? null : Number(row.oldest) };
  }

  async release(worker: string): Promise<number> {
    return Number(await RELEASE.affected(this.db, { worker }));
  }

  async get(id: string): Promise<OutboxMessage | null> {
    const row = await GET_MESSAGE.first(this.db, { id });
    return row ? toMessage(row) : null;
  }

  /** Oldest first (created_at, then id); limit defaults to 100, at most 1000. */
  async list(filter: { status?: OutboxStatus; limit?: number }): Promise<OutboxMessage[]> {
    const rows = await LIST.of(filter.status !== undefined).rows(this.db, {
      status: filter.status ?? null,
      limit: clampLimit(filter.limit),
    });
    return rows.map(toMessage);
  }

  async nextDueAt(): Promise<number | null> {
    const row = await NEXT_DUE_AT.first(this.db, {});
    return row?.at == null ? null : Number(row.at);
  }

  async codeIsCurrent(codeId: string, queuedAt: number, now: number): Promise<boolean> {
    const code = await RESET_CODE.first(this.db, { id: codeId });
    if (code) {
      return (
        code.used_at === null &&
        code.superseded_at === null &&
        now < Number(code.expires_at) &&
        code.state !== 'completed' &&
        code.state !== 'unlocked' &&
        code.state !== 'expired'
      );
    }
    const pending = await REGISTRATION_CODE.first(this.db, { id: codeId });
    // a resend reissues the code on the same row: a message queued before it carries the old code
    return (
      pending !== undefined &&
      pending.used_at === null &&
      pending.superseded_at === null &&
      now < Number(pending.expires_at) &&
      Number(pending.sent_at) <= queuedAt
    );
  }

  async countFailed(filter: { tenantId?: string; since: number }): Promise<number> {
    // counted over a capped subquery: a flood of failures costs no more than 1000 rows
    const capped = this.db
      .selectFrom('outbox')
      .select('id')
      .where('status', '=', 'failed')
      .where('finished_at', '>=', filter.since)
      .$if(filter.tenantId !== undefined, (q) => q.where('tenant_id', '=', filter.tenantId!))
      .limit(1000)
      .as('f');
    const row = await this.db
      .selectFrom(capped)
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async listFailed(filter: { tenantId?: string; since: number; limit?: number }): Promise<OutboxMessage[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('status', '=', 'failed')
      .where('finished_at', '>=', filter.since)
      .$if(filter.tenantId !== undefined, (q) => q.where('tenant_id', '=', filter.tenantId!))
      .orderBy('finished_at', 'desc')
      .orderBy('id')
      .limit(clampLimit(filter.limit))
      .execute();
    return rows.map(toMessage);
  }

  /** Applies a completion while `worker` holds the claim; every completion gives the claim up. */
  private async complete(id: string, worker: string, set: Partial<OutboxTable>): Promise<boolean> {
    const affected = await COMPLETE.of(Object.keys(set) as (keyof OutboxTable)[]).affected(this.db, {
      ...set,
      id,
      worker,
    });
    return affected === 1n;
  }
}

// The statements, each built once per dialect (sql-template.ts).

/** Claims due messages; on PostgreSQL `FOR UPDATE SKIP LOCKED` (a template per dialect). */
const CLAIM_DUE = new TemplateFamily(
  (dialect: SqlDialect) => dialect,
  (dialect) => (db, p: { worker: string; claim_until: number; now: number; limit: number }) =>
    db
      .updateTable('outbox')
      .set({ status: 'sending', claimed_by: p.worker, claimed_until: p.claim_until })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('outbox')
          .select('id')
          .where((w) =>
            w.or([
              w.and([w('status', '=', 'pending'), w('next_attempt_at', '<=', p.now)]),
              w.and([w('status', '=', 'sending'), w('claimed_until', '<', p.now)]),
            ]),
          )
          .orderBy('next_attempt_at')
          .limit(p.limit)
          .$if(dialect === 'postgres', (q) => q.forUpdate().skipLocked()),
      )
      .returningAll(),
);

const RELEASE = new SqlTemplate((db, p: { worker: string }) =>
  db
    .updateTable('outbox')
    .set({ status: 'pending', claimed_by: null, claimed_until: null })
    .where('claimed_by', '=', p.worker)
    .where('status', '=', 'sending'),
);

const GET_MESSAGE = new SqlTemplate((db, p: { id: string }) =>
  db.selectFrom('outbox').selectAll().where('id', '=', p.id),
);

/** Oldest first, of one status or all (a template each). */
const LIST = new TemplateFamily(
  (byStatus: boolean) => String(byStatus),
  (byStatus) => (db, p: { status: string | null; limit: number }) =>
    db
      .selectFrom('outbox')
      .selectAll()
      .$if(byStatus, (q) => q.where('status', '=', p.status!))
      .orderBy('created_at')
      .orderBy('id')
      .limit(p.limit),
);

const NEXT_DUE_AT = new SqlTemplate((db, _p: Record<string, never>) =>
  db
    .selectFrom('outbox')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where('status', '=', 'pending'),
);

const RESET_CODE = new SqlTemplate((db, p: { id: string }) =>
  db
    .selectFrom('flow_codes')
    .innerJoin('flows', 'flows.id', 'flow_codes.flow_id')
    .select(['flow_codes.used_at', 'flow_codes.superseded_at', 'flow_codes.expires_at', 'flows.state'])
    .where('flow_codes.id', '=', p.id),
);

const REGISTRATION_CODE = new SqlTemplate((db, p: { id: string }) =>
  db
    .selectFrom('security_info_pending')
    .select(['used_at', 'superseded_at', 'expires_at', 'sent_at'])
    .where('id', '=', p.id),
);

/** A completion while the worker holds the claim, setting the columns given (a template per set of columns). */
const COMPLETE = new TemplateFamily(
  (set: readonly (keyof OutboxTable)[]) => set.join(),
  (set) => (db, p: Partial<OutboxTable> & { id: string; worker: string }) =>
    db
      .updateTable('outbox')
      .set({ ...Object.fromEntries(set.map((c) => [c, p[c]])), claimed_by: null, claimed_until: null })
      .where('id', '=', p.id)
      .where('claimed_by', '=', p.worker)
      .where('status', '=', 'sending'),
);

function toMessage(row: Selectable<OutboxTable>): OutboxMessage {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    accountId: row.account_id,
    channel: row.channel as OutboxChannel,
    template: row.template,
    recipientSealed: row.recipient_sealed,
    payloadSealed: row.payload_sealed,
    status: row.status as OutboxStatus,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    expiresAt: row.expires_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    sentAt: row.sent_at,
    claimedBy: row.claimed_by,
    claimedUntil: row.claimed_until,
    codeId: row.code_id ?? null,
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}
