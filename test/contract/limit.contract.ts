import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { T0, sharedStore, uid, type OpenStore } from './contract-kit.ts';

/** The LimitRepo contract: rate-limit counters (the embedded limiter). */
export function limitRepoContract(name: string, open: OpenStore): void {
  describe(`LimitRepo contract: ${name}`, () => {
    const store = sharedStore(open);

    test('add counts within a window and starts a new one once it ended (expire ≤ now); reset starts it again', async () => {
      const k = uid('rl');
      const limits = store().limits;
      assert.deepEqual(await limits.add(k, 1, 1_000, T0, false), { points: 1, expire: T0 + 1_000 });
      assert.deepEqual(await limits.add(k, 2, 1_000, T0 + 999, false), { points: 3, expire: T0 + 1_000 });
      assert.deepEqual(await limits.add(k, 1, 1_000, T0 + 1_000, false), { points: 1, expire: T0 + 2_000 }, 'ended');
      assert.deepEqual(await limits.add(k, 5, 500, T0 + 1_001, true), { points: 5, expire: T0 + 1_501 }, 'reset');
      assert.deepEqual(await limits.add(uid('rl'), 1, 0, T0, false), { points: 1, expire: null }, 'no window');
    });

    test('add in parallel loses no point', async () => {
      const k = uid('rl');
      await Promise.all(Array.from({ length: 20 }, () => store().limits.add(k, 1, 60_000, T0, false)));
      assert.equal((await store().limits.get(k, T0))?.points, 20);
    });

    test('get: the live counter, null once its window ended or for an unknown key; delete true only when it existed', async () => {
      const k = uid('rl');
      await store().limits.add(k, 1, 1_000, T0, false);
      assert.deepEqual(await store().limits.get(k, T0 + 999), { points: 1, expire: T0 + 1_000 });
      assert.equal(await store().limits.get(k, T0 + 1_000), null);
      assert.equal(await store().limits.get(uid('rl'), T0), null);
      assert.equal(await store().limits.delete(k), true);
      assert.equal(await store().limits.delete(k), false);
    });
  });
}
