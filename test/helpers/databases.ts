import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * Real databases for tests.
 *
 * PostgreSQL: the server at 127.0.0.1:5432, user `postgres` (trust auth). Each call creates its own
 * database `sspr_test_<random hex>` and drops it afterwards, so tests run in parallel without seeing
 * each other. When the server does not answer, the call throws and the test FAILS: CI treats a
 * missing service as a failure, never as a skip.
 *
 * Set SSPR_TEST_PG_ADMIN_URL to use another server (it must point at an existing database that the
 * user may CREATE DATABASE from, e.g. `postgres://postgres@127.0.0.1:5432/postgres`).
 */
const ADMIN_URL = process.env.SSPR_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestPostgresDatabase {
  /** `postgres://postgres@127.0.0.1:5432/sspr_test_<hex>` */
  readonly url: string;
  /** Drops the database WITH (FORCE), ending any connection still open. Close your pools first anyway. */
  drop(): Promise<void>;
}

/** Creates an empty, randomly named database. Prefer `withPostgresDatabase` unless the test needs a create/drop pair. */
export async function createPostgresDatabase(): Promise<TestPostgresDatabase> {
  const name = `sspr_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(`drop database if exists ${name} with (force)`) };
}

/** Runs `fn` with the URL of a fresh PostgreSQL database, dropped afterwards whatever happens. */
export async function withPostgresDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const database = await createPostgresDatabase();
  try {
    return await fn(database.url);
  } finally {
    await database.drop();
  }
}

/** A `sqlite:` URL for a file in a fresh temp folder; `cleanup()` removes the folder (close the store first). */
export function tempSqliteUrl(): { url: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-test-'));
  return {
    url: `sqlite:${path.join(dir, 'sspr.db')}`,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL does not answer at ${ADMIN_URL} (start it; tests need it): ${String(error)}`);
  }
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
