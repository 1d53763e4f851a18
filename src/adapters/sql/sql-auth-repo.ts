import { sql, type Kysely } from 'kysely';
import type { AuthRepo, SigninGuard } from '../../ports/auth-store.ts';
import type { Database } from './database.ts';
import type { SqlDialect } from './migrations.ts';
import { SqlTemplate } from './sql-template.ts';

export class SqlAuthRepo implements AuthRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {}

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
    // nothing read back: on PostgreSQL it travels with the next statement (pg-write-batching.ts)
    await CLEAR_SIGNIN_GUARD.later(this.db, this.dialect, { account_id: accountId });
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

const CLEAR_SIGNIN_GUARD = new SqlTemplate((db, p: { account_id: string }) =>
  db.deleteFrom('signin_guard').where('account_id', '=', p.account_id),
);
