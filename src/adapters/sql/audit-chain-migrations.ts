import { sql, type Kysely, type Migration } from 'kysely';
import { chainHash, chainKeyOf, GENESIS_HASH } from '../../core/audit-chain.ts';
import type { SqlDialect } from './migrations.ts';

/** Rows the backfill reads per query. */
const BACKFILL_PAGE = 1000;

/**
 * The tamper-evident audit log (issue 13, item 7; merged into `migrations()` as 0020): additive.
 * - `audit_events` gains `seq`, `prev_hash` and `hash` (nullable: a row without them is one sspr
 *   did not chain, which a verification reports as inserted); events already there are chained
 *   in id order, per tenant, by this migration.
 * - `audit_chain_heads`: per chain (tenant id, `''` for no tenant) the newest event's place and
 *   hash, plus the last verification. An append locks its chain's head row (an upsert) and reads
 *   the previous hash from it; a trigger moves the head to the new event in the same statement as
 *   the insert. That keeps each chain linear under concurrent transactions on PostgreSQL and costs
 *   one statement per append.
 * - `audit_checkpoints`: what a retention purge removed (last removed place and hash, count,
 *   time), signed with an HMAC from the keyring.
 * An older release keeps appending events without chain columns (reported as inserted by
 * `sspr audit verify` until every instance runs this release).
 */
export function auditChainMigration(dialect: SqlDialect): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
    async up(db: Kysely<any>) {
      // SQLite: one column per statement
      await db.schema.alterTable('audit_events').addColumn('seq', 'bigint').execute();
      await db.schema.alterTable('audit_events').addColumn('prev_hash', 'text').execute();
      await db.schema.alterTable('audit_events').addColumn('hash', 'text').execute();
      await db.schema
        .createTable('audit_chain_heads')
        .addColumn('chain', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('verified_at', 'bigint')
        .addColumn('verified_seq', 'bigint')
        .addColumn('verify_result', 'text')
        .execute();
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('chain', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('removed', 'bigint', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('mac', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_checkpoints_pkey', ['chain', 'seq'])
        .execute();

      // chain what is there, per tenant in id order
      const heads = new Map<string, { seq: number; hash: string }>();
      let after = 0;
      for (;;) {
        const rows = (await db
          .selectFrom('audit_events')
          .selectAll()
          .where('id', '>', after)
          .orderBy('id')
          .limit(BACKFILL_PAGE)
          .execute()) as Array<Record<string, unknown>>;
        for (const row of rows) {
          const tenantId = (row.tenant_id as string | null) ?? null;
          const key = chainKeyOf(tenantId);
          const head = heads.get(key) ?? { seq: 0, hash: GENESIS_HASH };
          const hash = chainHash(head.hash, {
            at: Number(row.at),
            tenantId,
            accountId: (row.account_id as string | null) ?? null,
            actor: row.actor as string,
            type: row.type as string,
            outcome: row.outcome as string,
            ip: (row.ip as string | null) ?? null,
            userAgent: (row.user_agent as string | null) ?? null,
            details: JSON.parse(row.details as string) as Record<string, string | number | boolean | null>,
          });
          await db
            .updateTable('audit_events')
            .set({ seq: head.seq + 1, prev_hash: head.hash, hash })
            .where('id', '=', row.id)
            .execute();
          heads.set(key, { seq: head.seq + 1, hash });
        }
        if (rows.length < BACKFILL_PAGE) break;
        after = Number(rows[rows.length - 1]!.id);
      }
      for (const [chain, head] of heads) {
        await db.insertInto('audit_chain_heads').values({ chain, seq: head.seq, hash: head.hash }).execute();
      }

      await db.schema
        .createIndex('audit_events_chain')
        .on('audit_events')
        .columns(['tenant_id', 'seq', 'id'])
        .execute();

      // the head follows every chained insert, in the insert's own statement
      if (dialect === 'postgres') {
        await sql`create function sspr_audit_chain_head() returns trigger language plpgsql as $$
          begin
            update audit_chain_heads set seq = new.seq, hash = new.hash
              where chain = coalesce(new.tenant_id, '') and seq < new.seq;
            return null;
          end $$`.execute(db);
        await sql`create trigger audit_events_chain_head after insert on audit_events
          for each row when (new.seq is not null and new.hash is not null)
          execute function sspr_audit_chain_head()`.execute(db);
      } else {
        await sql`create trigger audit_events_chain_head after insert on audit_events
          when new.seq is not null and new.hash is not null
          begin
            update audit_chain_heads set seq = new.seq, hash = new.hash
              where chain = coalesce(new.tenant_id, '') and seq < new.seq;
          end`.execute(db);
      }
    },
  };
}
