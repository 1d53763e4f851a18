import type { Kysely, Migration } from 'kysely';

/**
 * The consoles' second factor (issue 13 item 4; merged into `migrations()`): additive, three new
 * tables an older release ignores. `console_signins` holds pending console sign-ins (a password
 * passed, the second step not yet: the HMAC of the cookie's secret, attempts, when it ended);
 * `recovery_codes` the HMACs of each owner's recovery codes (an account or an operator), each used
 * once; `operator_authenticators` operators' authenticator apps, as `authenticators` holds
 * accounts' (operators are no accounts).
 */
export const consoleFactorMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('console_signins')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('owner_kind', 'text', (c) => c.notNull())
      .addColumn('owner_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('done_at', 'bigint')
      .execute();
    await db.schema.createIndex('console_signins_expires_at').on('console_signins').column('expires_at').execute();
    await db.schema
      .createTable('recovery_codes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('owner_kind', 'text', (c) => c.notNull())
      .addColumn('owner_id', 'text', (c) => c.notNull())
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('recovery_codes_owner')
      .on('recovery_codes')
      .columns(['owner_kind', 'owner_id', 'code_hash'])
      .unique()
      .execute();
    await db.schema
      .createTable('operator_authenticators')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id').onDelete('cascade'))
      .addColumn('secret_sealed', 'text', (c) => c.notNull())
      .addColumn('session_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('confirmed_at', 'bigint')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_step', 'bigint')
      .execute();
    await db.schema
      .createIndex('operator_authenticators_operator_id')
      .on('operator_authenticators')
      .column('operator_id')
      .execute();
  },
};
