import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Actor } from '../../src/core/admin-rules.ts';
import {
  APPROVAL_VALID_MS,
  CALLER_VERIFIED_MS,
  callerRefusal,
  canApprove,
  acceptsTypedCode,
  CALLER_TICKET_DIGITS,
  groupedPhrase,
  isSensitiveAction,
  needsSecondOperator,
  normalizePhrase,
  verificationHolds,
  verificationState,
} from '../../src/core/caller-verification.ts';

const T = 1_700_000_000_000;
const operator: Actor = { kind: 'operator', operatorId: 'op1', login: 'op1' };
const apiKey: Actor = { kind: 'api_key', keyId: 'k', tenantId: 't', scopes: ['resets:write'] };

describe('caller verification rules', () => {
  test('a verification holds 10 minutes: from its time up to the end excluded', () => {
    assert.equal(verificationHolds(null, T), false);
    assert.equal(verificationHolds(T, T - 1), false, 'not before it happened');
    assert.equal(verificationHolds(T, T), true);
    assert.equal(verificationHolds(T, T + CALLER_VERIFIED_MS - 1), true);
    assert.equal(verificationHolds(T, T + CALLER_VERIFIED_MS), false);
  });

  test('the sensitive actions are the reset link, the temporary password, unblock and unlock', () => {
    for (const a of ['assisted_reset.link', 'assisted_reset.temp_password', 'unblock', 'unlock'])
      assert.equal(isSensitiveAction(a), true, a);
    for (const a of ['role', 'prefill', 'verify_caller']) assert.equal(isSensitiveAction(a), false, a);
  });

  test('Technical Support on an administrator needs a second operator; nobody else does', () => {
    assert.equal(needsSecondOperator(operator, { role: 'admin' }), true);
    assert.equal(needsSecondOperator(operator, { role: 'global_admin' }), true);
    assert.equal(needsSecondOperator(operator, { role: 'user' }), false);
    assert.equal(needsSecondOperator(apiKey, { role: 'admin' }), false);
  });

  test('callerRefusal: verification first, then the approval, each within its window', () => {
    const f = (verifiedAt: number | null, approvedAt: number | null, now: number) => ({ verifiedAt, approvedAt, now });
    assert.equal(callerRefusal(apiKey, { role: 'user' }, f(null, null, T)), 'caller_not_verified');
    assert.equal(callerRefusal(apiKey, { role: 'user' }, f(T, null, T + 1)), null);
    assert.equal(callerRefusal(apiKey, { role: 'user' }, f(T, null, T + CALLER_VERIFIED_MS)), 'caller_not_verified');
    assert.equal(callerRefusal(operator, { role: 'admin' }, f(T, null, T + 1)), 'approval_required');
    assert.equal(callerRefusal(operator, { role: 'admin' }, f(null, T, T + 1)), 'caller_not_verified');
    assert.equal(callerRefusal(operator, { role: 'admin' }, f(T, T, T + 1)), null);
    assert.equal(
      callerRefusal(operator, { role: 'admin' }, f(T + APPROVAL_VALID_MS, T, T + APPROVAL_VALID_MS)),
      'approval_required',
    );
    assert.equal(callerRefusal(operator, { role: 'user' }, f(T, null, T + 1)), null);
  });

  test('an operator never approves their own request', () => {
    assert.equal(canApprove('operator:a', 'operator:a'), false);
    assert.equal(canApprove('operator:a', 'operator:b'), true);
  });

  test('the console state: none, pending, verified until, expired (by time or by spent attempts)', () => {
    assert.deepEqual(verificationState(null, T), { state: 'none' });
    const started = { expiresAt: T + 600_000, verifiedAt: null, failed: false, way: 'code' as const };
    assert.deepEqual(verificationState(started, T), { state: 'pending', expiresAt: T + 600_000, way: 'code' });
    assert.deepEqual(verificationState({ ...started, way: 'passkey' }, T), {
      state: 'pending',
      expiresAt: T + 600_000,
      way: 'passkey',
    });
    assert.deepEqual(verificationState(started, T + 600_000), { state: 'expired' });
    assert.deepEqual(verificationState({ ...started, failed: true }, T), { state: 'expired' });
    assert.deepEqual(verificationState({ ...started, verifiedAt: T }, T + 1), {
      state: 'verified',
      until: T + CALLER_VERIFIED_MS,
    });
    assert.deepEqual(verificationState({ ...started, verifiedAt: T }, T + CALLER_VERIFIED_MS), { state: 'expired' });
  });

  test('the reverse check phrase: eight digits, typed with spaces or dashes, full-width digits folded', () => {
    assert.equal(normalizePhrase('4821 0937'), '48210937');
    assert.equal(normalizePhrase(' 4821-0937 '), '48210937');
    assert.equal(normalizePhrase('４８２１０９３７'), '48210937');
    assert.equal(normalizePhrase('4821093'), null);
    assert.equal(normalizePhrase('482109377'), null);
    assert.equal(normalizePhrase('4821a937'), null);
    assert.equal(groupedPhrase('48210937'), '4821 0937');
  });

  test('the passkey ticket: twelve digits in fours; a typed code never answers a passkey verification', () => {
    assert.equal(CALLER_TICKET_DIGITS, 12);
    assert.equal(groupedPhrase('482109371254'), '4821 0937 1254');
    assert.equal(normalizePhrase('4821 0937 1254', CALLER_TICKET_DIGITS), '482109371254');
    assert.equal(normalizePhrase('4821-0937-125', CALLER_TICKET_DIGITS), null);
    assert.equal(normalizePhrase('4821 0937', CALLER_TICKET_DIGITS), null, 'a reverse-check phrase is no ticket');
    assert.equal(acceptsTypedCode('code'), true);
    assert.equal(acceptsTypedCode('authenticator'), true);
    assert.equal(acceptsTypedCode('passkey'), false);
  });
});
