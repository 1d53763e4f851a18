import { sql, type Kysely } from 'kysely';
import type { Database } from './database.ts';

let savepoints = 0;

/**
 * Runs `fn` so that its writes apply all or nothing, without disturbing the caller's
 * transaction: inside a transaction it uses a savepoint (on PostgreSQL a failed statement would
 * otherwise abort the whole transaction); outside one it opens its own transaction. Lets a repo
 * turn a unique-constraint violation into a `Result` and carry on.
 */
export async function atomic<T>(db: Kysely<Database>, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (!db.isTransaction) return db.transaction().execute(fn);
  const name = sql.raw(`sspr_sp_${++savepoints}`);
  await sql`savepoint ${name}`.execute(db);
  try {
    const result = await fn(db);
    await sql`release savepoint ${name}`.execute(db);
    return result;
  } catch (error) {
    await sql`rollback to savepoint ${name}`.execute(db);
    await sql`release savepoint ${name}`.execute(db);
    throw error;
  }
}

/** True for a unique or primary-key violation on either dialect (pg `23505`, better-sqlite3 `SQLITE_CONSTRAINT_*`). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Clamps a caller's limit: default 100, at most 1000, never negative. */
export function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return 100;
  return Math.min(1000, Math.max(0, Math.floor(limit)));
}

/** Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}
