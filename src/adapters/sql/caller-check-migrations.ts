import type { Kysely, Migration } from 'kysely';

/**
 * The help desk's caller verifications, reverse checks and second-operator approvals (issue 13
 * items 5 and 6; merged into `migrations()`): additive, new tables an older release ignores.
 * Codes and phrases only as HMACs.
 */
export const callerCheckMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('caller_verifications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('code_hash', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('verified_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('caller_verifications_actor_account')
      .on('caller_verifications')
      .columns(['actor', 'account_id', 'created_at'])
      .execute();
    await db.schema
      .createTable('call_checks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('agent_name', 'text', (c) => c.notNull())
      .addColumn('organisation', 'text', (c) => c.notNull())
      .addColumn('phrase_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('confirmed_at', 'bigint')
      .addColumn('flagged_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('call_checks_actor_account')
      .on('call_checks')
      .columns(['actor', 'account_id', 'created_at'])
      .execute();
    await db.schema.createIndex('call_checks_expires_at').on('call_checks').column('expires_at').execute();
    await db.schema
      .createTable('caller_approvals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('approved_by', 'text')
      .addColumn('approved_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('caller_approvals_requested_account')
      .on('caller_approvals')
      .columns(['requested_by', 'account_id'])
      .execute();
  },
};

/**
 * The passkey way of caller verification (issue 13 item 5; `0027_caller_passkey`): additive, new
 * nullable columns an older release ignores (its rows read as `code`, or `authenticator` without a
 * code). The ticket only as an HMAC (unique: the public page finds it by it) and sealed.
 */
export const callerPasskeyMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
  async up(db: Kysely<any>) {
    await db.schema.alterTable('caller_verifications').addColumn('way', 'text').execute();
    await db.schema.alterTable('caller_verifications').addColumn('ticket_hash', 'text').execute();
    await db.schema.alterTable('caller_verifications').addColumn('ticket_sealed', 'text').execute();
    await db.schema
      .createIndex('caller_verifications_ticket_hash')
      .unique()
      .on('caller_verifications')
      .column('ticket_hash')
      .execute();
  },
};
