import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminsNeedPasskey, judgeCounter, passkeyName, relyingParty } from '../../src/core/passkey.ts';
import { planGates, proofsAccepted, transition, type FlowPosition } from '../../src/core/reset-flow.ts';
import { DEFAULT_TENANT_POLICY, type TenantPolicy } from '../../src/core/directory-model.ts';
import { parsePolicyInput } from '../../src/service/tenant-policy.ts';

test('the relying party is the public URL: its host the RP ID, its origin the one origin', () => {
  assert.deepEqual(relyingParty('https://reset.contoso.example/'), {
    rpId: 'reset.contoso.example',
    origin: 'https://reset.contoso.example',
  });
  assert.deepEqual(relyingParty('http://127.0.0.1:3000/sspr'), { rpId: '127.0.0.1', origin: 'http://127.0.0.1:3000' });
});

test('the signature counter: strictly increasing once reported; 0 and 0 for an authenticator without one', () => {
  assert.deepEqual(judgeCounter(0, 0), { ok: true });
  assert.deepEqual(judgeCounter(0, 1), { ok: true });
  assert.deepEqual(judgeCounter(5, 6), { ok: true });
  assert.deepEqual(judgeCounter(5, 5), { ok: false, reason: 'counter_not_increasing' });
  assert.deepEqual(judgeCounter(5, 4), { ok: false, reason: 'counter_not_increasing' });
  assert.deepEqual(
    judgeCounter(5, 0),
    { ok: false, reason: 'counter_not_increasing' },
    'a counter never goes back to 0',
  );
});

test('passkey names: NFKC, no control characters, folded spaces, a default when empty', () => {
  assert.equal(passkeyName('  Work\u0000 laptop\t\n', 'Passkey'), 'Work laptop');
  assert.equal(passkeyName('   ', 'Passkey'), 'Passkey');
  assert.equal(passkeyName('x'.repeat(100), 'P').length, 60);
});

test('gates: a passkey is a one-gate flow single gate, or an admin second gate; required for admins, it is the only one', () => {
  const one: FlowPosition = { state: 'email_code', gates: ['email'], passed: 0 };
  assert.deepEqual(proofsAccepted(one), ['email', 'sms', 'totp', 'passkey']);
  const viaKey = transition(one, 'use_passkey');
  assert.ok(viaKey.ok);
  assert.equal(viaKey.value.state, 'passkey_check');
  const done = transition(viaKey.value, 'passkey_verified');
  assert.ok(done.ok);
  assert.deepEqual(done.value, { state: 'new_password', gates: ['email'], passed: 1 });

  // an admin of a tenant without the requirement: the SMS, the app or a passkey after the email
  assert.deepEqual(planGates('admin', 1), ['email', 'sms']);
  const admin: FlowPosition = { state: 'email_code', gates: ['email', 'sms'], passed: 0 };
  const early = transition(admin, 'use_passkey');
  assert.ok(early.ok, 'the page is reached (it does not reveal the role)');
  assert.equal(transition(early.value, 'passkey_verified').ok, false, 'but no passkey passes before the email gate');
  const second = transition(admin, 'email_verified');
  assert.ok(second.ok);
  assert.deepEqual(proofsAccepted(second.value), ['sms', 'totp', 'passkey']);
  const key = transition(second.value, 'use_passkey');
  assert.ok(key.ok);
  assert.ok(transition(key.value, 'use_phone').ok, 'and back to the SMS');
  const viaKey2 = transition(key.value, 'passkey_verified');
  assert.ok(viaKey2.ok);
  assert.deepEqual(viaKey2.value, { state: 'new_password', gates: ['email', 'sms'], passed: 2 });

  // a tenant that requires passkeys of its admins: the second gate is the passkey and nothing else
  assert.ok(adminsNeedPasskey(withAdminsPasskey(true)));
  assert.equal(adminsNeedPasskey(DEFAULT_TENANT_POLICY), false);
  assert.deepEqual(planGates('admin', 1, true), ['email', 'passkey']);
  assert.deepEqual(planGates('global_admin', 2, true), ['email', 'passkey']);
  assert.deepEqual(planGates('user', 1, true), ['email'], 'users are not concerned');
  const strict: FlowPosition = { state: 'email_code', gates: ['email', 'passkey'], passed: 0 };
  const at = transition(strict, 'email_verified');
  assert.ok(at.ok);
  assert.equal(at.value.state, 'passkey_check', 'the passkey gate is where the email gate leads');
  assert.deepEqual(proofsAccepted(at.value), ['passkey']);
  assert.equal(transition(at.value, 'use_phone').ok, false, 'no SMS instead');
  assert.equal(transition(at.value, 'use_authenticator').ok, false, 'no app instead');
  assert.equal(transition(at.value, 'back_to_email').ok, false);
  const end = transition(at.value, 'passkey_verified');
  assert.ok(end.ok);
  assert.equal(end.value.state, 'new_password');
  // the SMS passes no gate of this flow: its first page does not lead to the phone page (core
  // proofsCounted), and a flow somehow on the SMS path cannot pass an SMS there either
  assert.equal(transition(strict, 'use_phone').ok, false);
  assert.equal(transition({ ...strict, state: 'sms_code' }, 'sms_verified').ok, false);
});

test('the tenant policy switch: "true" or "false", anything else refused', () => {
  const on = parsePolicyInput(DEFAULT_TENANT_POLICY, { adminsRequirePasskey: 'true' });
  assert.ok(on.ok && on.value.gates.admins.passkeyRequired === true);
  const off = parsePolicyInput(withAdminsPasskey(true), { adminsRequirePasskey: 'false' });
  assert.ok(off.ok && off.value.gates.admins.passkeyRequired === false);
  const bad = parsePolicyInput(DEFAULT_TENANT_POLICY, { adminsRequirePasskey: 'yes' });
  assert.equal(bad.ok, false);
});

function withAdminsPasskey(on: boolean): TenantPolicy {
  const gates = DEFAULT_TENANT_POLICY.gates;
  return { ...DEFAULT_TENANT_POLICY, gates: { ...gates, admins: { ...gates.admins, passkeyRequired: on } } };
}
