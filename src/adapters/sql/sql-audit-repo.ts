import type { Kysely, Selectable } from 'kysely';
import type { AuditEvent, AuditEventInput, AuditFilter, AuditRepo } from '../../ports/store.ts';
import { clampLimit } from './atomic.ts';
import type { AuditEventsTable, Database } from './database.ts';

/** The append-only audit trail over Kysely. */
export class SqlAuditRepo implements AuditRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async append(e: AuditEventInput): Promise<void> {
    await this.db
      .insertInto('audit_events')
      .values({
        at: e.at,
        tenant_id: e.tenantId,
        account_id: e.accountId,
        actor: e.actor,
        type: e.type,
        outcome: e.outcome,
        ip: e.ip,
        user_agent: e.userAgent,
        details: JSON.stringify(e.details),
      })
      .execute();
  }

  /** Newest first (at, then id, descending); since inclusive, until exclusive; limit 100 by default, at most 1000. */
  async list(filter: AuditFilter): Promise<AuditEvent[]> {
    let query = this.db.selectFrom('audit_events').selectAll();
    if (filter.tenantId !== undefined) query = query.where('tenant_id', '=', filter.tenantId);
    if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
    if (filter.type !== undefined) query = query.where('type', '=', filter.type);
    if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome);
    if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('at', '<', filter.until);
    const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(clampLimit(filter.limit)).execute();
    return rows.map(toEvent);
  }
}

function toEvent(row: Selectable<AuditEventsTable>): AuditEvent {
  return {
    id: Number(row.id),
    at: row.at,
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
