import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLimiter } from '../../src/adapters/memory-limiter.ts';
import { RedisLimiter } from '../../src/adapters/redis-limiter.ts';
import type { Limiter } from '../../src/ports/limiter.ts';
import { countRedisKeys, flushRedisPrefix, keyPrefix, SHARED_REDIS, startPrivateRedis } from './scale-kit.ts';

/**
 * The Limiter contract, run against the memory limiter and the Redis limiter (the shared Redis,
 * under a key prefix of this run, flushed afterwards). Then the Redis limiter without Redis:
 * ordinary checks fall back to half the limit in memory, fail-closed checks say `unavailable`.
 */

const prefix = keyPrefix();
/** What the Redis limiters logged (a fallback under a very slow machine shows up here). */
const warnings: string[] = [];
const record = (_fields: unknown, message: string): void => void warnings.push(message);
const log = { info() {}, warn: record, error: record, debug() {}, child: () => log } as never;

/**
 * The tests are registered synchronously inside suites, never `await test(…)` at the top level:
 * on Node 20 a top-level `after` hook runs as soon as the first awaited top-level test ends, so
 * the flush of this run's keys once ran in the middle of the Redis counting test under load and
 * reset its count (decisions came out allowed, allowed, allowed, allowed).
 */
function contract(
  name: string,
  make: () => (Limiter & { close?(): Promise<void> }) | Promise<Limiter & { close?(): Promise<void> }>,
): void {
  test(`${name}: counts per key up to the limit, then refuses with the time left`, async (t) => {
    const limiter = await make();
    t.after(() => limiter.close?.());
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await limiter.consume('k1', 3, 60_000));
    assert.deepEqual(
      decisions.map((d) => d.allowed),
      [true, true, true, false],
      `decisions (limiter warnings: ${warnings.join('; ') || 'none'})`,
    );
    const refused = decisions[3]!;
    assert.ok(refused.retryAfterMs > 55_000 && refused.retryAfterMs <= 60_000, `retry after ${refused.retryAfterMs}`);
    assert.equal(refused.unavailable, undefined);
    assert.equal((await limiter.consume('k2', 3, 60_000)).allowed, true, 'another key has its own count');
    assert.equal((await limiter.consume('k1', 5, 60_000)).allowed, true, 'another limit has its own count');
    assert.equal(
      (await limiter.consume('k1', 3, 60_000, { failClosed: true })).allowed,
      false,
      'failClosed counts the same',
    );
  });

  test(`${name}: parallel events never overrun the limit`, async (t) => {
    const limiter = await make();
    t.after(() => limiter.close?.());
    const all = await Promise.all(Array.from({ length: 50 }, () => limiter.consume('burst', 10, 60_000)));
    assert.equal(all.filter((d) => d.allowed).length, 10);
  });
}

describe('memory limiter', () => contract('memory limiter', () => new MemoryLimiter()));

let made = 0;
// A command slower than the timeout counts as Redis being down and falls back to memory, which
// would make a busy CI machine look like a counting error: these tests are about counting, so
// they give Redis plenty of time (the outage test below covers the fallback on purpose).
const PATIENT = 10_000;
describe('redis limiter on the shared Redis', () => {
  after(() => flushRedisPrefix(SHARED_REDIS, prefix).then(() => undefined));
  contract('redis limiter', () =>
    RedisLimiter.open({ url: SHARED_REDIS, keyPrefix: `${prefix}:${made++}`, log, commandTimeoutMs: PATIENT }),
  );

  test('redis limiter: two instances share one count', async () => {
    const a = await RedisLimiter.open({ url: SHARED_REDIS, keyPrefix: `${prefix}:shared`, commandTimeoutMs: PATIENT });
    const b = await RedisLimiter.open({ url: SHARED_REDIS, keyPrefix: `${prefix}:shared`, commandTimeoutMs: PATIENT });
    try {
      const out = [];
      for (let i = 0; i < 6; i++) out.push((await (i % 2 ? a : b).consume('ip:1', 4, 60_000)).allowed);
      assert.deepEqual(out, [true, true, true, true, false, false]);
      assert.ok((await countRedisKeys(SHARED_REDIS, prefix)) > 0, 'keys live under the prefix');
    } finally {
      await a.close();
      await b.close();
    }
  });
});

test('redis limiter without Redis: fallback at half the limit; fail-closed checks are unavailable; recovery', async () => {
  const redis = await startPrivateRedis();
  const limiter = await RedisLimiter.open({ url: redis.url });
  try {
    assert.ok(await limiter.ping());
    await redis.kill();
    const ordinary = [];
    for (let i = 0; i < 4; i++) ordinary.push((await limiter.consume('ip:2', 4, 60_000)).allowed);
    assert.deepEqual(ordinary, [true, true, false, false], 'two of four in memory');
    const strict = await limiter.consume('ip:2', 4, 60_000, { failClosed: true });
    assert.deepEqual(strict, { allowed: false, retryAfterMs: 0, unavailable: true });
    await redis.restart();
    const t0 = Date.now();
    while (!(await limiter.ping())) {
      assert.ok(Date.now() - t0 < 10_000, 'reconnects within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await limiter.consume('ip:2', 4, 60_000, { failClosed: true })).allowed, true, 'shared again');
  } finally {
    await limiter.close();
    await redis.close();
  }
});
