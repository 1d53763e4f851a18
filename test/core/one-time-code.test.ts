import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeCode } from '../../src/core/one-time-code.ts';

const MAX = 5;

test('a fresh, matching code with an attempt left is accepted', () => {
  assert.deepEqual(judgeCode({ attempts: 1, maxAttempts: MAX, fresh: true, matches: true }), { ok: true, attempts: 1 });
  assert.deepEqual(judgeCode({ attempts: 5, maxAttempts: MAX, fresh: true, matches: true }), { ok: true, attempts: 5 });
});

test('no attempt left: refused whatever was typed, even the right code', () => {
  for (const matches of [true, false])
    for (const fresh of [true, false])
      assert.deepEqual(judgeCode({ attempts: null, maxAttempts: MAX, fresh, matches }), {
        ok: false,
        reason: 'attempts_exhausted',
        attempts: null,
        attemptsLeft: 0,
      });
});

test('expired before mismatch: an expired code is expired even when it matches, and the attempt counts', () => {
  assert.deepEqual(judgeCode({ attempts: 2, maxAttempts: MAX, fresh: false, matches: true }), {
    ok: false,
    reason: 'expired',
    attempts: 2,
    attemptsLeft: 3,
  });
  assert.deepEqual(judgeCode({ attempts: 2, maxAttempts: MAX, fresh: false, matches: false }), {
    ok: false,
    reason: 'expired',
    attempts: 2,
    attemptsLeft: 3,
  });
});

test('a mismatch tells how many attempts are left: 4 after the first, 0 after the fifth', () => {
  const left = [1, 2, 3, 4, 5].map((attempts) => {
    const v = judgeCode({ attempts, maxAttempts: MAX, fresh: true, matches: false });
    assert.equal(v.ok, false);
    return v.ok ? -1 : v.attemptsLeft;
  });
  assert.deepEqual(left, [4, 3, 2, 1, 0]);
});
