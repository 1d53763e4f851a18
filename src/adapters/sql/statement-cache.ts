import type { Database as BetterSqlite3Database, Statement } from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** Distinct SQL texts kept prepared; the repos issue a few dozen, IN-lists of varying length add some. */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * better-sqlite3 for Kysely with its prepared statements kept: Kysely prepares every query anew,
 * and on the reset hot paths that preparing was about a third of the server's CPU time per
 * request (bench/RESULTS.md). A statement is reused only after the previous use returned — Kysely
 * runs one query at a time on its single SQLite connection — so sharing one is safe. Least recently
 * prepared texts are dropped beyond `max`.
 */
export function withStatementCache(db: BetterSqlite3Database, max = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new Map<string, Statement>();
  return {
    close: () => void db.close(),
    prepare(sql: string): Statement {
      const cached = cache.get(sql);
      if (cached) return cached;
      const statement = db.prepare(sql);
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(sql, statement);
      return statement;
    },
  };
}
