import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlStore, type SqlStore } from '../../src/adapters/sql/sql-store.ts';
import { SqlLimiter } from '../../src/adapters/sql-limiter.ts';
import { tempSqliteUrl, withMigratedPostgresDatabase } from '../helpers/databases.ts';
import { ManualClock } from '../helpers/manual-clock.ts';

async function onSqlite(fn: (open: () => Promise<SqlStore>) => Promise<void>): Promise<void> {
  const db = tempSqliteUrl();
  try {
    await fn(async () => {
      const store = await openSqlStore(db.url);
      await store.migrate();
      return store;
    });
  } finally {
    db.cleanup();
  }
}

async function onPostgres(fn: (open: () => Promise<SqlStore>) => Promise<void>): Promise<void> {
  await withMigratedPostgresDatabase((url) =>
    fn(async () => {
      const store = await openSqlStore(url);
      await store.migrate();
      return store;
    }),
  );
}

for (const [name, run] of [
  ['SQLite', onSqlite],
  ['PostgreSQL', onPostgres],
] as const) {
  describe(`SQL limiter (rate-limiter-flexible on ${name})`, () => {
    test('counts to the limit, refuses with the time left, and starts again when the window ends', () =>
      run(async (open) => {
        const store = await open();
        try {
          const clock = new ManualClock();
          const limiter = new SqlLimiter(store, clock);
          for (let i = 0; i < 3; i++) assert.equal((await limiter.consume('ip:a', 3, 1_000)).allowed, true);
          clock.advance(400);
          const refused = await limiter.consume('ip:a', 3, 1_000);
          assert.equal(refused.allowed, false);
          assert.equal(refused.retryAfterMs, 600, 'the window started at the first event');
          // another key and another limit count on their own
          assert.equal((await limiter.consume('ip:b', 3, 1_000)).allowed, true);
          assert.equal((await limiter.consume('ip:a', 5, 1_000)).allowed, true);
          clock.advance(refused.retryAfterMs - 1);
          assert.equal((await limiter.consume('ip:a', 3, 1_000)).allowed, false, '1 ms before the window ends');
          clock.advance(1);
          assert.equal((await limiter.consume('ip:a', 3, 1_000)).allowed, true, 'the window ended');
        } finally {
          await store.close();
        }
      }));

    test('parallel events never overrun the limit', () =>
      run(async (open) => {
        const store = await open();
        try {
          const limiter = new SqlLimiter(store);
          const results = await Promise.all(
            Array.from({ length: 50 }, () => limiter.consume('ip:burst', 10, 60_000, { failClosed: true })),
          );
          assert.equal(results.filter((r) => r.allowed).length, 10);
          assert.equal(results.filter((r) => r.unavailable).length, 0);
        } finally {
          await store.close();
        }
      }));

    test('counts survive a restart and are shared by two processes on the same database', () =>
      run(async (open) => {
        const a = await open();
        const b = await open();
        try {
          const first = new SqlLimiter(a);
          const second = new SqlLimiter(b);
          assert.equal((await first.consume('ip:c', 2, 60_000)).allowed, true);
          assert.equal((await second.consume('ip:c', 2, 60_000)).allowed, true);
          assert.equal((await first.consume('ip:c', 2, 60_000)).allowed, false);
          assert.equal((await new SqlLimiter(b).consume('ip:c', 2, 60_000)).allowed, false);
        } finally {
          await a.close();
          await b.close();
        }
      }));

    test('counting inside a transaction commits or rolls back with it', () =>
      run(async (open) => {
        const store = await open();
        try {
          const limiter = new SqlLimiter(store);
          await assert.rejects(
            store.transaction(async (tx) => {
              assert.equal((await limiter.consume('ip:tx', 1, 60_000, { within: tx })).allowed, true);
              throw new Error('step failed');
            }),
            /step failed/,
          );
          // the failed step's count went with it
          const first = await store.transaction((tx) => limiter.consume('ip:tx', 1, 60_000, { within: tx }));
          assert.equal(first.allowed, true);
          assert.equal((await limiter.consume('ip:tx', 1, 60_000)).allowed, false, 'the committed count holds');
        } finally {
          await store.close();
        }
      }));

    test('fails closed when the database is gone; an ordinary check falls back to tighter in-process limits', () =>
      run(async (open) => {
        const store = await open();
        const limiter = new SqlLimiter(store);
        assert.equal((await limiter.consume('ip:d', 4, 60_000)).allowed, true);
        await store.close();
        const strict = await limiter.consume('ip:d', 4, 60_000, { failClosed: true });
        assert.deepEqual(strict, { allowed: false, retryAfterMs: 0, unavailable: true });
        // the fallback allows half of the limit
        const fallback = [];
        for (let i = 0; i < 3; i++) fallback.push((await limiter.consume('ip:e', 4, 60_000)).allowed);
        assert.deepEqual(fallback, [true, true, false]);
      }));
  });
}
