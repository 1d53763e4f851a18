import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import pg from 'pg';
import { openSqlStore } from '../../src/adapters/sql/sql-store.ts';

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

export interface PostgresDatabaseOptions {
  /**
   * Already migrated: a copy of `sspr_template_<hash of the migrations>` (CREATE DATABASE … TEMPLATE),
   * which the first caller of a run builds. `migrate()` then has nothing to apply. Default: empty.
   */
  readonly migrated?: boolean;
}

/**
 * Creates a randomly named database, empty or migrated. Prefer `withPostgresDatabase` unless the test
 * needs a create/drop pair.
 *
 * A migrated database given back (`drop()`) is emptied and kept for the next test of this process
 * that asks for one, instead of being dropped: a `CREATE DATABASE … TEMPLATE` and its `DROP` cost the
 * server ~0.35 s of CPU, emptying the tables a fraction of it. It is kept only when no connection
 * to it is left open and its schema is the template's, untouched (`schemaOf`); otherwise it is
 * dropped as before. The kept ones are dropped when the process's tests end.
 */
export async function createPostgresDatabase(options: PostgresDatabaseOptions = {}): Promise<TestPostgresDatabase> {
  if (options.migrated) {
    const name = emptied.pop() ?? (await newDatabase(await migratedTemplate()));
    templateSchema ??= schemaOf(name);
    await templateSchema;
    let given = false;
    return {
      url: databaseUrl(name),
      drop: async () => {
        if (given) return;
        given = true;
        if (await emptiedForReuse(name)) emptied.push(name);
        else await dropDatabase(name);
      },
    };
  }
  const name = await newDatabase(null);
  return { url: databaseUrl(name), drop: () => dropDatabase(name) };
}

async function newDatabase(template: string | null): Promise<string> {
  const name = `sspr_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}${template ? ` template ${template}` : ''}`);
  return name;
}

function dropDatabase(name: string): Promise<void> {
  return adminQuery(`drop database if exists ${name} with (force)`);
}

/** Migrated databases of this process, emptied, waiting for the next test. */
const emptied: string[] = [];
// registered when this module loads, at the top level of a test file (a hook registered inside a
// running test would be that test's): the kept databases go when the process's tests end
after(async () => {
  for (const kept of emptied.splice(0)) await dropDatabase(kept);
});
/** The schema of a fresh copy of the template (`SCHEMA_OF`), read before the first copy is handed out. */
let templateSchema: Promise<string | undefined> | undefined;
const KEPT_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);

/**
 * Everything a test could have changed outside the rows: the tables, indexes, sequences, views,
 * functions and triggers of the public schema, and the migrations recorded. Equal to the template's
 * means a test neither migrated further nor added nor dropped anything.
 */
const SCHEMA_OF = `
  select coalesce((select string_agg(c.relkind::text || ':' || c.relname, ',' order by c.relname, c.relkind::text)
           from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public'), '')
    || '|' || coalesce((select string_agg(p.proname || '/' || md5(p.prosrc), ',' order by p.proname, md5(p.prosrc))
           from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public'), '')
    || '|' || coalesce((select string_agg(t.tgname || '@' || t.tgrelid::regclass::text || ':' || t.tgenabled::text, ',' order by t.tgname, t.tgrelid::regclass::text)
           from pg_trigger t where not t.tgisinternal), '')
    || '|' || coalesce((select string_agg(name, ',' order by name) from kysely_migration), '')
    as schema`;

async function schemaOf(name: string): Promise<string | undefined> {
  const client = helperClient(databaseUrl(name));
  try {
    await client.connect();
    return (await client.query<{ schema: string }>(SCHEMA_OF)).rows[0]?.schema;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Empties a migrated database a test has given back, for reuse: true when it is ready (no other
 * connection, schema untouched, every table but the migrations' emptied and its sequences restarted).
 */
async function emptiedForReuse(name: string): Promise<boolean> {
  const client = helperClient(databaseUrl(name));
  try {
    await client.connect();
    const others = await client.query<{ n: string }>(
      'select count(*) as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    if (Number(others.rows[0]?.n) !== 0) return false;
    const schema = (await client.query<{ schema: string }>(SCHEMA_OF)).rows[0]?.schema;
    if (schema === undefined || schema !== (await templateSchema)) return false;
    const tables = (
      await client.query<{ tablename: string }>("select tablename from pg_tables where schemaname = 'public'")
    ).rows
      .map((r) => r.tablename)
      .filter((t) => !KEPT_TABLES.has(t));
    if (tables.length > 0)
      await client.query(
        `truncate ${tables.map((t) => client.escapeIdentifier(t)).join(', ')} restart identity cascade`,
      );
    await client.query('update kysely_migration_lock set is_locked = 0');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

let template: Promise<string> | undefined;

/**
 * The name of the migrated template database of these migrations, built when missing. Test processes
 * run in parallel: the build holds an advisory lock, and the template appears under its name (a
 * rename) only once fully migrated, so no process copies a half-built one.
 */
function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const sqlDir = path.resolve(import.meta.dirname, '../../src/adapters/sql');
    const hash = createHash('sha256');
    for (const file of readdirSync(sqlDir)
      .filter((f) => /migrations?\.ts$/.test(f))
      .sort())
      hash.update(file).update(readFileSync(path.join(sqlDir, file)));
    const name = `sspr_template_${hash.digest('hex').slice(0, 16)}`;
    await withAdminClient(async (client) => {
      await client.query('select pg_advisory_lock(hashtext($1))', ['sspr_test_template']);
      try {
        const found = await client.query('select 1 from pg_database where datname = $1', [name]);
        if (found.rowCount) return;
        const building = `${name}_${randomBytes(4).toString('hex')}`;
        await client.query(`create database ${building}`);
        try {
          const store = await openSqlStore(databaseUrl(building));
          try {
            await store.migrate();
          } finally {
            await store.close();
          }
          await client.query(`alter database ${building} rename to ${name}`);
        } catch (error) {
          await client.query(`drop database if exists ${building} with (force)`);
          throw error;
        }
      } finally {
        await client.query('select pg_advisory_unlock(hashtext($1))', ['sspr_test_template']);
      }
    });
    return name;
  })();
  return template;
}

/** Runs `fn` with the URL of a fresh, migrated PostgreSQL database (see `migrated`), dropped afterwards whatever happens. */
export function withMigratedPostgresDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  return withPostgresDatabase(fn, { migrated: true });
}

/** Runs `fn` with the URL of a fresh PostgreSQL database (empty by default), dropped afterwards whatever happens. */
export async function withPostgresDatabase<T>(
  fn: (url: string) => Promise<T>,
  options: PostgresDatabaseOptions = {},
): Promise<T> {
  const database = await createPostgresDatabase(options);
  try {
    return await fn(database.url);
  } finally {
    await database.drop();
  }
}

let sqliteTemplate: Promise<string> | undefined;

/**
 * Writes a migrated SQLite database to `file` (a copy of one migrated once per test process), so
 * the App's own `migrate()` applies nothing. The template is removed when the process exits.
 */
export async function copyMigratedSqlite(file: string): Promise<void> {
  sqliteTemplate ??= (async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-template-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const templateFile = path.join(dir, 'sspr.db');
    const store = await openSqlStore(`sqlite:${templateFile}`);
    try {
      await store.migrate();
    } finally {
      await store.close(); // the last connection: the WAL is checkpointed into the file
    }
    return templateFile;
  })();
  copyFileSync(await sqliteTemplate, file);
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
  await withAdminClient((client) => client.query(text));
}

/**
 * A connection of these helpers (closed in a `finally`). When the server ends a connection that is
 * between queries (a `drop database … with (force)`, an administrator's kill), pg emits 'error' on
 * its client; without a listener that is an uncaught exception in the test process. A query in
 * flight still rejects with the error, so nothing is hidden.
 */
function helperClient(connectionString: string): pg.Client {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 30_000 });
  client.on('error', () => {});
  return client;
}

async function withAdminClient(fn: (client: pg.Client) => Promise<unknown>): Promise<void> {
  // a server that is not running refuses at once; a busy one (CI: test processes creating databases
  // from the template at once) took over 5 s to accept a connection on Node 24 at 8ec7ab0
  const client = helperClient(ADMIN_URL);
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL does not answer at ${ADMIN_URL} (start it; tests need it): ${String(error)}`);
  }
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}
