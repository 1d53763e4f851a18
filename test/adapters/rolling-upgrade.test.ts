import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import { migrationPlan, migrations, type SqlDialect } from '../../src/adapters/sql/migrations.ts';
import { openSqlStore } from '../../src/adapters/sql/sql-store.ts';
import { createPostgresDatabase, tempSqliteUrl } from '../helpers/databases.ts';
import { createResetHarness, RC } from '../helpers/reset-harness.ts';

/**
 * Rolling upgrades (issue 9, item 11): the next release migrates the shared database while
 * instances of this release still run, and one of them restarts. The "next release" here is this
 * release's migration list plus one additive migration (a new table, a nullable column on tables
 * a reset writes to).
 */

const FUTURE = '9000_next_release';

const futureMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('next_release_notes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('note', 'text')
      .execute();
    await db.schema.alterTable('outbox').addColumn('next_release_hint', 'text').execute();
    await db.schema.alterTable('flows').addColumn('next_release_hint', 'text').execute();
  },
};

/** Kysely on the same database, outside the store: what the next release's `migrate()` does. */
function rawKysely(url: string): Kysely<unknown> {
  if (url.startsWith('sqlite:')) {
    return new Kysely({ dialect: new SqliteDialect({ database: new SqliteDatabase(url.slice('sqlite:'.length)) }) });
  }
  return new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) });
}

async function migrateWith(url: string, list: Record<string, Migration>): Promise<void> {
  const db = rawKysely(url);
  try {
    const result = await new Migrator({ db, provider: { getMigrations: async () => list } }).migrateToLatest();
    if (result.error) throw result.error;
  } finally {
    await db.destroy();
  }
}

function captureWarnings(): { warn: (obj: object | string, msg?: string) => void; lines: unknown[][] } {
  const lines: unknown[][] = [];
  return { warn: (obj, msg) => void lines.push([obj, msg]), lines };
}

async function olderInstanceStarts(dialect: SqlDialect, url: string): Promise<void> {
  await migrateWith(url, { ...migrations(dialect), [FUTURE]: futureMigration });

  // this release restarts against the newer schema: it starts, says so, and migrates nothing
  const store = await openSqlStore(url);
  const log = captureWarnings();
  try {
    assert.deepEqual(await store.migrate({ log }), []);
    assert.deepEqual(await store.migrate({ log }), [], 'a second start behaves the same');
  } finally {
    await store.close();
  }
  assert.equal(log.lines.length, 2, 'one warning per start');
  const [fields, message] = log.lines[0]!;
  assert.deepEqual(fields, { unknownMigrations: [FUTURE] });
  assert.match(String(message), /migrated by a newer release/);

  // and it works: a reset start writes a flow, its code and the message (tables the future migration changed)
  const h = await createResetHarness({ databaseUrl: url });
  try {
    const started = await h.reset.start('user@contoso.example', RC);
    assert.equal(started.ok, true, JSON.stringify(started));
    const code = await h.lastCode('uma.home@personal.example');
    assert.match(code, /^\d{6}$/);
    const db = rawKysely(url);
    try {
      await sql`select id, note from next_release_notes`.execute(db);
      const hints = await sql<{ n: number }>`select count(*) as n from outbox where next_release_hint is null`.execute(
        db,
      );
      assert.ok(Number(hints.rows[0]!.n) > 0, "the newer release's column is still there, untouched");
    } finally {
      await db.destroy();
    }
  } finally {
    await h.close();
  }
}

describe('rolling upgrade: an instance of this release starts against a database migrated by the next one', () => {
  test('SQLite: starts with a warning naming the unknown migration, migrates nothing, and a reset start succeeds', async () => {
    const { url, cleanup } = tempSqliteUrl();
    try {
      await olderInstanceStarts('sqlite', url);
    } finally {
      cleanup();
    }
  });

  test('PostgreSQL: starts with a warning naming the unknown migration, migrates nothing, and a reset start succeeds', async () => {
    const database = await createPostgresDatabase();
    try {
      await olderInstanceStarts('postgres', database.url);
    } finally {
      await database.drop();
    }
  });

  test('a database that holds an unknown migration but lacks a known one is refused, naming both', async () => {
    const { url, cleanup } = tempSqliteUrl();
    try {
      const all = migrations('sqlite');
      const names = Object.keys(all).sort();
      const lastKnown = names.at(-1)!;
      const { [lastKnown]: _skipped, ...withoutLast } = all;
      await migrateWith(url, { ...withoutLast, [FUTURE]: futureMigration });
      const store = await openSqlStore(url);
      try {
        await assert.rejects(
          store.migrate(),
          (e: Error) =>
            e.message.includes(FUTURE) && e.message.includes(lastKnown) && /lacks ones it needs/.test(e.message),
        );
      } finally {
        await store.close();
      }
    } finally {
      cleanup();
    }
  });
});

test('migrationPlan: up to date, pending, newer (rolling upgrade) and diverged', () => {
  const known = ['0001_a', '0002_b'];
  assert.deepEqual(migrationPlan(known, null), { kind: 'pending', pending: ['0001_a', '0002_b'] });
  assert.deepEqual(migrationPlan(known, ['0001_a']), { kind: 'pending', pending: ['0002_b'] });
  assert.deepEqual(migrationPlan(known, ['0002_b', '0001_a']), { kind: 'up_to_date' });
  assert.deepEqual(migrationPlan(known, ['0001_a', '0002_b', '0003_c']), { kind: 'newer', unknown: ['0003_c'] });
  assert.deepEqual(migrationPlan(known, ['0001_a', '0003_c']), {
    kind: 'diverged',
    unknown: ['0003_c'],
    pending: ['0002_b'],
  });
});
