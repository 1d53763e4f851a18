import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterFailure, isDeliverable, retryDelayMs, type BackoffPolicy } from '../../src/core/outbox-policy.ts';

const policy: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000, maxAttempts: 5 };

describe('outbox policy', () => {
  it('isDeliverable: strictly before expiresAt', () => {
    const expiresAt = 1_000_000;
    for (const [now, expected] of [
      [expiresAt - 1, true],
      [expiresAt, false],
      [expiresAt + 1, false],
    ] as const) {
      assert.equal(isDeliverable(expiresAt, now), expected, `now = expiresAt ${now - expiresAt}`);
    }
    assert.equal(isDeliverable(null, Number.MAX_SAFE_INTEGER), true, 'a notice never expires');
  });

  it('retryDelayMs: between half the ceiling and the ceiling, doubling, capped', () => {
    const rows: [attempt: number, ceiling: number][] = [
      [1, 1_000],
      [2, 2_000],
      [3, 4_000],
      [6, 32_000],
      [7, 60_000],
      [30, 60_000],
    ];
    for (const [attempt, ceiling] of rows) {
      assert.equal(retryDelayMs(policy, attempt, 0), ceiling / 2, `attempt ${attempt}, unit 0`);
      assert.equal(retryDelayMs(policy, attempt, 0.5), Math.round(ceiling * 0.75), `attempt ${attempt}, unit 0.5`);
      const top = retryDelayMs(policy, attempt, 1 - Number.EPSILON);
      assert.ok(top <= ceiling && top >= ceiling - 1, `attempt ${attempt}, unit → 1: ${top}`);
    }
    // attempt 0 is treated like 1: never a zero or negative delay
    assert.equal(retryDelayMs(policy, 0, 0), 500);
  });

  it('afterFailure: permanent failures fail at once', () => {
    const step = afterFailure(policy, 1, { retryable: false, reason: 'SMTP 550' }, 0, null, 0);
    assert.deepEqual(step, { kind: 'fail', reason: 'SMTP 550' });
  });

  it('afterFailure: retries until maxAttempts, then gives up', () => {
    assert.deepEqual(afterFailure(policy, 4, { retryable: true, reason: 'down' }, 10_000, null, 0), {
      kind: 'retry',
      at: 10_000 + 4_000,
    });
    const last = afterFailure(policy, 5, { retryable: true, reason: 'down' }, 10_000, null, 0);
    assert.equal(last.kind, 'fail');
    assert.match(last.kind === 'fail' ? last.reason : '', /gave up after 5 tries: down/);
  });

  it('afterFailure: expires when the next try would be at or after expiresAt', () => {
    const now = 100_000;
    const delay = retryDelayMs(policy, 1, 0); // 500
    const retryable = { retryable: true, reason: 'down' };
    assert.deepEqual(afterFailure(policy, 1, retryable, now, now + delay + 1, 0), { kind: 'retry', at: now + delay });
    assert.deepEqual(afterFailure(policy, 1, retryable, now, now + delay, 0), { kind: 'expire' });
    assert.deepEqual(afterFailure(policy, 1, retryable, now, now + delay - 1, 0), { kind: 'expire' });
  });
});
