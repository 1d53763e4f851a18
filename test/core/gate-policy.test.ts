import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_GATE_POLICY,
  canPass,
  coverageOf,
  gateFieldTexts,
  gatePolicyProblems,
  gateRuleOf,
  legacyGateSwitches,
  planFor,
  storedGatePolicy,
  withGateField,
  type GatePolicy,
  type GateRule,
  type Registered,
} from '../../src/core/gate-policy.ts';
import { proofsAccepted, proofsCounted, transition, type FlowPosition, type Gate } from '../../src/core/reset-flow.ts';

const ALL: Gate[] = ['email', 'sms', 'totp', 'passkey'];
const rule = (methods: Gate[], count: 1 | 2, passkeyRequired = false): GateRule => ({
  methods,
  count,
  passkeyRequired,
});
const policy = (users: GateRule, admins: GateRule = DEFAULT_GATE_POLICY.admins): GatePolicy => ({ users, admins });

test('plans: each gate with the proofs that pass it', () => {
  const table: [GateRule, GatePlanLike][] = [
    [rule(ALL, 1), { gates: ['email'], accepts: [ALL] }],
    [rule(['email', 'totp'], 1), { gates: ['email'], accepts: [['email', 'totp']] }],
    [rule(['email'], 1), { gates: ['email'], accepts: [['email']] }],
    [rule(ALL, 2), { gates: ['email', 'sms'], accepts: [['email'], ['sms', 'totp', 'passkey']] }],
    [rule(['email', 'totp', 'passkey'], 2), { gates: ['email', 'totp'], accepts: [['email'], ['totp', 'passkey']] }],
    [rule(['passkey', 'email'], 2), { gates: ['email', 'passkey'], accepts: [['email'], ['passkey']] }],
    [rule(ALL, 2, true), { gates: ['email', 'passkey'], accepts: [['email'], ['passkey']] }],
  ];
  for (const [r, plan] of table) assert.deepEqual(planFor(r), plan, JSON.stringify(r));
  assert.deepEqual(gateRuleOf(DEFAULT_GATE_POLICY, null), DEFAULT_GATE_POLICY.users, 'an unknown login is a user');
  assert.deepEqual(gateRuleOf(DEFAULT_GATE_POLICY, 'global_admin'), DEFAULT_GATE_POLICY.admins);
});
type GatePlanLike = { gates: Gate[]; accepts: Gate[][] };

test('the default: users one gate of any kind; admins the email, then an SMS, the app or a passkey', () => {
  assert.deepEqual(gatePolicyProblems(DEFAULT_GATE_POLICY), []);
  assert.deepEqual(planFor(DEFAULT_GATE_POLICY.admins).accepts, [['email'], ['sms', 'totp', 'passkey']]);
});

test('refused policies: each broken rule named with its field', () => {
  const table: [GatePolicy, { field: string; id: string }[]][] = [
    [policy(rule(['totp'], 1)), [{ field: 'userMethods', id: 'emailRequired' }]],
    [policy(rule(['email'], 2)), [{ field: 'userMethods', id: 'secondKind' }]],
    [policy(rule(ALL, 1), rule(ALL, 1)), [{ field: 'adminGates', id: 'adminsTwoGates' }]],
    [policy(rule(ALL, 1), rule(['email'], 2)), [{ field: 'adminMethods', id: 'secondKind' }]],
    [policy(rule(ALL, 1), rule(['email'], 1)), [{ field: 'adminGates', id: 'adminsTwoGates' }]],
    [policy(rule(['email', 'sms'], 2, true)), [{ field: 'usersRequirePasskey', id: 'passkeyNotCounted' }]],
    [policy(rule(ALL, 1, true)), [{ field: 'usersRequirePasskey', id: 'passkeyNeedsTwo' }]],
    [
      policy(rule(ALL, 1), rule(['email', 'sms'], 2, true)),
      [{ field: 'adminsRequirePasskey', id: 'passkeyNotCounted' }],
    ],
    [policy(rule(['email', 'x' as Gate], 1)), [{ field: 'userMethods', id: 'unknownMethod' }]],
  ];
  for (const [p, expected] of table) {
    assert.deepEqual(
      gatePolicyProblems(p).map(({ field, id }) => ({ field, id })),
      expected,
      JSON.stringify(p),
    );
  }
  // accepted: stricter policies anyone could still pass
  for (const p of [
    policy(rule(['email', 'totp'], 2)),
    policy(rule(['email', 'passkey'], 2, true), rule(['email', 'passkey'], 2, true)),
    policy(rule(['email'], 1), rule(['email', 'totp'], 2)),
  ]) {
    assert.deepEqual(gatePolicyProblems(p), [], JSON.stringify(p));
  }
});

test('the flow follows the plan: an app-only second gate takes the app, not the SMS', () => {
  const { gates, accepts } = planFor(rule(['email', 'totp'], 2));
  const start: FlowPosition = { state: 'email_code', gates, passed: 0, accepts };
  assert.deepEqual(proofsAccepted(start), ['email']);
  assert.equal(transition(start, 'totp_verified').ok, false, 'not at the first gate');
  assert.deepEqual(proofsCounted(start), ['email', 'totp'], 'what the first page offers');
  assert.equal(transition(start, 'use_phone').ok, false, 'the SMS passes no gate of this flow');
  const second = transition(start, 'email_verified');
  assert.ok(second.ok);
  assert.equal(second.value.state, 'totp_code', 'the email gate leads to the app');
  assert.equal(transition(second.value, 'use_phone').ok, false, 'no SMS instead');
  assert.equal(transition(second.value, 'use_passkey').ok, false, 'no passkey either');
  const done = transition(second.value, 'totp_verified');
  assert.ok(done.ok);
  assert.equal(done.value.state, 'new_password');
  // a one-gate flow without the SMS: the phone page is not offered (core proofsCounted), and no SMS passes
  const one = planFor(rule(['email', 'passkey'], 1));
  const pos: FlowPosition = { state: 'email_code', gates: one.gates, passed: 0, accepts: one.accepts };
  assert.deepEqual(proofsCounted(pos), ['email', 'passkey']);
  assert.equal(transition(pos, 'use_phone').ok, false, 'no way to the phone page');
  assert.equal(transition(pos, 'use_authenticator').ok, false, 'nor to the app');
  assert.equal(transition(pos, 'use_passkey').ok, true);
  assert.equal(transition({ ...pos, state: 'sms_code' }, 'sms_verified').ok, false);
  assert.equal(transition({ ...pos, state: 'passkey_check' }, 'passkey_verified').ok, true);
  assert.equal(transition({ ...pos, state: 'totp_code' }, 'totp_verified').ok, false);
});

test('who could pass: the email first, then a method of the second gate', () => {
  const has = (...g: Gate[]): Registered => ({
    email: g.includes('email'),
    sms: g.includes('sms'),
    totp: g.includes('totp'),
    passkey: g.includes('passkey'),
  });
  const table: [GateRule, Registered, boolean][] = [
    [rule(ALL, 1), has('email'), true],
    [rule(ALL, 1), has('totp'), false],
    [rule(ALL, 2), has('email'), false],
    [rule(ALL, 2), has('email', 'sms'), true],
    [rule(ALL, 2), has('email', 'totp'), true],
    [rule(['email', 'totp'], 2), has('email', 'sms'), false],
    [rule(ALL, 2, true), has('email', 'sms', 'totp'), false],
    [rule(ALL, 2, true), has('email', 'passkey'), true],
  ];
  for (const [r, h, expected] of table)
    assert.equal(canPass(r, h), expected, `${JSON.stringify(r)} ${JSON.stringify(h)}`);
  const groups = [
    { admin: false, count: 30, ...has('email') },
    { admin: false, count: 10, ...has('email', 'totp') },
    { admin: true, count: 2, ...has('email', 'sms') },
    { admin: true, count: 1, ...has('email', 'passkey') },
  ];
  assert.deepEqual(coverageOf(DEFAULT_GATE_POLICY, groups), {
    users: { total: 40, cannot: 0 },
    admins: { total: 3, cannot: 0 },
  });
  assert.deepEqual(coverageOf(policy(rule(['email', 'totp'], 2), rule(ALL, 2, true)), groups), {
    users: { total: 40, cannot: 30 },
    admins: { total: 3, cannot: 2 },
  });
});

test('stored policies: an older one keeps what its two switches meant; the switches are written back', () => {
  assert.deepEqual(storedGatePolicy({}), DEFAULT_GATE_POLICY);
  assert.deepEqual(storedGatePolicy({ userGates: 2, adminsRequirePasskey: true }), {
    users: rule(ALL, 2),
    admins: rule(ALL, 2, true),
  });
  const p = policy(rule(['email', 'totp'], 2), rule(['email', 'passkey'], 2, true));
  assert.deepEqual(storedGatePolicy({ gates: p, userGates: 1, adminsRequirePasskey: false }), p, 'gates win');
  assert.deepEqual(storedGatePolicy({ gates: { users: { methods: 'x' } } }), DEFAULT_GATE_POLICY, 'garbage: defaults');
  assert.deepEqual(legacyGateSwitches(p), { userGates: 2, adminsRequirePasskey: true });
});

test('flat fields: parsed in any order and written canonically; bad text is null', () => {
  const p = withGateField(DEFAULT_GATE_POLICY, 'userMethods', 'passkey, email  totp');
  assert.deepEqual(p?.users.methods, ['email', 'totp', 'passkey']);
  assert.equal(gateFieldTexts(p!).userMethods, 'email totp passkey');
  assert.equal(withGateField(DEFAULT_GATE_POLICY, 'userMethods', 'email fax'), null);
  assert.equal(withGateField(DEFAULT_GATE_POLICY, 'adminGates', '3'), null);
  assert.equal(withGateField(DEFAULT_GATE_POLICY, 'usersRequirePasskey', 'yes'), null);
  assert.equal(withGateField(DEFAULT_GATE_POLICY, 'adminGates', '1')?.admins.count, 1);
  assert.deepEqual(gateFieldTexts(DEFAULT_GATE_POLICY), {
    userGates: '1',
    userMethods: 'email sms totp passkey',
    usersRequirePasskey: 'false',
    adminGates: '2',
    adminMethods: 'email sms totp passkey',
    adminsRequirePasskey: 'false',
  });
});
