import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlStore } from '../../src/adapters/sql/sql-store.ts';
import { SqlLimiter } from '../../src/adapters/sql-limiter.ts';
import { RefusalMemory } from '../../src/service/reset/refusal-memory.ts';
import { tempSqliteUrl } from '../helpers/databases.ts';
import { ManualClock } from '../helpers/manual-clock.ts';

/**
 * The per-IP pre-count of reset starts (src/service/reset/refusal-memory.ts) answers a refusal
 * without asking the shared limiter only while the shared limiter would refuse too. Checked
 * against the real shared limiter (rate-limiter-flexible on SQLite, the database every instance
 * shares) with three instances, each with its own memory, on random traffic: at every refusal
 * from memory the shared limiter is asked anyway and must refuse, for at least as long.
 */

/** A small deterministic generator (mulberry32): the same traffic at every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('a refusal from memory is only ever one the shared limiter gives too, and ends with its window', async () => {
  const db = tempSqliteUrl();
  const store = await openSqlStore(db.url);
  try {
    await store.migrate();
    const clock = new ManualClock();
    const shared = new SqlLimiter(store, clock);
    const LIMIT = 4;
    const WINDOW = 10_000;
    const instances = [new RefusalMemory(), new RefusalMemory(), new RefusalMemory()];
    const random = rng(14);
    let fromMemory = 0;
    let fromShared = 0;
    let allowedAfterMemory = 0;
    const lastMemoryRefusal = new Map<string, number>();
    for (let i = 0; i < 3_000; i++) {
      clock.advance(Math.floor(random() * 700));
      const now = clock.now();
      const memory = instances[Math.floor(random() * instances.length)] as RefusalMemory;
      const key = `reset-start:ip:192.0.2.${Math.floor(random() * 3)}`;
      const left = memory.refusedFor(key, now);
      if (left > 0) {
        fromMemory++;
        lastMemoryRefusal.set(key, now);
        // what the shared limiter says at this very moment (this extra count changes nothing:
        // past the limit, a fixed window only ends)
        const truth = await shared.consume(key, LIMIT, WINDOW);
        assert.equal(truth.allowed, false, `refused from memory at ${now}, but the shared limit allows it`);
        assert.ok(left <= truth.retryAfterMs, `memory holds ${left} ms, the shared window ${truth.retryAfterMs} ms`);
        continue;
      }
      const decision = await shared.consume(key, LIMIT, WINDOW);
      if (!decision.allowed) {
        fromShared++;
        memory.remember(key, now, decision.retryAfterMs);
      } else if (lastMemoryRefusal.has(key)) allowedAfterMemory++;
    }
    // the traffic exercised both paths, and addresses were allowed again once their windows ended
    assert.ok(fromMemory > 100, `refusals from memory: ${fromMemory}`);
    assert.ok(fromShared > 50, `refusals from the shared count: ${fromShared}`);
    assert.ok(allowedAfterMemory > 50, `allowed again after a window: ${allowedAfterMemory}`);
  } finally {
    await store.close();
    db.cleanup();
  }
});

test('the memory is bounded: ended refusals go first, then the oldest', () => {
  const memory = new RefusalMemory(3);
  memory.remember('a', 0, 100);
  memory.remember('b', 0, 1_000);
  memory.remember('c', 0, 1_000);
  memory.remember('d', 200, 1_000); // full: 'a' has ended and goes
  assert.equal(memory.size, 3);
  assert.equal(memory.refusedFor('a', 200), 0);
  assert.equal(memory.refusedFor('b', 200), 800);
  memory.remember('e', 300, 1_000); // full, none ended: the oldest ('b') goes
  assert.equal(memory.refusedFor('b', 300), 0);
  assert.equal(memory.refusedFor('c', 300), 700);
  assert.equal(memory.refusedFor('e', 300), 1_000);
  assert.equal(memory.refusedFor('e', 1_300), 0, 'ended with its window');
  memory.remember('f', 0, 0);
  assert.equal(memory.refusedFor('f', 0), 0, 'no time given: nothing remembered');
});
