import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { openSqlStore } from '../../src/adapters/sql/sql-store.ts';
import { SqliteThreadLock } from '../../src/adapters/sql/sqlite-thread-lock.ts';
import { tempSqliteUrl } from '../helpers/databases.ts';

/**
 * Two connections of one process on one SQLite file take turns at the write lock
 * (src/adapters/sql/sqlite-thread-lock.ts): a transaction that meets the other connection's turn
 * waits without stopping its event loop, instead of sleeping the thread in SQLite's busy handler.
 */
describe('SQLite write turns between the connections of one process', () => {
  test('a transaction waits for the other connection’s turn with its event loop running, then commits', async () => {
    const db = tempSqliteUrl();
    const first = await openSqlStore(db.url);
    try {
      await first.migrate();
      assert.ok(first.threadLock, 'a SQLite file store shares its turns');
      const second = await openSqlStore(db.url, { secondary: { poolMax: 1, threadLock: first.threadLock } });
      try {
        const order: string[] = [];
        let release: () => void = () => {};
        const held = new Promise<void>((resolve) => (release = resolve));
        let began: () => void = () => {};
        const begun = new Promise<void>((resolve) => (began = resolve));
        // the first connection holds its write transaction across timers (as a thread that was preempted would)
        const long = first.transaction(async (tx) => {
          await tx.captchas.markUsed('held', Date.now() + 60_000);
          began();
          await held;
          order.push('first commits');
        });
        await begun;
        // without turns, the second connection's BEGIN IMMEDIATE would sleep this thread in SQLite's busy
        // handler (the first could never commit) and fail with SQLITE_BUSY after the busy timeout
        const waiting = second.transaction(async (tx) => {
          await tx.captchas.markUsed('waited', Date.now() + 60_000);
          order.push('second writes');
        });
        await sleep(100);
        order.push('the event loop ran');
        release();
        await Promise.all([long, waiting]);
        assert.deepEqual(
          order,
          ['the event loop ran', 'first commits', 'second writes'],
          'the second transaction waited with the event loop running, and ran after the first',
        );
        assert.equal(await second.captchas.markUsed('held', Date.now() + 60_000), false, 'both writes are there');
        assert.equal(await first.captchas.markUsed('waited', Date.now() + 60_000), false);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
      db.cleanup();
    }
  });

  test('a failed transaction gives its turn back', async () => {
    const db = tempSqliteUrl();
    const first = await openSqlStore(db.url);
    try {
      await first.migrate();
      await assert.rejects(
        first.transaction(async (tx) => {
          await tx.captchas.markUsed('rolled-back', Date.now() + 60_000);
          throw new Error('boom');
        }),
        /boom/,
      );
      const word = new Int32Array(first.threadLock as SharedArrayBuffer);
      assert.equal(Atomics.load(word, 0), 0, 'the turn is free after the rollback');
      await first.transaction((tx) => tx.captchas.markUsed('next', Date.now() + 60_000));
      assert.equal(Atomics.load(word, 0), 0, 'and after a commit');
    } finally {
      await first.close();
      db.cleanup();
    }
  });

  test('a turn held too long is waited out (SQLite decides), and an ended thread’s turn is freed', async () => {
    const buffer = new SharedArrayBuffer(4);
    const word = new Int32Array(buffer);
    const lock = new SqliteThreadLock(buffer, 50);
    // another thread (tag = its threadId + 1) holds the turn and never gives it back
    const other = threadId + 7;
    Atomics.store(word, 0, other + 1);
    const started = performance.now();
    assert.equal(await lock.acquire(), false, 'gives up after maxWaitMs');
    assert.ok(performance.now() - started >= 45, 'after waiting about maxWaitMs');
    lock.release();
    assert.equal(Atomics.load(word, 0), other + 1, 'a turn it did not take is not released');

    const waiter = lock.acquire();
    lock.releaseFor(threadId + 1);
    assert.equal(Atomics.load(word, 0), other + 1, 'only the ended thread’s own turn is freed');
    lock.releaseFor(other);
    assert.equal(await waiter, true, 'a waiter takes the freed turn at once');
    assert.equal(Atomics.load(word, 0), threadId + 1);
    lock.release();
    assert.equal(Atomics.load(word, 0), 0);
  });
});
