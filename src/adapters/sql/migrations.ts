import { sql, type Kysely, type Migration } from 'kysely';
import { resetFlowMigration } from './reset-migrations.ts';
import { helpSupportMigration } from './help-support-migrations.ts';
import { securityInfoMigration } from './security-info-migrations.ts';
import { tenantLookMigration } from './tenant-look-migrations.ts';
import { callerCheckMigration, callerPasskeyMigration } from './caller-check-migrations.ts';
import { authenticatorMigration } from './authenticator-migrations.ts';
import { operatorPasskeyMigration, passkeyMigration } from './passkey-migrations.ts';
import { auditChainMigration } from './audit-chain-migrations.ts';
import { consoleFactorMigration } from './console-factor-migrations.ts';

export type SqlDialect = 'sqlite' | 'postgres';

/** Where Kysely's Migrator records the names it applied. */
export const MIGRATION_TABLE = 'kysely_migration';

/**
 * What `migrate()` does with a database, from the names this release knows and the names the
 * database says were applied (null: never migrated):
 * - `up_to_date`: every known migration applied, nothing else;
 * - `pending`: some known migrations to apply, nothing unknown;
 * - `newer`: a newer release migrated it — every known migration applied, plus `unknown` ones.
 *   Migrations are additive between adjacent releases (docs/operations.md), so this release runs
 *   on it as it is (a rolling upgrade: old and new instances share the database for a while);
 * - `diverged`: unknown migrations AND known ones missing — not an adjacent release; refuse.
 */
export type MigrationPlan =
  | { readonly kind: 'up_to_date' }
  | { readonly kind: 'pending'; readonly pending: readonly string[] }
  | { readonly kind: 'newer'; readonly unknown: readonly string[] }
  | { readonly kind: 'diverged'; readonly unknown: readonly string[]; readonly pending: readonly string[] };

export function migrationPlan(known: readonly string[], executed: readonly string[] | null): MigrationPlan {
  const done = new Set(executed ?? []);
  const knownSet = new Set(known);
  const pending = known.filter((name) => !done.has(name)).sort();
  const unknown = [...done].filter((name) => !knownSet.has(name)).sort();
  if (unknown.length === 0) return pending.length === 0 ? { kind: 'up_to_date' } : { kind: 'pending', pending };
  return pending.length === 0 ? { kind: 'newer', unknown } : { kind: 'diverged', unknown, pending };
}

/**
 * The schema, as Kysely migrations in code. Each migration uses the schema builder so that the
 * same steps run on SQLite and PostgreSQL; the only dialect-specific column is the audit id
 * (`integer primary key autoincrement` on SQLite, `bigint generated always as identity` on
 * PostgreSQL). Names sort in the order they apply; never edit an applied migration, add one.
 *
 * `db` is typed `Kysely<unknown>`-like on purpose: a migration sees the schema as it was then,
 * not as `Database` describes it today.
 *
 * Between adjacent releases migrations are ADDITIVE: new tables, new nullable (or defaulted)
 * columns, new indexes. Never drop or rename a column or table the previous release uses, and
 * never add a NOT NULL column without a default: during a rolling upgrade the previous release
 * keeps running on the migrated schema (see `migrationPlan`). Drop what is no longer used one
 * release later. Add a migration at the END of the list with the next free number.
 */
export function migrations(dialect: SqlDialect): Record<string, Migration> {
  return {
    '0001_directory': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('tenants')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('policy', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('tenant_domains')
          .addColumn('domain', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .execute();
        await db.schema.createIndex('tenant_domains_tenant_id').on('tenant_domains').column('tenant_id').execute();

        await db.schema
          .createTable('accounts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('login', 'text', (c) => c.notNull().unique())
          .addColumn('display_name', 'text', (c) => c.notNull())
          .addColumn('display_name_lower', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('enabled', 'integer', (c) => c.notNull())
          .addColumn('password_hash', 'text')
          .addColumn('must_change_password', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('accounts_tenant_id_login')
          .on('accounts')
          .columns(['tenant_id', 'login'])
          .execute();

        await db.schema
          .createTable('methods')
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addColumn('verified_at', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('methods_pkey', ['account_id', 'kind'])
          .execute();

        await db.schema
          .createTable('sessions')
          .addColumn('id_hash', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('revoked_at', 'bigint')
          .execute();
        await db.schema.createIndex('sessions_account_id').on('sessions').column('account_id').execute();
      },
    },

    '0002_outbox': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
      async up(db: Kysely<any>) {
        // No foreign keys: a queued notice must not block (or be cascaded away by) directory changes.
        await db.schema
          .createTable('outbox')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text')
          .addColumn('account_id', 'text')
          .addColumn('channel', 'text', (c) => c.notNull())
          .addColumn('template', 'text', (c) => c.notNull())
          .addColumn('recipient_sealed', 'text')
          .addColumn('payload_sealed', 'text')
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('sent_at', 'bigint')
          .addColumn('finished_at', 'bigint')
          .addColumn('claimed_by', 'text')
          .addColumn('claimed_until', 'bigint')
          .execute();
        await db.schema
          .createIndex('outbox_status_next_attempt_at')
          .on('outbox')
          .columns(['status', 'next_attempt_at'])
          .execute();
      },
    },

    '0003_audit': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
      async up(db: Kysely<any>) {
        // Append-only; no foreign keys so that the trail outlives what it talks about.
        await db.schema
          .createTable('audit_events')
          .addColumn('id', dialect === 'sqlite' ? 'integer' : 'bigint', (c) =>
            dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedAlwaysAsIdentity(),
          )
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('tenant_id', 'text')
          .addColumn('account_id', 'text')
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('ip', 'text')
          .addColumn('user_agent', 'text')
          .addColumn('details', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('audit_events_tenant_id_at')
          .on('audit_events')
          .columns(['tenant_id', 'at'])
          .execute();
        await db.schema
          .createIndex('audit_events_account_id_at')
          .on('audit_events')
          .columns(['account_id', 'at'])
          .execute();
      },
    },

    '0004_reset_flow': resetFlowMigration,
    '0005_signin': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('signin_guard')
          .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
          .addColumn('failures', 'integer', (c) => c.notNull())
          .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    '0006_security_info': securityInfoMigration,
    '0007_admin': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('assisted_links')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('password_hash_at_issue', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('used_at', 'bigint')
          .addColumn('grant_hash', 'text', (c) => c.unique())
          .addColumn('grant_expires_at', 'bigint')
          .addColumn('completed_at', 'bigint')
          .addColumn('superseded_at', 'bigint')
          .execute();
        await db.schema.createIndex('assisted_links_account_id').on('assisted_links').column('account_id').execute();
        await db.schema
          .createTable('temp_passwords')
          .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    '0008_help_support': helpSupportMigration,
    '0009_api_keys': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('secret_hash', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_used_at', 'bigint')
          .addColumn('expires_at', 'bigint')
          .addColumn('revoked_at', 'bigint')
          .addColumn('revoked_by', 'text')
          .execute();
        await db.schema.createIndex('api_keys_tenant_id').on('api_keys').column('tenant_id').execute();
      },
    },
    '0010_rate_limits': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('rate_limits')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('points', 'integer', (c) => c.notNull())
          .addColumn('expire', 'bigint')
          .execute();
        await db.schema.createIndex('rate_limits_expire').on('rate_limits').column('expire').execute();
      },
    },
    '0011_outbox_notify': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
      async up(db: Kysely<any>) {
        // PostgreSQL: announce new outbox messages from a trigger instead of a `pg_notify` round trip
        // per message (delivered at commit, folded within one transaction; see pg-outbox-listener.ts)
        if (dialect !== 'postgres') return;
        await sql`create function sspr_outbox_notify() returns trigger language plpgsql as $$
          begin
            perform pg_notify('sspr_outbox', '');
            return null;
          end $$`.execute(db);
        await sql`create trigger outbox_notify after insert on outbox
          for each statement execute function sspr_outbox_notify()`.execute(db);
      },
    },
    '0012_outbox_code_ref': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
      async up(db: Kysely<any>) {
        // additive: the code a message carries (checked at send time: a replaced, used or ended
        // code is never delivered), and finding failed messages for the console and a metric.
        // An older release ignores both.
        await db.schema.alterTable('outbox').addColumn('code_id', 'text').execute();
        await db.schema.createIndex('outbox_status_finished').on('outbox').columns(['status', 'finished_at']).execute();
      },
    },
    '0013_flows_login': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
      async up(db: Kysely<any>) {
        // additive: a new start ends the earlier flows of the same login (issue 9, item 3), found
        // by login for logins without an account — an index, so a flood of starts for one unknown
        // login costs what it costs for a real account
        await db.schema.createIndex('flows_login_state').on('flows').columns(['login', 'state']).execute();
      },
    },
    '0014_outbox_channel_sent': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
      async up(db: Kysely<any>) {
        // additive: a channel's last delivery by index, for the "messages are delayed" notice
        // (sql-delivery-health-repo.ts reads it every few seconds per instance)
        await db.schema.createIndex('outbox_channel_sent_at').on('outbox').columns(['channel', 'sent_at']).execute();
      },
    },
    '0015_external_directory': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
      async up(db: Kysely<any>) {
        // additive (issue 11): a tenant's directory (OpenLDAP, AD) and the directory's stable id of
        // an account that comes from it; an older release ignores both (and keeps builtin behaviour)
        await db.schema
          .createTable('tenant_directories')
          .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
          .addColumn('settings', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.alterTable('accounts').addColumn('external_id', 'text').execute();
        await db.schema
          .createIndex('accounts_tenant_external_id')
          .on('accounts')
          .columns(['tenant_id', 'external_id'])
          .unique()
          .execute();
      },
    },
    '0016_tenant_looks': tenantLookMigration(dialect),
    '0017_account_locale': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
      async up(db: Kysely<any>) {
        // additive (issue 12): the language a signed-in person chose; an older release ignores it
        await db.schema.alterTable('accounts').addColumn('locale', 'text').execute();
      },
    },
    '0018_tenant_locale': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
      async up(db: Kysely<any>) {
        // additive (issue 12): a tenant's default language and time zone; NULL is English and
        // UTC, which is what an older release shows anyway (SQLite: one column per statement)
        await db.schema.alterTable('tenant_looks').addColumn('default_locale', 'text').execute();
        await db.schema.alterTable('tenant_looks').addColumn('time_zone', 'text').execute();
      },
    },
    '0020_audit_chain': auditChainMigration(dialect),
    '0021_authenticators': authenticatorMigration,
    '0023_passkeys': passkeyMigration,
    '0022_caller_checks': callerCheckMigration,
    '0024_console_factors': consoleFactorMigration,
    '0025_flow_gate_accepts': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
      async up(db: Kysely<any>) {
        // additive (issue 13 item 3): the proofs each gate of a flow accepts under the tenant's gate
        // policy; NULL on a flow an older release started (its gates keep the rules of that time)
        await db.schema.alterTable('flows').addColumn('gate_accepts', 'text').execute();
      },
    },
    '0026_operator_passkeys': operatorPasskeyMigration,
    '0027_caller_passkey': callerPasskeyMigration,
  };
}
