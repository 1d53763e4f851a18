import assert from 'node:assert/strict';
import test from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { CamelCasePlugin, Kysely, PostgresDialect, sql, SqliteDialect } from 'kysely';
import type pg from 'pg';
import type { Database } from '../../src/adapters/sql/database.ts';
import { columns, SqlTemplate, TemplateFamily } from '../../src/adapters/sql/sql-template.ts';

/** Kysely on each dialect; compiling needs no connection (the pool is never asked for one). */
function dialects(): { name: string; db: Kysely<Database> }[] {
  const pool = { connect: () => Promise.reject(new Error('no connection in this test')) } as unknown as pg.Pool;
  return [
    {
      name: 'sqlite',
      db: new Kysely<Database>({ dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }) }),
    },
    { name: 'postgres', db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }) },
  ];
}

type CodeArgs = { flow_id: string; channel: string; max: number; since: number | null };

const build = (db: Kysely<Database>, p: CodeArgs) =>
  db
    .updateTable('flow_codes')
    .set({ attempts: sql<number>`attempts + 1`, superseded_at: p.since })
    .where('flow_id', '=', p.flow_id)
    .where('channel', 'in', [p.channel, 'email'])
    .where('attempts', '<', p.max)
    .where('used_at', 'is', null)
    .where((eb) => eb.or([eb('sent_at', '>=', p.max), eb('expires_at', '>', p.max)]))
    .returning('attempts');

test('sql template: the text and parameters are those the builder gives for the same values, on both dialects', () => {
  const template = new SqlTemplate(build);
  for (const { name, db } of dialects()) {
    for (const args of [
      { flow_id: 'f1', channel: 'sms', max: 5, since: 1700 },
      { flow_id: "o'brien", channel: 'email', max: 0, since: null },
    ]) {
      const expected = build(db, args).compile();
      const got = template.compile(db, args);
      assert.equal(got.sql, expected.sql, name);
      assert.deepEqual(got.parameters, expected.parameters, name);
    }
  }
});

test('sql template: a statement is built once per dialect, a family once per shape', () => {
  let builds = 0;
  const template = new SqlTemplate((db, p: { id: string }) => {
    builds++;
    return db.selectFrom('flows').selectAll().where('id', '=', p.id);
  });
  const [sqlite, postgres] = dialects();
  for (let i = 0; i < 5; i++) template.compile(sqlite!.db, { id: `f${i}` });
  // the first build and its check with null values
  assert.equal(builds, 2);
  template.compile(postgres!.db, { id: 'f' });
  assert.equal(builds, 4);
  // another store of a dialect: the same text
  for (const other of dialects()) assert.deepEqual(template.compile(other.db, { id: 'g' }).parameters, ['g']);
  assert.equal(builds, 4);

  let familyBuilds = 0;
  const family = new TemplateFamily(
    (set: readonly string[]) => set.join(),
    (set) => (db, p: Record<string, string | number | null> & { id: string }) => {
      familyBuilds++;
      return db
        .updateTable('flows')
        .set(Object.fromEntries(set.map((c) => [c, p[c]])))
        .where('id', '=', p.id);
    },
  );
  const a = family.of(['state']).compile(sqlite!.db, { id: 'x', state: 'sent' });
  const b = family.of(['state', 'passed']).compile(sqlite!.db, { id: 'y', state: 'passed', passed: 2 });
  family.of(['state']).compile(sqlite!.db, { id: 'z', state: 'expired' });
  assert.equal(familyBuilds, 4);
  assert.equal(a.sql, 'update "flows" set "state" = ? where "id" = ?');
  assert.deepEqual(a.parameters, ['sent', 'x']);
  assert.equal(b.sql, 'update "flows" set "state" = ?, "passed" = ? where "id" = ?');
  assert.deepEqual(b.parameters, ['passed', 2, 'y']);
});

test('sql template: a value used for anything but a parameter is refused at the first build', () => {
  const { db } = dialects()[0]!;
  const cases: [string, SqlTemplate<{ a: string | null; n: number }>, RegExp][] = [
    [
      'computed',
      new SqlTemplate((d, p) => d.selectFrom('flows').selectAll().where('id', '=', `${p.a}-x`)),
      /computed from a value/,
    ],
    [
      'arithmetic',
      new SqlTemplate((d, p) =>
        d
          .selectFrom('flows')
          .selectAll()
          .where('version', '=', p.n + 1),
      ),
      /computed from a value/,
    ],
    ['in the text', new SqlTemplate((_d, p) => sql`select ${sql.raw(String(p.a))}`), /part of the text/],
    [
      'a choice of shape',
      new SqlTemplate((d, p) =>
        d
          .selectFrom('flows')
          .selectAll()
          .$if(p.a !== null, (q) => q.where('state', '=', 'x')),
      ),
      /not a parameter/,
    ],
    [
      'is null',
      new SqlTemplate((d, p) => d.selectFrom('flows').selectAll().where('gate_accepts', 'is', p.a)),
      /changes when a value is null/,
    ],
    [
      'spread',
      new SqlTemplate((d, p) => d.insertInto('rate_limits').values({ ...(p as object), key: 'k', points: 1 })),
      /spread/,
    ],
  ];
  for (const [name, template, error] of cases) {
    assert.throws(() => template.compile(db, { a: 'v', n: 1 }), error, name);
  }
});

test('sql template: runs on SQLite: rows, first, affected; columns() names every value of a row', async () => {
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }) });
  await sql`create table rate_limits (key text primary key, points integer not null, expire integer)`.execute(db);
  const insert = new SqlTemplate((d, p: { key: string; points: number; expire: number | null }) =>
    d.insertInto('rate_limits').values(columns(p, { key: true, points: true, expire: true })),
  );
  const get = new SqlTemplate((d, p: { key: string }) =>
    d.selectFrom('rate_limits').select(['points', 'expire']).where('key', '=', p.key),
  );
  const list = new SqlTemplate((d, p: { min: number }) =>
    d.selectFrom('rate_limits').select('key').where('points', '>=', p.min).orderBy('key'),
  );
  const remove = new SqlTemplate((d, p: { min: number }) => d.deleteFrom('rate_limits').where('points', '>=', p.min));
  await insert.run(db, { key: 'a', points: 1, expire: null });
  await insert.run(db, { key: 'b', points: 5, expire: 99 });
  await insert.run(db, { key: 'c', points: 7, expire: 100 });
  assert.deepEqual(await get.first(db, { key: 'b' }), { points: 5, expire: 99 });
  assert.equal(await get.first(db, { key: 'nobody' }), undefined);
  assert.deepEqual(await list.rows(db, { min: 2 }), [{ key: 'b' }, { key: 'c' }]);
  assert.equal(await remove.affected(db, { min: 6 }), 1n);
  assert.equal(await remove.affected(db, { min: 6 }), 0n);
  await db.destroy();
});

test('sql template: a store with plugins builds the statement at every call', () => {
  let builds = 0;
  const template = new SqlTemplate((db, p: { id: string }) => {
    builds++;
    return db.selectFrom('flows').selectAll().where('id', '=', p.id);
  });
  const { db } = dialects()[0]!;
  const camel = db.withPlugin(new CamelCasePlugin());
  const a = template.compile(camel, { id: 'a' });
  template.compile(camel, { id: 'b' });
  assert.equal(builds, 2);
  assert.deepEqual(a.parameters, ['a']);
});
