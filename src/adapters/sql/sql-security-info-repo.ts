import { sql, type Kysely, type Selectable } from 'kysely';
import type { MethodKind } from '../../core/contact.ts';
import type {
  NewPendingMethod,
  PendingMethodRecord,
  PendingPurpose,
  SecurityInfoRepo,
} from '../../ports/security-info-store.ts';
import { atomic, isUniqueViolation } from './atomic.ts';
import type { Database, SecurityInfoPendingTable } from './database.ts';

/**
 * "My security info" over Kysely; works on the root instance or a transaction. `countAttempt`,
 * `consume` and `reissueCode` are one conditional statement each and report whether they applied.
 */
export class SqlSecurityInfoRepo implements SecurityInfoRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async createPending(p: NewPendingMethod): Promise<void> {
    await this.endPending(p.accountId, p.createdAt, p.kind);
    await this.db
      .insertInto('security_info_pending')
      .values({
        id: p.id,
        account_id: p.accountId,
        session_hash: p.sessionHash,
        kind: p.kind,
        value: p.value,
        purpose: p.purpose,
        code_hash: p.codeHash,
        sent_at: p.sentAt,
        expires_at: p.expiresAt,
        attempts: 0,
        codes_sent: 1,
        used_at: null,
        superseded_at: null,
        created_at: p.createdAt,
      })
      .execute();
  }

  async livePending(accountId: string, kind: MethodKind): Promise<PendingMethodRecord | null> {
    const row = await this.db
      .selectFrom('security_info_pending')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('kind', '=', kind)
      .where('used_at', 'is', null)
      .where('superseded_at', 'is', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return row ? toPending(row) : null;
  }

  async reissueCode(
    id: string,
    codesSent: number,
    codeHash: string,
    sentAt: number,
    expiresAt: number,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('security_info_pending')
      .set({ code_hash: codeHash, sent_at: sentAt, expires_at: expiresAt, attempts: 0, codes_sent: codesSent + 1 })
      .where('id', '=', id)
      .where('codes_sent', '=', codesSent)
      .where('used_at', 'is', null)
      .where('superseded_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async countAttempt(id: string, max: number): Promise<number | null> {
    const row = await this.db
      .updateTable('security_info_pending')
      .set({ attempts: sql<number>`attempts + 1` })
      .where('id', '=', id)
      .where('attempts', '<', max)
      .where('used_at', 'is', null)
      .where('superseded_at', 'is', null)
      .returning('attempts')
      .executeTakeFirst();
    return row ? Number(row.attempts) : null;
  }

  async consume(id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('security_info_pending')
      .set({ used_at: now })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('superseded_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async endPending(accountId: string, now: number, kind?: MethodKind): Promise<void> {
    let query = this.db
      .updateTable('security_info_pending')
      .set({ superseded_at: now })
      .where('account_id', '=', accountId)
      .where('used_at', 'is', null)
      .where('superseded_at', 'is', null);
    if (kind !== undefined) query = query.where('kind', '=', kind);
    await query.execute();
  }

  async setUsableFrom(accountId: string, kind: MethodKind, usableFrom: number | null): Promise<void> {
    await this.db
      .updateTable('methods')
      .set({ usable_from: usableFrom })
      .where('account_id', '=', accountId)
      .where('kind', '=', kind)
      .execute();
  }

  async usableFrom(accountId: string): Promise<Partial<Record<MethodKind, number>>> {
    const rows = await this.db
      .selectFrom('methods')
      .select(['kind', 'usable_from'])
      .where('account_id', '=', accountId)
      .where('usable_from', 'is not', null)
      .execute();
    const out: Partial<Record<MethodKind, number>> = {};
    for (const r of rows) if (r.usable_from !== null) out[r.kind as MethodKind] = Number(r.usable_from);
    return out;
  }

  async markPrompted(sessionHash: string, accountId: string, now: number): Promise<boolean> {
    if (await this.wasPrompted(sessionHash)) return false;
    try {
      await atomic(this.db, (db) =>
        db
          .insertInto('security_info_prompts')
          .values({ session_hash: sessionHash, account_id: accountId, at: now })
          .execute(),
      );
      return true;
    } catch (error) {
      // another request of the same session won the race
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async wasPrompted(sessionHash: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('security_info_prompts')
      .select('session_hash')
      .where('session_hash', '=', sessionHash)
      .executeTakeFirst();
    return row !== undefined;
  }
}

function toPending(row: Selectable<SecurityInfoPendingTable>): PendingMethodRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    sessionHash: row.session_hash,
    kind: row.kind as MethodKind,
    value: row.value,
    purpose: row.purpose as PendingPurpose,
    codeHash: row.code_hash,
    sentAt: Number(row.sent_at),
    expiresAt: Number(row.expires_at),
    attempts: Number(row.attempts),
    codesSent: Number(row.codes_sent),
    usedAt: row.used_at === null ? null : Number(row.used_at),
    supersededAt: row.superseded_at === null ? null : Number(row.superseded_at),
    createdAt: Number(row.created_at),
  };
}
