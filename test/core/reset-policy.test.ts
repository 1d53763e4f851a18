import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_RESET_POLICY as P,
  canSendCode,
  codeExpiresAt,
  flowDeadline,
  formatCode,
  isBlocked,
  isCodeFresh,
  isFlowAlive,
  isFlowCodeFresh,
  normalizeCodeInput,
} from '../../src/core/reset-policy.ts';

const T0 = 1_800_000_000_000;
const TEN_MIN = 10 * 60_000;
const HOUR = 60 * 60_000;

test('a code is valid for exactly 10 minutes: t−1 ms valid, t and t+1 ms expired', () => {
  assert.equal(isCodeFresh(P, T0, T0 + TEN_MIN - 1), true);
  assert.equal(isCodeFresh(P, T0, T0 + TEN_MIN), false);
  assert.equal(isCodeFresh(P, T0, T0 + TEN_MIN + 1), false);
});

test('the flow lives 60 minutes from the first message sent, and resends never extend it', () => {
  const created = T0 - 5_000;
  assert.equal(flowDeadline(P, created, T0), T0 + HOUR);
  assert.equal(isFlowAlive(P, created, T0, T0 + HOUR - 1), true);
  assert.equal(isFlowAlive(P, created, T0, T0 + HOUR), false);
  assert.equal(isFlowAlive(P, created, T0, T0 + HOUR + 1), false);
  // without any message the flow still ends 60 minutes after it began
  assert.equal(flowDeadline(P, created, null), created + HOUR);
  // a code resent at minute 55 expires with the flow at minute 60, not at minute 65
  assert.equal(codeExpiresAt(P, T0 + 55 * 60_000, created, T0), T0 + HOUR);
  assert.equal(codeExpiresAt(P, T0 + 20 * 60_000, created, T0), T0 + 30 * 60_000);
});

test('resend: 60 s cooldown edges and at most 3 codes per flow', () => {
  assert.deepEqual(canSendCode(P, 0, null, T0), { ok: true });
  assert.deepEqual(canSendCode(P, 1, T0, T0 + 59_999), { ok: false, reason: 'resend_too_soon', waitMs: 1 });
  assert.deepEqual(canSendCode(P, 1, T0, T0 + 60_000), { ok: true });
  assert.deepEqual(canSendCode(P, 3, T0, T0 + HOUR), { ok: false, reason: 'too_many_codes', waitMs: 0 });
});

test('a self-service block lasts 24 hours to the millisecond', () => {
  assert.equal(isBlocked(P, null, T0), false);
  assert.equal(isBlocked(P, T0, T0 + 24 * HOUR - 1), true);
  assert.equal(isBlocked(P, T0, T0 + 24 * HOUR), false);
});

test('codes are six digits with leading zeros kept; typed codes tolerate spaces and dashes only', () => {
  assert.equal(formatCode(0), '000000');
  assert.equal(formatCode(42), '000042');
  assert.equal(formatCode(999_999), '999999');
  assert.throws(() => formatCode(1_000_000));
  assert.throws(() => formatCode(-1));
  assert.equal(normalizeCodeInput(' 012 345 '), '012345');
  assert.equal(normalizeCodeInput('012-345'), '012345');
  assert.equal(normalizeCodeInput('０１２３４５'), '012345', 'full-width digits from a phone keyboard');
  assert.equal(normalizeCodeInput('12345'), null);
  assert.equal(normalizeCodeInput('1234567'), null);
  assert.equal(normalizeCodeInput('12a456'), null);
});

test('a flow code is fresh within its 10 minutes AND the flow’s hour: t−1 ms fresh, t stale (each limit)', () => {
  const flow = { createdAt: T0, firstSentAt: T0 };
  // its own 10 minutes
  assert.equal(isFlowCodeFresh(P, { sentAt: T0 }, flow, T0 + TEN_MIN - 1), true);
  assert.equal(isFlowCodeFresh(P, { sentAt: T0 }, flow, T0 + TEN_MIN), false);
  // a resend 55 minutes in: the flow's deadline cuts it short at 60 minutes
  const late = { sentAt: T0 + 55 * 60_000 };
  assert.equal(isFlowCodeFresh(P, late, flow, T0 + HOUR - 1), true);
  assert.equal(isFlowCodeFresh(P, late, flow, T0 + HOUR), false);
  // the same edges as the expiry the code was stored with
  assert.equal(codeExpiresAt(P, late.sentAt, flow.createdAt, flow.firstSentAt), T0 + HOUR);
});
