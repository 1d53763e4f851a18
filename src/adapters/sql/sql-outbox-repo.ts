import type { Kysely, Selectable } from 'kysely';
import type { NewOutboxMessage, OutboxChannel, OutboxMessage, OutboxRepo, OutboxStatus } from '../../ports/store.ts';
import { clampLimit } from './atomic.ts';
import { insertIf } from './conditional-insert.ts';
import type { Database, OutboxTable } from './database.ts';
import type { SqlDialect } from './migrations.ts';

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
    );
    // PostgreSQL: the insert trigger of migration 0011 sends `pg_notify('sspr_outbox')`, delivered
    // when the enqueuing transaction commits (never for a rollback; repeats within one transaction
    // fold into one): every instance's listener wakes its worker (see pg-outbox-listener.ts)
  }

  async claimDue(worker: string, now: number, claimUntil: number, limit: number): Promise<OutboxMessage[]> {
    const n = clampLimit(limit);
    if (n === 0) return [];
    const rows = await this.db
      .updateTable('outbox')
      .set({ status: 'sending', claimed_by: worker, claimed_until: claimUntil })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('outbox')
          .select('id')
          .where((w) =>
            w.or([
              w.and([w('status', '=', 'pending'), w('next_attempt_at', '<=', now)]),
              w.and([w('status', '=', 'sending'), w('claimed_until', '<', now)]),
            ]),
          )
          .orderBy('next_attempt_at')
          .limit(n)
          .$if(this.dialect === 'postgres', (q) => q.forUpdate().skipLocked()),
      )
      .returningAll()
      .execute();
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

  async release(worker: string): Promise<number> {
    const result = await this.db
      .updateTable('outbox')
      .set({ status: 'pending', claimed_by: null, claimed_until: null })
      .where('claimed_by', '=', worker)
      .where('status', '=', 'sending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async get(id: string): Promise<OutboxMessage | null> {
    const row = await this.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toMessage(row) : null;
  }

  /** Oldest first (created_at, then id); limit defaults to 100, at most 1000. */
  async list(filter: { status?: OutboxStatus; limit?: number }): Promise<OutboxMessage[]> {
    let query = this.db.selectFrom('outbox').selectAll();
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    const rows = await query.orderBy('created_at').orderBy('id').limit(clampLimit(filter.limit)).execute();
    return rows.map(toMessage);
  }

  async nextDueAt(): Promise<number | null> {
    const row = await this.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.min('next_attempt_at').as('at'))
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return row?.at == null ? null : Number(row.at);
  }

  async codeIsCurrent(codeId: string, queuedAt: number, now: number): Promise<boolean> {
    const code = await this.db
      .selectFrom('flow_codes')
      .innerJoin('flows', 'flows.id', 'flow_codes.flow_id')
      .select(['flow_codes.used_at', 'flow_codes.superseded_at', 'flow_codes.expires_at', 'flows.state'])
      .where('flow_codes.id', '=', codeId)
      .executeTakeFirst();
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
    const pending = await this.db
      .selectFrom('security_info_pending')
      .select(['used_at', 'superseded_at', 'expires_at', 'sent_at'])
      .where('id', '=', codeId)
      .executeTakeFirst();
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
    const result = await this.db
      .updateTable('outbox')
      .set({ ...set, claimed_by: null, claimed_until: null })
      .where('id', '=', id)
      .where('claimed_by', '=', worker)
      .where('status', '=', 'sending')
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }
}

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
