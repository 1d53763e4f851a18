import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  afterFailure,
  afterUnopenable,
  isDeliverable,
  retryDelayMs,
  retryHorizon,
  type BackoffPolicy,
} from '../../src/core/outbox-policy.ts';

const HOUR = 3_600_000;
const policy: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000, noticeHorizonMs: 72 * HOUR, maxAttempts: 5 };
/** The defaults' shape: no cap on tries, time decides. */
const timed: BackoffPolicy = { baseMs: 1_000, maxMs: 300_000, noticeHorizonMs: 72 * HOUR };
const notice = (createdAt = 0) => ({ createdAt, expiresAt: null });

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
    const step = afterFailure(policy, 1, { retryable: false, reason: 'SMTP 550' }, 0, notice(), 0);
    assert.deepEqual(step, { kind: 'fail', reason: 'SMTP 550' });
  });

  it('afterFailure: with an explicit cap on tries, gives up at the cap', () => {
    assert.deepEqual(afterFailure(policy, 4, { retryable: true, reason: 'down' }, 10_000, notice(), 0), {
      kind: 'retry',
      at: 10_000 + 4_000,
    });
    const last = afterFailure(policy, 5, { retryable: true, reason: 'down' }, 10_000, notice(), 0);
    assert.equal(last.kind, 'fail');
    assert.match(last.kind === 'fail' ? last.reason : '', /gave up after 5 tries: down/);
  });

  it('afterFailure: expires when the next try would be at or after expiresAt', () => {
    const now = 100_000;
    const delay = retryDelayMs(policy, 1, 0); // 500
    const retryable = { retryable: true, reason: 'down' };
    const code = (expiresAt: number) => ({ createdAt: 0, expiresAt });
    assert.deepEqual(afterFailure(policy, 1, retryable, now, code(now + delay + 1), 0), {
      kind: 'retry',
      at: now + delay,
    });
    assert.deepEqual(afterFailure(policy, 1, retryable, now, code(now + delay), 0), { kind: 'expire' });
    assert.deepEqual(afterFailure(policy, 1, retryable, now, code(now + delay - 1), 0), { kind: 'expire' });
  });

  it('afterFailure without a cap: a code is retried (capped backoff) until it expires, however many tries that takes', () => {
    const retryable = { retryable: true, reason: 'down' };
    const code = { createdAt: 0, expiresAt: 20 * 60_000 };
    assert.equal(retryHorizon(timed, code), code.expiresAt);
    // the 10th try, 15 minutes in: the backoff is capped at 5 minutes (2.5 with unit 0), still before expiry
    assert.deepEqual(afterFailure(timed, 10, retryable, 15 * 60_000, code, 0), { kind: 'retry', at: 17.5 * 60_000 });
    assert.deepEqual(afterFailure(timed, 1000, retryable, 15 * 60_000, code, 0), { kind: 'retry', at: 17.5 * 60_000 });
    assert.deepEqual(afterFailure(timed, 11, retryable, 18 * 60_000, code, 0), { kind: 'expire' });
  });

  it('afterFailure without a cap: a notice is retried for noticeHorizonMs after it was queued, then fails naming the horizon', () => {
    const retryable = { retryable: true, reason: 'SMTP 421' };
    const m = notice(1_000);
    assert.equal(retryHorizon(timed, m), 1_000 + 72 * HOUR);
    // two hours of failures (dozens of tries) change nothing: still retried
    assert.deepEqual(afterFailure(timed, 40, retryable, 2 * HOUR, m, 0), { kind: 'retry', at: 2 * HOUR + 150_000 });
    assert.deepEqual(afterFailure(timed, 800, retryable, 71 * HOUR, m, 0), { kind: 'retry', at: 71 * HOUR + 150_000 });
    const last = afterFailure(timed, 900, retryable, 72 * HOUR - 60_000, m, 0);
    assert.equal(last.kind, 'fail');
    assert.match(last.kind === 'fail' ? last.reason : '', /not delivered within 72 h of being queued: SMTP 421/);
    // a permanent refusal still fails at once
    assert.equal(afterFailure(timed, 1, { retryable: false, reason: 'SMTP 550' }, 0, m, 0).kind, 'fail');
  });

  it('afterUnopenable: left for later (at most 30 s), until the horizon; a code then expires, a notice fails', () => {
    assert.deepEqual(afterUnopenable(timed, 1_000, notice(0), 0), { kind: 'retry', at: 1_000 + 15_000 });
    assert.deepEqual(afterUnopenable(timed, 1_000, notice(0), 1 - Number.EPSILON), { kind: 'retry', at: 31_000 });
    // a short backoff cap shortens the deferral too
    assert.deepEqual(afterUnopenable({ ...timed, maxMs: 2_000 }, 0, notice(0), 0), { kind: 'retry', at: 1_000 });
    assert.deepEqual(afterUnopenable(timed, 60_000, { createdAt: 0, expiresAt: 70_000 }, 0), { kind: 'expire' });
    assert.equal(afterUnopenable(timed, 72 * HOUR, notice(0), 0).kind, 'fail');
  });
});
