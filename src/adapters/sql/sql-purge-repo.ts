import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { PurgeBatches, PurgeRepo, PurgeTarget } from '../../ports/purge-store.ts';
import type { Database } from './database.ts';
import type { SqlDialect } from './migrations.ts';

/** Advisory lock key of the purge (PostgreSQL): one instance purges at a time. */
const PURGE_LOCK = sql`hashtext('sspr.purge')`;

/** Which rows of each table are older than `before`. */
function condition(target: PurgeTarget, before: number): { table: string; where: RawBuilder<unknown> } {
  switch (target) {
    case 'flows':
      return { table: 'flows', where: sql`created_at < ${before}` };
    case 'outbox':
      return {
        table: 'outbox',
        where: sql`status in ('sent', 'failed', 'expired') and finished_at < ${before}`,
      };
    case 'sessions':
      return { table: 'sessions', where: sql`expires_at < ${before}` };
    case 'verification_failures':
      return { table: 'verification_failures', where: sql`at < ${before}` };
    case 'account_blocks':
      return { table: 'account_blocks', where: sql`blocked_at < ${before}` };
    case 'captcha_used':
      return { table: 'captcha_used', where: sql`expires_at < ${before}` };
    case 'rate_limits':
      return { table: 'rate_limits', where: sql`expire is not null and expire < ${before}` };
    case 'operator_sessions':
      return { table: 'operator_sessions', where: sql`expires_at < ${before}` };
    case 'security_info_pending':
      return { table: 'security_info_pending', where: sql`expires_at < ${before}` };
  }
}

/**
 * Batch deletes over Kysely. A batch addresses rows by their physical id (PostgreSQL `ctid`,
 * SQLite `rowid`), so tables without a primary key purge the same way:
 * `DELETE … WHERE ctid = ANY(ARRAY(SELECT ctid … LIMIT n))` on PostgreSQL (a TID scan) and
 * `DELETE … WHERE rowid IN (SELECT rowid … LIMIT n)` on SQLite. Codes of a deleted flow go by
 * `ON DELETE CASCADE`.
 */
export class SqlPurgeRepo implements PurgeRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {}

  async exclusive<T>(fn: (batches: PurgeBatches) => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    if (this.dialect === 'sqlite') return { ran: true, value: await fn(new Batches(this.db, this.dialect)) };
    // a session-level lock needs one connection for the whole run; each batch still commits on its own
    return this.db.connection().execute(async (conn) => {
      const got = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${PURGE_LOCK}) as locked`.execute(conn);
      if (!got.rows[0]?.locked) return { ran: false };
      try {
        return { ran: true, value: await fn(new Batches(conn, this.dialect)) };
      } finally {
        await sql`select pg_advisory_unlock(${PURGE_LOCK})`.execute(conn);
      }
    });
  }
}

class Batches implements PurgeBatches {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {}

  async deleteBatch(target: PurgeTarget, before: number, limit: number): Promise<number> {
    const n = Math.max(0, Math.floor(limit));
    if (n === 0) return 0;
    const { table, where } = condition(target, before);
    const t = sql.table(table);
    const query =
      this.dialect === 'postgres'
        ? sql`delete from ${t} where ctid = any(array(select ctid from ${t} where ${where} limit ${n}))`
        : sql`delete from ${t} where rowid in (select rowid from ${t} where ${where} limit ${n})`;
    const result = await query.execute(this.db);
    return Number(result.numAffectedRows ?? 0n);
  }
}
