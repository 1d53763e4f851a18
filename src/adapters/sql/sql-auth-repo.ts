import { sql, type Kysely } from 'kysely';
import type { AuthRepo, SigninGuard } from '../../ports/auth-store.ts';
import type { Database } from './database.ts';

export class SqlAuthRepo implements AuthRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async getSigninGuard(accountId: string): Promise<SigninGuard | null> {
    const row = await this.db
      .selectFrom('signin_guard')
      .selectAll()
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row ? { failures: Number(row.failures), lastFailureAt: Number(row.last_failure_at) } : null;
  }

  async recordSigninFailure(accountId: string, now: number): Promise<SigninGuard> {
    const row = await this.db
      .insertInto('signin_guard')
      .values({ account_id: accountId, failures: 1, last_failure_at: now })
      .onConflict((oc) =>
        oc.column('account_id').doUpdateSet({ failures: sql<number>`signin_guard.failures + 1`, last_failure_at: now }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return { failures: Number(row.failures), lastFailureAt: Number(row.last_failure_at) };
  }

  async clearSigninGuard(accountId: string): Promise<void> {
    await this.db.deleteFrom('signin_guard').where('account_id', '=', accountId).execute();
  }

  async revokeSession(idHash: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('id_hash', '=', idHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}
