import type { Kysely, Selectable } from 'kysely';
import type {
  HelpFilter,
  HelpQueue,
  HelpRepo,
  HelpRequestRecord,
  HelpResolution,
  HelpStatus,
  NewHelpRequest,
} from '../../ports/help-store.ts';
import { clampLimit } from './atomic.ts';
import type { Database, HelpRequestsTable } from './database.ts';

/** Help requests and support tickets over Kysely; works on the root instance or a transaction. */
export class SqlHelpRepo implements HelpRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(r: NewHelpRequest): Promise<void> {
    await this.db
      .insertInto('help_requests')
      .values({
        id: r.id,
        reference: r.reference,
        tenant_id: r.tenantId,
        account_id: r.accountId,
        queue: r.queue,
        status: r.status,
        message_sealed: r.messageSealed,
        created_at: r.now,
        verified_at: null,
        verified_by: null,
        verification_note: null,
        resolved_at: null,
        resolved_by: null,
        resolution: null,
        resolution_note: null,
      })
      .execute();
  }

  async get(id: string): Promise<HelpRequestRecord | null> {
    const row = await this.db.selectFrom('help_requests').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async referenceExists(reference: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('help_requests')
      .select('id')
      .where('reference', '=', reference)
      .executeTakeFirst();
    return row !== undefined;
  }

  async findByReference(reference: string): Promise<HelpRequestRecord | null> {
    const row = await this.db
      .selectFrom('help_requests')
      .selectAll()
      .where('reference', '=', reference)
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async list(filter: HelpFilter): Promise<HelpRequestRecord[]> {
    let q = this.db.selectFrom('help_requests').selectAll();
    if (filter.tenantId !== undefined) q = q.where('tenant_id', '=', filter.tenantId);
    if (filter.queue !== undefined) q = q.where('queue', '=', filter.queue);
    if (filter.accountId !== undefined) q = q.where('account_id', '=', filter.accountId);
    if (filter.since !== undefined) q = q.where('created_at', '>=', filter.since);
    if (filter.statuses !== undefined) {
      if (filter.statuses.length === 0) return [];
      q = q.where('status', 'in', [...filter.statuses]);
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(clampLimit(filter.limit)).execute();
    return rows.map(toRecord);
  }

  async recordVerification(id: string, by: string, note: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('help_requests')
      .set({ verified_at: now, verified_by: by, verification_note: note })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async close(
    id: string,
    c: {
      readonly status: 'resolved' | 'dismissed';
      readonly resolution: HelpResolution;
      readonly by: string;
      readonly note: string | null;
      readonly now: number;
    },
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('help_requests')
      .set({
        status: c.status,
        resolution: c.resolution,
        resolved_by: c.by,
        resolution_note: c.note,
        resolved_at: c.now,
      })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}

function toRecord(row: Selectable<HelpRequestsTable>): HelpRequestRecord {
  const n = (v: number | null): number | null => (v === null ? null : Number(v));
  return {
    id: row.id,
    reference: row.reference,
    tenantId: row.tenant_id,
    accountId: row.account_id,
    queue: row.queue as HelpQueue,
    status: row.status as HelpStatus,
    messageSealed: row.message_sealed,
    createdAt: Number(row.created_at),
    verifiedAt: n(row.verified_at),
    verifiedBy: row.verified_by,
    verificationNote: row.verification_note,
    resolvedAt: n(row.resolved_at),
    resolvedBy: row.resolved_by,
    resolution: row.resolution as HelpResolution | null,
    resolutionNote: row.resolution_note,
  };
}
