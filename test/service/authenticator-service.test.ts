import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { otpauthUri } from '../../src/core/authenticator.ts';
import { withAuthenticatorKit } from '../helpers/authenticator-kit.ts';
import { RC, STRONG } from '../helpers/reset-harness.ts';

const USER = 'user@contoso.example';
const ADMIN = 'admin2@contoso.example';

describe('authenticator app: registration in My security info', () => {
  test('start shows a 20-byte key and its otpauth URI; the secret is sealed at rest; a first code confirms it', () =>
    withAuthenticatorKit(async ({ h, si, signIn, code }) => {
      const auth = await signIn(USER);
      const started = await si.authenticator.start(auth, RC);
      assert.ok(started.ok);
      const secret = started.value.key.replaceAll(' ', '');
      assert.equal(secret.length, 32, '160 bits in base32');
      assert.equal(started.value.uri, otpauthUri(secret, auth.tenant.name, USER));
      const row = await h.store.authenticators.pending(auth.account.id);
      assert.ok(row && !row.secretSealed.includes(secret) && h.keyring.open(row.secretSealed) === secret);
      // another session sees no pending registration and cannot confirm it
      const other = await signIn(USER);
      assert.equal(await si.authenticator.pending(other), null);
      assert.deepEqual(await si.authenticator.confirm(other, code(secret), RC), {
        ok: false,
        error: 'nothing_pending',
      });
      assert.deepEqual(await si.authenticator.confirm(auth, '12345', RC), { ok: false, error: 'code_malformed' });
      const wrong = code(secret) === '000000' ? '111111' : '000000';
      assert.deepEqual(await si.authenticator.confirm(auth, wrong, RC), { ok: false, error: 'invalid_code' });
      assert.deepEqual(await si.authenticator.confirm(auth, code(secret), RC), { ok: true, value: true });
      assert.notEqual((await si.authenticator.status(auth)).confirmedAt, null);
      assert.deepEqual(await si.authenticator.start(auth, RC), { ok: false, error: 'authenticator_exists' });
      const notices = (await h.messages()).filter((m) => m.template === 'security-info.changed');
      assert.deepEqual(notices.map((m) => m.to).sort(), [USER, 'uma.home@personal.example'].sort());
      assert.match(notices[0]!.subject!, /Authenticator app/);
      const types = (await h.auditTypes()).map((e) => `${e.type}:${e.outcome}`);
      assert.ok(types.includes('security_info.authenticator_started:ok'));
      assert.ok(types.includes('security_info.rejected:mismatch'));
      assert.ok(types.includes('security_info.authenticator_added:ok'));
    }));

  test('five wrong first codes end the registration; a registration waits 30 minutes at most', () =>
    withAuthenticatorKit(async ({ h, si, signIn, code }) => {
      const auth = await signIn(USER);
      const started = await si.authenticator.start(auth, RC);
      assert.ok(started.ok);
      const secret = started.value.key.replaceAll(' ', '');
      const wrong = code(secret, 5);
      for (let i = 0; i < 5; i++) await si.authenticator.confirm(auth, wrong, RC);
      assert.deepEqual(await si.authenticator.confirm(auth, code(secret), RC), { ok: false, error: 'invalid_code' });
      const again = await si.authenticator.start(auth, RC);
      assert.ok(again.ok);
      h.clock.advance(30 * 60_000);
      const late = again.value.key.replaceAll(' ', '');
      assert.deepEqual(await si.authenticator.confirm(auth, code(late), RC), { ok: false, error: 'nothing_pending' });
    }));

  test('remove deletes it, notifies, and its codes no longer pass a reset gate', () =>
    withAuthenticatorKit(async ({ h, si, signIn, register, code }) => {
      const secret = await register(USER);
      const auth = await signIn(USER);
      assert.equal(await si.authenticator.remove(auth, RC), true);
      assert.equal(await si.authenticator.remove(auth, RC), false);
      const notices = (await h.messages()).filter((m) => m.template === 'security-info.changed');
      assert.equal(notices.length, 4, 'two when added, two when removed');
      assert.match(notices.at(-1)!.text, /Removed/);
      const flow = await h.reset.start(USER, RC);
      assert.ok(flow.ok);
      const app = await h.reset.useAuthenticator(flow.value, RC);
      assert.ok(app.ok);
      const typed = await h.reset.submitCode({ flowId: flow.value.flowId, secret: app.value.secret }, code(secret), RC);
      assert.deepEqual(typed, { ok: false, error: 'invalid_code' });
    }));
});

describe('authenticator app: a reset gate', () => {
  test('a user resets with the app as the single gate; the same code then fails in a new flow (step used)', () =>
    withAuthenticatorKit(async ({ h, register, code }) => {
      const secret = await register(USER);
      const flow = await h.reset.start(USER, RC);
      assert.ok(flow.ok);
      assert.equal(flow.value.view.canUseAuthenticator, true);
      const app = await h.reset.useAuthenticator(flow.value, RC);
      assert.ok(app.ok);
      assert.equal(app.value.view.state, 'totp_code');
      const handle = { flowId: flow.value.flowId, secret: app.value.secret };
      const typed = code(secret);
      const passed = await h.reset.submitCode(handle, typed, RC);
      assert.ok(passed.ok, JSON.stringify(passed));
      assert.equal(passed.value.view.state, 'new_password');
      const done = await h.reset.setPassword({ ...handle, secret: passed.value.secret }, STRONG, STRONG, RC);
      assert.ok(done.ok);
      const again = await h.reset.start(USER, RC);
      assert.ok(again.ok);
      const app2 = await h.reset.useAuthenticator(again.value, RC);
      assert.ok(app2.ok);
      const reused = await h.reset.submitCode({ flowId: again.value.flowId, secret: app2.value.secret }, typed, RC);
      assert.deepEqual(reused, { ok: false, error: 'invalid_code' });
      const outcomes = (await h.auditTypes()).filter((e) => e.type === 'code.rejected').map((e) => e.outcome);
      assert.deepEqual(outcomes, ['already_used']);
    }));

  test('an admin: the app is offered as the second gate after the email one, never instead of it', () =>
    withAuthenticatorKit(async ({ h, register, code }) => {
      const secret = await register(ADMIN);
      const flow = await h.reset.start(ADMIN, RC);
      assert.ok(flow.ok);
      // before the email gate: the page is there (it reveals nothing), but no code passes
      const early = await h.reset.useAuthenticator(flow.value, RC);
      assert.ok(early.ok);
      let handle = { flowId: flow.value.flowId, secret: early.value.secret };
      assert.deepEqual(await h.reset.submitCode(handle, code(secret), RC), { ok: false, error: 'invalid_code' });
      const back = await h.reset.backToEmail(handle, RC);
      assert.ok(back.ok);
      handle = { ...handle, secret: back.value.secret };
      const email = await h.reset.submitCode(handle, await h.lastCode('bob.home@personal.example'), RC);
      assert.ok(email.ok, JSON.stringify(email));
      assert.equal(email.value.view.state, 'phone_number');
      assert.equal(email.value.view.canUseAuthenticator, true);
      handle = { ...handle, secret: email.value.secret };
      const app = await h.reset.useAuthenticator(handle, RC);
      assert.ok(app.ok);
      assert.equal(app.value.view.canUsePhone, true, 'the SMS stays possible');
      handle = { ...handle, secret: app.value.secret };
      const passed = await h.reset.submitCode(handle, code(secret, 1), RC);
      assert.ok(passed.ok, JSON.stringify(passed));
      assert.equal(passed.value.view.state, 'new_password');
    }));

  test('wrong app codes count toward the same block as other codes (5 in 24 h)', () =>
    withAuthenticatorKit(async ({ h, register, code }) => {
      const secret = await register(USER);
      const flow = await h.reset.start(USER, RC);
      assert.ok(flow.ok);
      const app = await h.reset.useAuthenticator(flow.value, RC);
      assert.ok(app.ok);
      const handle = { flowId: flow.value.flowId, secret: app.value.secret };
      const wrong = code(secret, 3);
      for (let i = 0; i < 5; i++) {
        assert.deepEqual(await h.reset.submitCode(handle, wrong, RC), { ok: false, error: 'invalid_code' });
      }
      const types = await h.auditTypes();
      assert.ok(types.some((e) => e.type === 'account.self_service_blocked'));
      // blocked: a right code of a new flow is not even compared
      const again = await h.reset.start(USER, RC);
      assert.ok(again.ok);
      const app2 = await h.reset.useAuthenticator(again.value, RC);
      assert.ok(app2.ok);
      const right = await h.reset.submitCode(
        { flowId: again.value.flowId, secret: app2.value.secret },
        code(secret),
        RC,
      );
      assert.deepEqual(right, { ok: false, error: 'invalid_code' });
      assert.equal((await h.auditTypes()).at(-1)?.outcome, 'blocked');
    }));
});

describe('authenticator app: cooling-off of an app added beside other methods (issue 13 edges, item 1)', () => {
  const DAY = 24 * 3_600_000;

  test('for 24 hours its right code passes no gate and says until when (not a guess); a second gate does not offer it; then it passes', () =>
    withAuthenticatorKit(async ({ h, si, signIn, code }) => {
      // a stolen signed-in session adds an app beside the email and phone the user has
      const auth = await signIn(USER);
      const started = await si.authenticator.start(auth, RC);
      assert.ok(started.ok);
      const secret = started.value.key.replaceAll(' ', '');
      assert.ok((await si.authenticator.confirm(auth, code(secret), RC)).ok);
      const addedAt = h.clock.now();
      h.clock.advance(30_000);

      const flow = await h.reset.start(USER, RC);
      assert.ok(flow.ok);
      const app = await h.reset.useAuthenticator(flow.value, RC);
      assert.ok(app.ok);
      const handle = { flowId: flow.value.flowId, secret: app.value.secret };
      const refused = await h.reset.submitCode(handle, code(secret), RC);
      assert.deepEqual(refused, { ok: false, error: 'method_cooling_off', detail: String(addedAt + DAY) });
      const wrong = await h.reset.submitCode(handle, code(secret) === '000000' ? '111111' : '000000', RC);
      assert.deepEqual(wrong, { ok: false, error: 'invalid_code' }, 'a wrong code is still only wrong');
      const rejected = (await h.auditTypes()).filter((e) => e.type === 'code.rejected').map((e) => e.outcome);
      assert.deepEqual(rejected, ['cooling_off', 'mismatch']);

      // one millisecond before the end: still refused; at the end: it passes
      h.clock.set(addedAt + DAY - 1);
      const before = await h.reset.start(USER, RC);
      assert.ok(before.ok);
      const app2 = await h.reset.useAuthenticator(before.value, RC);
      assert.ok(app2.ok);
      const handle2 = { flowId: before.value.flowId, secret: app2.value.secret };
      const still = await h.reset.submitCode(handle2, code(secret), RC);
      assert.equal(!still.ok && still.error, 'method_cooling_off');
      h.clock.set(addedAt + DAY + 30_000);
      const passed = await h.reset.submitCode(handle2, code(secret), RC);
      assert.ok(passed.ok, JSON.stringify(passed));
      assert.equal(passed.value.view.state, 'new_password');
    }));

  test('an admin’s second gate does not offer an app in its cooling-off; the app that was the first way in is usable at once', () =>
    withAuthenticatorKit(async ({ h, si, signIn, code }) => {
      const auth = await signIn(ADMIN);
      const started = await si.authenticator.start(auth, RC);
      assert.ok(started.ok);
      const secret = started.value.key.replaceAll(' ', '');
      assert.ok((await si.authenticator.confirm(auth, code(secret), RC)).ok);
      const flow = await h.reset.start(ADMIN, RC);
      assert.ok(flow.ok);
      const handle = { flowId: flow.value.flowId, secret: flow.value.secret };
      const email = await h.reset.submitCode(handle, await h.lastCode('bob.home@personal.example'), RC);
      assert.ok(email.ok, JSON.stringify(email));
      assert.equal(email.value.view.state, 'phone_number');
      assert.equal(email.value.view.canUseAuthenticator, false, 'not offered while it cools off');
      h.clock.advance(DAY);
      const later = await h.reset.start(ADMIN, RC);
      assert.ok(later.ok);
      const email2 = await h.reset.submitCode(
        { flowId: later.value.flowId, secret: later.value.secret },
        await h.lastCode('bob.home@personal.example'),
        RC,
      );
      assert.ok(email2.ok, JSON.stringify(email2));
      assert.equal(email2.value.view.canUseAuthenticator, true, 'offered once the cooling-off is over');
    }));
});
