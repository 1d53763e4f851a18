import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  FLOW_TRANSITIONS,
  flowMermaid,
  planGates,
  smsAllowed,
  stepOf,
  transition,
  type FlowEvent,
  type FlowPosition,
} from '../../src/core/reset-flow.ts';

function walk(pos: FlowPosition, ...events: FlowEvent[]): FlowPosition {
  for (const e of events) {
    const r = transition(pos, e);
    assert.ok(r.ok, `${e} from ${pos.state} should be allowed`);
    pos = r.value;
  }
  return pos;
}
const start = (gates: FlowPosition['gates']): FlowPosition => ({ state: 'email_code', gates, passed: 0 });

test('administrators always have two gates, email first; users follow the tenant policy', () => {
  assert.deepEqual(planGates('admin', 1), ['email', 'sms']);
  assert.deepEqual(planGates('global_admin', 1), ['email', 'sms']);
  assert.deepEqual(planGates('user', 1), ['email']);
  assert.deepEqual(planGates('user', 2), ['email', 'sms']);
  assert.deepEqual(planGates(null, 1), ['email'], 'an unknown account looks like a user of the tenant');
});

test('admin journey: email gate, then phone number, then SMS code, then password', () => {
  let pos = start(planGates('admin', 1));
  assert.equal(smsAllowed(pos), false);
  pos = walk(pos, 'email_verified');
  assert.equal(pos.state, 'phone_number');
  assert.equal(smsAllowed(pos), true, 'SMS only after the email gate passed');
  pos = walk(pos, 'phone_submitted', 'sms_verified');
  assert.equal(pos.state, 'new_password');
  assert.equal(walk(pos, 'password_set').state, 'completed');
});

test('a two-gate flow that asks for the phone first never gets an SMS and cannot pass the SMS gate', () => {
  const pos = walk(start(['email', 'sms']), 'use_phone', 'phone_submitted');
  assert.equal(pos.state, 'sms_code');
  assert.equal(smsAllowed(pos), false);
  assert.equal(transition(pos, 'sms_verified').ok, false);
  assert.equal(walk(pos, 'back_to_email').state, 'email_code');
});

test('a one-gate user may use the phone instead of email', () => {
  const pos = walk(start(['email']), 'use_phone');
  assert.equal(smsAllowed(pos), true);
  assert.equal(walk(pos, 'phone_submitted', 'sms_verified').state, 'new_password');
  assert.equal(walk(start(['email']), 'email_verified').state, 'new_password');
});

test('events outside the table are refused; terminal states accept nothing', () => {
  assert.equal(transition(start(['email']), 'password_set').ok, false);
  assert.equal(transition({ state: 'completed', gates: ['email'], passed: 1 }, 'deadline_passed').ok, false);
  const afterEmail = walk(start(['email', 'sms']), 'email_verified');
  assert.equal(transition(afterEmail, 'back_to_email').ok, false, 'no going back once a gate passed');
  for (const state of Object.keys(FLOW_TRANSITIONS) as (keyof typeof FLOW_TRANSITIONS)[]) {
    if (state === 'completed' || state === 'unlocked' || state === 'expired') continue;
    assert.equal(transition({ state, gates: ['email'], passed: 0 }, 'deadline_passed').ok, true, `${state} can expire`);
  }
});

test('unlocking the account ends a flow only from the new-password step, and nothing follows it', () => {
  for (const gates of [['email'], ['email', 'sms']] as const) {
    let pos = start(gates);
    assert.equal(transition(pos, 'account_unlocked').ok, false, 'not before the first gate');
    pos = walk(pos, 'email_verified');
    if (gates.length === 2) {
      assert.equal(transition(pos, 'account_unlocked').ok, false, 'not before the SMS gate');
      pos = walk(pos, 'phone_submitted');
      assert.equal(transition(pos, 'account_unlocked').ok, false, 'not on the SMS code step');
      pos = walk(pos, 'sms_verified');
    }
    assert.equal(pos.state, 'new_password');
    const unlocked = walk(pos, 'account_unlocked');
    assert.equal(unlocked.state, 'unlocked');
    for (const event of ['password_set', 'account_unlocked', 'deadline_passed', 'email_verified'] as const)
      assert.equal(transition(unlocked, event).ok, false, `${event} after unlocked`);
  }
  assert.equal(transition({ state: 'completed', gates: ['email'], passed: 1 }, 'account_unlocked').ok, false);
});

test('the step counter shows the total only after a gate passed', () => {
  assert.deepEqual(stepOf(start(['email', 'sms'])), { step: 1, of: null });
  assert.deepEqual(stepOf(walk(start(['email', 'sms']), 'email_verified')), { step: 2, of: 2 });
  assert.deepEqual(stepOf(walk(start(['email']), 'email_verified')), { step: 1, of: 1 });
});

test('docs/flow.md holds the diagram generated from the transition table', () => {
  const doc = readFileSync(new URL('../../docs/flow.md', import.meta.url), 'utf8');
  assert.ok(doc.includes('```mermaid\n' + flowMermaid() + '\n```'), 'docs/flow.md is stale: run `npm run docs:flow`');
});
