import type { Kysely, Migration } from 'kysely';

/**
 * `0008_help_support`: help requests (and support tickets, the same rows in the `support` queue),
 * operators with their own sessions and sign-in throttling. No foreign keys from help requests to
 * accounts: a request (and what was done about it) outlives the account it was about.
 */
export const helpSupportMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('help_requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('reference', 'text', (c) => c.notNull().unique())
      .addColumn('tenant_id', 'text')
      .addColumn('account_id', 'text')
      .addColumn('queue', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('message_sealed', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('verified_at', 'bigint')
      .addColumn('verified_by', 'text')
      .addColumn('verification_note', 'text')
      .addColumn('resolved_at', 'bigint')
      .addColumn('resolved_by', 'text')
      .addColumn('resolution', 'text')
      .addColumn('resolution_note', 'text')
      .execute();
    await db.schema
      .createIndex('help_requests_tenant_status')
      .on('help_requests')
      .columns(['tenant_id', 'status', 'created_at'])
      .execute();
    await db.schema
      .createIndex('help_requests_queue_status')
      .on('help_requests')
      .columns(['queue', 'status', 'created_at'])
      .execute();
    await db.schema
      .createIndex('help_requests_account_id')
      .on('help_requests')
      .columns(['account_id', 'created_at'])
      .execute();

    await db.schema
      .createTable('operators')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('login', 'text', (c) => c.notNull().unique())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('operator_sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('operator_sessions_operator_id')
      .on('operator_sessions')
      .column('operator_id')
      .execute();

    await db.schema
      .createTable('operator_signin_guard')
      .addColumn('operator_id', 'text', (c) => c.primaryKey().references('operators.id').onDelete('cascade'))
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
