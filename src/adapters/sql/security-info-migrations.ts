import type { Kysely, Migration } from 'kysely';

/**
 * "My security info" (merged into `migrations()` as 0006): the cooling-off time of a method that
 * replaced another (`methods.usable_from`, null = usable at once), pending registrations waiting
 * for their code (bound to the session that started them), and the sessions already prompted to
 * re-confirm their methods.
 */
export const securityInfoMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
  async up(db: Kysely<any>) {
    await db.schema.alterTable('methods').addColumn('usable_from', 'bigint').execute();

    await db.schema
      .createTable('security_info_pending')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('session_hash', 'text', (c) => c.notNull().references('sessions.id_hash').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('codes_sent', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('used_at', 'bigint')
      .addColumn('superseded_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('security_info_pending_account_kind')
      .on('security_info_pending')
      .columns(['account_id', 'kind'])
      .execute();
    await db.schema
      .createIndex('security_info_pending_session_hash')
      .on('security_info_pending')
      .column('session_hash')
      .execute();

    await db.schema
      .createTable('security_info_prompts')
      .addColumn('session_hash', 'text', (c) => c.primaryKey().references('sessions.id_hash').onDelete('cascade'))
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
