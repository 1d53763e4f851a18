import type { Kysely, Migration } from 'kysely';

/**
 * Authenticator apps (issue 13 item 1; merged into `migrations()`): additive, a new table an older
 * release ignores. One row per registration; the secret sealed; `last_step` is the time step of the
 * last accepted code, so each step is accepted once per account.
 */
export const authenticatorMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('authenticators')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('secret_sealed', 'text', (c) => c.notNull())
      .addColumn('session_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('confirmed_at', 'bigint')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_step', 'bigint')
      .execute();
    await db.schema.createIndex('authenticators_account_id').on('authenticators').column('account_id').execute();
  },
};
