import type { Kysely, Migration } from 'kysely';
import type { SqlDialect } from './migrations.ts';

/**
 * A tenant's look and words (issue 12, item 6; merged into `migrations()` as 0016): additive, one
 * new table an older release ignores. The logo is kept as its re-encoded PNG (at most a few
 * hundred KiB, one per tenant), so every instance serves it without a shared disk.
 */
export function tenantLookMigration(dialect: SqlDialect): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('tenant_looks')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
        .addColumn('display_name', 'text')
        .addColumn('primary_colour', 'text')
        .addColumn('host', 'text')
        .addColumn('start_notes', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('logo_hash', 'text')
        .addColumn('logo_width', 'integer')
        .addColumn('logo_height', 'integer')
        .addColumn('logo_png', dialect === 'postgres' ? 'bytea' : 'blob')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      // one address, one tenant (NULLs do not collide on either database)
      await db.schema.createIndex('tenant_looks_host').on('tenant_looks').column('host').unique().execute();
    },
  };
}
