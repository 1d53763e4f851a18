import { sql, type Kysely, type Selectable } from 'kysely';
import type { AuthenticatorRecord, AuthenticatorRepo, NewAuthenticator } from '../../ports/authenticator-store.ts';
import type { AuthenticatorsTable, Database } from './database.ts';

/**
 * Authenticator apps over Kysely; works on the root instance or a transaction. `countAttempt`,
 * `confirm` and `acceptStep` are one conditional statement each: on PostgreSQL a parallel request
 * waits for the row and re-reads `last_step`, so one step is accepted once.
 */
export class SqlAuthenticatorRepo implements AuthenticatorRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async createPending(a: NewAuthenticator): Promise<void> {
    await this.db
      .deleteFrom('authenticators')
      .where('account_id', '=', a.accountId)
      .where('confirmed_at', 'is', null)
      .execute();
    await this.db
      .insertInto('authenticators')
      .values({
        id: a.id,
        account_id: a.accountId,
        secret_sealed: a.secretSealed,
        session_hash: a.sessionHash,
        created_at: a.createdAt,
        confirmed_at: null,
        attempts: 0,
        last_step: null,
      })
      .execute();
  }

  async pending(accountId: string): Promise<AuthenticatorRecord | null> {
    const row = await this.db
      .selectFrom('authenticators')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('confirmed_at', 'is', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async confirmed(accountId: string): Promise<AuthenticatorRecord | null> {
    const row = await this.db
      .selectFrom('authenticators')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('confirmed_at', 'is not', null)
      .orderBy('confirmed_at', 'desc')
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async countAttempt(id: string, max: number): Promise<number | null> {
    const row = await this.db
      .updateTable('authenticators')
      .set({ attempts: sql<number>`attempts + 1` })
      .where('id', '=', id)
      .where('attempts', '<', max)
      .where('confirmed_at', 'is', null)
      .returning('attempts')
      .executeTakeFirst();
    return row ? Number(row.attempts) : null;
  }

  async confirm(id: string, step: number, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('authenticators')
      .set({ confirmed_at: now, last_step: step })
      .where('id', '=', id)
      .where('confirmed_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async acceptStep(id: string, step: number): Promise<boolean> {
    const result = await this.db
      .updateTable('authenticators')
      .set({ last_step: step })
      .where('id', '=', id)
      .where('confirmed_at', 'is not', null)
      .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async remove(accountId: string): Promise<boolean> {
    const confirmed = await this.db
      .deleteFrom('authenticators')
      .where('account_id', '=', accountId)
      .where('confirmed_at', 'is not', null)
      .executeTakeFirst();
    await this.db.deleteFrom('authenticators').where('account_id', '=', accountId).execute();
    return confirmed.numDeletedRows > 0n;
  }
}

function toRecord(r: Selectable<AuthenticatorsTable>): AuthenticatorRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    secretSealed: r.secret_sealed,
    sessionHash: r.session_hash,
    createdAt: Number(r.created_at),
    confirmedAt: r.confirmed_at === null ? null : Number(r.confirmed_at),
    attempts: Number(r.attempts),
    lastStep: r.last_step === null ? null : Number(r.last_step),
  };
}
