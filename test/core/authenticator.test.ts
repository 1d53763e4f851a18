import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import {
  groupedKey,
  judgeTotp,
  otpauthUri,
  secretToBase32,
  totpCodeAt,
  totpStep,
} from '../../src/core/authenticator.ts';
import { proofsAccepted, transition, type FlowPosition } from '../../src/core/reset-flow.ts';

// RFC 6238 appendix B: the SHA-1 seed is the ASCII of "12345678901234567890"
const RFC_SEED = new TextEncoder().encode('12345678901234567890');
const RFC_SHA1: readonly [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

test('RFC 6238 test vectors (SHA-1, 8 digits) at the RFC times; the 6-digit codes sspr checks are their last six', () => {
  const base32 = secretToBase32(RFC_SEED);
  const totp8 = new TOTP({ secret: Secret.fromBase32(base32), algorithm: 'SHA1', digits: 8, period: 30 });
  for (const [seconds, code] of RFC_SHA1) {
    assert.equal(totp8.generate({ timestamp: seconds * 1000 }), code, `T = ${seconds}`);
    assert.equal(totpCodeAt(base32, seconds * 1000), code.slice(2), `6 digits at T = ${seconds}`);
    const verdict = judgeTotp(base32, code.slice(2), seconds * 1000, null);
    assert.deepEqual(verdict, { ok: true, step: Math.floor(seconds / 30) });
  }
});

test('the window: steps t-1, t and t+1 are accepted, t-2 and t+2 are not; edges of a step to the millisecond', () => {
  const secret = secretToBase32(new Uint8Array(20).map((_, i) => i * 7 + 3));
  const now = 1_700_000_015_000; // inside a step
  const t = totpStep(now);
  const codeOf = (step: number) => totpCodeAt(secret, step * 30_000);
  for (const [offset, accepted] of [
    [-2, false],
    [-1, true],
    [0, true],
    [1, true],
    [2, false],
  ] as const) {
    const verdict = judgeTotp(secret, codeOf(t + offset), now, null);
    if (accepted) assert.deepEqual(verdict, { ok: true, step: t + offset }, `t${offset >= 0 ? '+' : ''}${offset}`);
    else assert.equal(verdict.ok, false, `t+${offset}`);
  }
  // the last millisecond of step t still accepts t-1; the first of t+1 no longer does
  const lastMs = (t + 1) * 30_000 - 1;
  assert.equal(totpStep(lastMs), t);
  assert.equal(judgeTotp(secret, codeOf(t - 1), lastMs, null).ok, true);
  assert.equal(judgeTotp(secret, codeOf(t - 1), lastMs + 1, null).ok, false);
  assert.equal(judgeTotp(secret, codeOf(t + 2), lastMs + 1, null).ok, true, 't+2 is t+1 one step later');
});

test('each step once: a code of the last accepted step or an earlier one is refused, a later one accepted', () => {
  const secret = secretToBase32(new Uint8Array(20).fill(9));
  const now = 1_800_000_000_000;
  const t = totpStep(now);
  const codeOf = (step: number) => totpCodeAt(secret, step * 30_000);
  assert.deepEqual(judgeTotp(secret, codeOf(t), now, t), { ok: false, reason: 'step_used', step: t });
  assert.deepEqual(judgeTotp(secret, codeOf(t - 1), now, t), { ok: false, reason: 'step_used', step: t - 1 });
  assert.deepEqual(judgeTotp(secret, codeOf(t + 1), now, t), { ok: true, step: t + 1 });
  assert.deepEqual(judgeTotp(secret, '000000', now, null).ok, codeOf(t) === '000000');
});

test('the key and the otpauth URI an app reads', () => {
  const secret = secretToBase32(RFC_SEED);
  assert.equal(secret, 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  assert.equal(groupedKey(secret), 'GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ');
  const uri = new URL(otpauthUri(secret, 'Example Corp', 'ada@example.com'));
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.searchParams.get('secret'), secret);
  assert.equal(uri.searchParams.get('issuer'), 'Example Corp');
  assert.equal(uri.searchParams.get('digits'), '6');
  assert.equal(uri.searchParams.get('period'), '30');
  assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
});

test('gates: the app is a one-gate flow single gate, or an admin second gate instead of SMS, never the first of two', () => {
  const one: FlowPosition = { state: 'email_code', gates: ['email'], passed: 0 };
  const viaApp = transition(one, 'use_authenticator');
  assert.ok(viaApp.ok);
  assert.equal(viaApp.value.state, 'totp_code');
  const done = transition(viaApp.value, 'totp_verified');
  assert.ok(done.ok);
  assert.deepEqual(done.value, { state: 'new_password', gates: ['email'], passed: 1 });

  const admin: FlowPosition = { state: 'email_code', gates: ['email', 'sms'], passed: 0 };
  assert.deepEqual(proofsAccepted(admin), ['email']);
  const early = transition(admin, 'use_authenticator');
  assert.ok(early.ok, 'the page is reached (it does not reveal the role)');
  assert.equal(transition(early.value, 'totp_verified').ok, false, 'but no code passes before the email gate');
  const second = transition(admin, 'email_verified');
  assert.ok(second.ok);
  assert.equal(second.value.state, 'phone_number');
  assert.deepEqual(proofsAccepted(second.value), ['sms', 'totp', 'passkey']);
  const app = transition(second.value, 'use_authenticator');
  assert.ok(app.ok);
  const back = transition(app.value, 'use_phone');
  assert.ok(back.ok, 'and back to the SMS at the second gate');
  assert.equal(transition(app.value, 'back_to_email').ok, false, 'no way back past a passed gate');
  const end = transition(app.value, 'totp_verified');
  assert.ok(end.ok);
  assert.deepEqual(end.value, { state: 'new_password', gates: ['email', 'sms'], passed: 2 });
});
