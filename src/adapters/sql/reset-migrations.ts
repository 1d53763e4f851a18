import type { Kysely, Migration } from 'kysely';

/** Tables of the self-service reset flow (merged into `migrations()` as 0004). */
export const resetFlowMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
  async up(db: Kysely<any>) {
    // No foreign keys to accounts: a flow for an unknown login has no account, and the trail of
    // a flow outlives an account's deletion.
    await db.schema
      .createTable('flows')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text')
      .addColumn('account_id', 'text')
      .addColumn('deliverable', 'integer', (c) => c.notNull())
      .addColumn('login', 'text', (c) => c.notNull())
      .addColumn('gates', 'text', (c) => c.notNull())
      .addColumn('passed', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('binding_hash', 'text', (c) => c.notNull())
      .addColumn('prev_binding_hash', 'text')
      .addColumn('prev_binding_until', 'bigint')
      .addColumn('masked_email', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('first_sent_at', 'bigint')
      .addColumn('last_sent_at', 'bigint')
      .addColumn('codes_sent', 'integer', (c) => c.notNull())
      .addColumn('completed_at', 'bigint')
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('version', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('flows_account_id_state').on('flows').columns(['account_id', 'state']).execute();
    await db.schema.createIndex('flows_created_at').on('flows').column('created_at').execute();

    await db.schema
      .createTable('flow_codes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('flow_id', 'text', (c) => c.notNull().references('flows.id').onDelete('cascade'))
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('link_hash', 'text', (c) => c.unique())
      .addColumn('sent_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .addColumn('superseded_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('flow_codes_flow_id_channel')
      .on('flow_codes')
      .columns(['flow_id', 'channel'])
      .execute();

    await db.schema
      .createTable('verification_failures')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('verification_failures_account_id_at')
      .on('verification_failures')
      .columns(['account_id', 'at'])
      .execute();

    await db.schema
      .createTable('account_blocks')
      .addColumn('account_id', 'text', (c) => c.primaryKey())
      .addColumn('blocked_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('password_history')
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('password_history_account_id')
      .on('password_history')
      .columns(['account_id', 'created_at'])
      .execute();

    // sending limits count recent messages per account and per tenant
    await db.schema
      .createIndex('outbox_account_channel_created')
      .on('outbox')
      .columns(['account_id', 'channel', 'created_at'])
      .execute();
    await db.schema
      .createIndex('outbox_tenant_channel_created')
      .on('outbox')
      .columns(['tenant_id', 'channel', 'created_at'])
      .execute();

    // single use of CAPTCHA solutions
    await db.schema
      .createTable('captcha_used')
      .addColumn('signature', 'text', (c) => c.primaryKey())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
