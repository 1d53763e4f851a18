import { sql, type Kysely, type Selectable } from 'kysely';
import type { AuthenticatorRecord, AuthenticatorRepo, NewAuthenticator } from '../../ports/authenticator-store.ts';
import type { AuthenticatorsTable, Database } from './database.ts';
import { TemplateFamily } from './sql-template.ts';

/** Whose apps a repo holds: accounts' (`authenticators`) or operators' (`operator_authenticators`, same columns but the owner's). */
export type AuthenticatorTable =
  | { readonly table: 'authenticators'; readonly owner: 'account_id' }
  | { readonly table: 'operator_authenticators'; readonly owner: 'operator_id' };

export const ACCOUNT_APPS: AuthenticatorTable = { table: 'authenticators', owner: 'account_id' };
export const OPERATOR_APPS: AuthenticatorTable = { table: 'operator_authenticators', owner: 'operator_id' };

/**
 * Authenticator apps over Kysely; works on the root instance or a transaction. `countAttempt`,
 * `confirm` and `acceptStep` are one conditional statement each: on PostgreSQL a parallel request
 * waits for the row and re-reads `last_step`, so one step is accepted once.
 */
export class SqlAuthenticatorRepo implements AuthenticatorRepo {
  // the two tables have the same columns but the owner's: typed as accounts' apps, the owner column named at run time
  private readonly db: Kysely<Pick<Database, 'authenticators'>>;
  private readonly table: 'authenticators';
  private readonly owner: 'account_id';

  constructor(db: Kysely<Database>, of: AuthenticatorTable = ACCOUNT_APPS) {
    this.db = db as unknown as Kysely<Pick<Database, 'authenticators'>>;
    this.table = of.table as 'authenticators';
    this.owner = of.owner as 'account_id';
  }

  async createPending(a: NewAuthenticator): Promise<void> {
    await this.db
      .deleteFrom(this.table)
      .where(this.owner, '=', a.accountId)
      .where('confirmed_at', 'is', null)
      .execute();
    await this.db
      .insertInto(this.table)
      .values({
        id: a.id,
        [this.owner]: a.accountId,
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
      .selectFrom(this.table)
      .selectAll()
      .where(this.owner, '=', accountId)
      .where('confirmed_at', 'is', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return row ? toRecord(row, this.owner) : null;
  }

  async confirmed(accountId: string): Promise<AuthenticatorRecord | null> {
    const row = await CONFIRMED.of({ table: this.table, owner: this.owner }).first(
      this.db as unknown as Kysely<Database>,
      { owner: accountId },
    );
    return row ? toRecord(row, this.owner) : null;
  }

  async countAttempt(id: string, max: number): Promise<number | null> {
    const row = await this.db
      .updateTable(this.table)
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
      .updateTable(this.table)
      .set({ confirmed_at: now, last_step: step })
      .where('id', '=', id)
      .where('confirmed_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async acceptStep(id: string, step: number): Promise<boolean> {
    const result = await this.db
      .updateTable(this.table)
      .set({ last_step: step })
      .where('id', '=', id)
      .where('confirmed_at', 'is not', null)
      .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async remove(accountId: string): Promise<boolean> {
    const confirmed = await this.db
      .deleteFrom(this.table)
      .where(this.owner, '=', accountId)
      .where('confirmed_at', 'is not', null)
      .executeTakeFirst();
    await this.db.deleteFrom(this.table).where(this.owner, '=', accountId).execute();
    return confirmed.numDeletedRows > 0n;
  }
}

function toRecord(r: Selectable<AuthenticatorsTable>, owner: string): AuthenticatorRecord {
  return {
    id: r.id,
    accountId: String((r as unknown as Record<string, unknown>)[owner]),
    secretSealed: r.secret_sealed,
    sessionHash: r.session_hash,
    createdAt: Number(r.created_at),
    confirmedAt: r.confirmed_at === null ? null : Number(r.confirmed_at),
    attempts: Number(r.attempts),
    lastStep: r.last_step === null ? null : Number(r.last_step),
  };
}

/** The newest confirmed app of an owner (a template per table, sql-template.ts). */
const CONFIRMED = new TemplateFamily(
  (of: { table: string }) => of.table,
  ({ table, owner }: { table: 'authenticators'; owner: 'account_id' }) =>
    (db, p: { owner: string }) =>
      (db as unknown as Kysely<Pick<Database, 'authenticators'>>)
        .selectFrom(table)
        .selectAll()
        .where(owner, '=', p.owner)
        .where('confirmed_at', 'is not', null)
        .orderBy('confirmed_at', 'desc'),
);
