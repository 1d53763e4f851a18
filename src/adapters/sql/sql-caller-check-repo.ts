import { sql, type Kysely, type Selectable } from 'kysely';
import { CALLER_WAYS, type CallerWay } from '../../core/caller-verification.ts';
import type {
  ApprovalRecord,
  CallCheckRecord,
  CallerCheckRepo,
  CallerVerificationRecord,
} from '../../ports/caller-check-store.ts';
import type { CallChecksTable, CallerApprovalsTable, CallerVerificationsTable, Database } from './database.ts';

/**
 * Caller verifications, reverse checks and approvals over Kysely; works on the root instance or a
 * transaction. The once-only steps are one conditional statement each (see the port).
 */
export class SqlCallerCheckRepo implements CallerCheckRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async createVerification(
    v: Omit<CallerVerificationRecord, 'attempts' | 'verifiedAt' | 'way' | 'ticketHash' | 'ticketSealed'> &
      Partial<Pick<CallerVerificationRecord, 'way' | 'ticketHash' | 'ticketSealed'>>,
  ): Promise<void> {
    await this.db
      .insertInto('caller_verifications')
      .values({
        id: v.id,
        tenant_id: v.tenantId,
        account_id: v.accountId,
        actor: v.actor,
        code_hash: v.codeHash,
        created_at: v.createdAt,
        expires_at: v.expiresAt,
        attempts: 0,
        verified_at: null,
        way: v.way ?? (v.codeHash === null ? 'authenticator' : 'code'),
        ticket_hash: v.ticketHash ?? null,
        ticket_sealed: v.ticketSealed ?? null,
      })
      .execute();
  }

  async findByTicket(ticketHash: string): Promise<CallerVerificationRecord | null> {
    const row = await this.db
      .selectFrom('caller_verifications')
      .selectAll()
      .where('ticket_hash', '=', ticketHash)
      .executeTakeFirst();
    return row ? verification(row) : null;
  }

  async latestVerification(actor: string, accountId: string): Promise<CallerVerificationRecord | null> {
    const row = await this.db
      .selectFrom('caller_verifications')
      .selectAll()
      .where('actor', '=', actor)
      .where('account_id', '=', accountId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row ? verification(row) : null;
  }

  async getVerification(id: string): Promise<CallerVerificationRecord | null> {
    const row = await this.db.selectFrom('caller_verifications').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? verification(row) : null;
  }

  async countAttempt(id: string, max: number): Promise<number | null> {
    const row = await this.db
      .updateTable('caller_verifications')
      .set({ attempts: sql<number>`attempts + 1` })
      .where('id', '=', id)
      .where('attempts', '<', max)
      .where('verified_at', 'is', null)
      .returning('attempts')
      .executeTakeFirst();
    return row ? Number(row.attempts) : null;
  }

  async markVerified(id: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('caller_verifications')
      .set({ verified_at: now })
      .where('id', '=', id)
      .where('verified_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows === 1n;
  }

  async lastVerifiedAt(actor: string, accountId: string): Promise<number | null> {
    const row = await this.db
      .selectFrom('caller_verifications')
      .select((eb) => eb.fn.max('verified_at').as('at'))
      .where('actor', '=', actor)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row?.at == null ? null : Number(row.at);
  }

  async createCallCheck(c: Omit<CallCheckRecord, 'confirmedAt' | 'flaggedAt'>): Promise<void> {
    await this.db
      .insertInto('call_checks')
      .values({
        id: c.id,
        tenant_id: c.tenantId,
        account_id: c.accountId,
        actor: c.actor,
        agent_name: c.agentName,
        organisation: c.organisation,
        phrase_hash: c.phraseHash,
        created_at: c.createdAt,
        expires_at: c.expiresAt,
        confirmed_at: null,
        flagged_at: null,
      })
      .execute();
  }

  async findCallCheck(phraseHash: string): Promise<CallCheckRecord | null> {
    const row = await this.db
      .selectFrom('call_checks')
      .selectAll()
      .where('phrase_hash', '=', phraseHash)
      .executeTakeFirst();
    return row ? callCheck(row) : null;
  }

  async latestCallCheck(actor: string, accountId: string): Promise<CallCheckRecord | null> {
    const row = await this.db
      .selectFrom('call_checks')
      .selectAll()
      .where('actor', '=', actor)
      .where('account_id', '=', accountId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row ? callCheck(row) : null;
  }

  async confirmCallCheck(id: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('call_checks')
      .set({ confirmed_at: now })
      .where('id', '=', id)
      .where('confirmed_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return r.numUpdatedRows === 1n;
  }

  async unconfirmedCallChecks(now: number, limit: number): Promise<CallCheckRecord[]> {
    const rows = await this.db
      .selectFrom('call_checks')
      .selectAll()
      .where('expires_at', '<=', now)
      .where('confirmed_at', 'is', null)
      .where('flagged_at', 'is', null)
      .orderBy('expires_at')
      .limit(limit)
      .execute();
    return rows.map(callCheck);
  }

  async flagCallCheck(id: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('call_checks')
      .set({ flagged_at: now })
      .where('id', '=', id)
      .where('flagged_at', 'is', null)
      .where('confirmed_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows === 1n;
  }

  async createApproval(a: Omit<ApprovalRecord, 'approvedBy' | 'approvedAt'>): Promise<void> {
    await this.db
      .insertInto('caller_approvals')
      .values({
        id: a.id,
        tenant_id: a.tenantId,
        account_id: a.accountId,
        requested_by: a.requestedBy,
        created_at: a.createdAt,
        approved_by: null,
        approved_at: null,
      })
      .execute();
  }

  async getApproval(id: string): Promise<ApprovalRecord | null> {
    const row = await this.db.selectFrom('caller_approvals').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? approval(row) : null;
  }

  async openApprovals(since: number, limit: number): Promise<ApprovalRecord[]> {
    const rows = await this.db
      .selectFrom('caller_approvals')
      .selectAll()
      .where('approved_at', 'is', null)
      .where('created_at', '>=', since)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(approval);
  }

  async approve(id: string, approver: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('caller_approvals')
      .set({ approved_by: approver, approved_at: now })
      .where('id', '=', id)
      .where('approved_at', 'is', null)
      .where('requested_by', '<>', approver)
      .executeTakeFirst();
    return r.numUpdatedRows === 1n;
  }

  async lastApprovedAt(requestedBy: string, accountId: string): Promise<number | null> {
    const row = await this.db
      .selectFrom('caller_approvals')
      .select((eb) => eb.fn.max('approved_at').as('at'))
      .where('requested_by', '=', requestedBy)
      .where('account_id', '=', accountId)
      // never the asking operator's own (approve() refuses it; a row written around it counts for nothing)
      .whereRef('approved_by', '<>', 'requested_by')
      .executeTakeFirst();
    return row?.at == null ? null : Number(row.at);
  }
}

const n = (v: number | string | bigint | null): number | null => (v === null ? null : Number(v));

/** The way of a row; one an older release wrote (no `way`) sent a code, or only asked the app when it has no code. */
function wayOf(r: Selectable<CallerVerificationsTable>): CallerWay {
  const way = r.way as CallerWay | null;
  return way !== null && (CALLER_WAYS as readonly string[]).includes(way)
    ? way
    : r.code_hash === null
      ? 'authenticator'
      : 'code';
}

function verification(r: Selectable<CallerVerificationsTable>): CallerVerificationRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    accountId: r.account_id,
    actor: r.actor,
    codeHash: r.code_hash,
    way: wayOf(r),
    ticketHash: r.ticket_hash ?? null,
    ticketSealed: r.ticket_sealed ?? null,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    attempts: Number(r.attempts),
    verifiedAt: n(r.verified_at),
  };
}

function callCheck(r: Selectable<CallChecksTable>): CallCheckRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    accountId: r.account_id,
    actor: r.actor,
    agentName: r.agent_name,
    organisation: r.organisation,
    phraseHash: r.phrase_hash,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    confirmedAt: n(r.confirmed_at),
    flaggedAt: n(r.flagged_at),
  };
}

function approval(r: Selectable<CallerApprovalsTable>): ApprovalRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    accountId: r.account_id,
    requestedBy: r.requested_by,
    createdAt: Number(r.created_at),
    approvedBy: r.approved_by,
    approvedAt: n(r.approved_at),
  };
}
