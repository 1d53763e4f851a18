import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_TENANT_POLICY } from '../../src/core/directory-model.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { withPasskeyKit } from '../helpers/passkey-kit.ts';
import { PUBLIC_URL, RC, STRONG } from '../helpers/reset-harness.ts';

const USER = 'user@contoso.example';
const ADMIN = 'admin2@contoso.example';

describe('passkeys: registration in My security info', () => {
  test('options bound to the session (RP from the public URL, UV required, resident key); the public key stored; notices', () =>
    withPasskeyKit(async ({ h, si, signIn, authenticator }) => {
      const auth = await signIn(USER);
      const options = await si.passkeys.options(auth, RC);
      assert.ok(options.ok);
      assert.equal(options.value.rp.id, 'reset.example.com');
      assert.equal(options.value.authenticatorSelection?.userVerification, 'required');
      assert.equal(options.value.authenticatorSelection?.residentKey, 'required');
      assert.equal(options.value.attestation, 'none');
      const answer = authenticator.create(options.value);
      // another session of the same account cannot use this session's challenge
      const other = await signIn(USER);
      assert.deepEqual(await si.passkeys.register(other, answer, '', 'Passkey', RC), {
        ok: false,
        error: 'passkey_refused',
      });
      // the challenge is stored as an HMAC, never as itself
      const now = h.clock.now();
      assert.equal(
        await h.store.passkeys.takeChallenge(options.value.challenge, 'register', auth.session.idHash, now),
        null,
      );
      const done = await si.passkeys.register(auth, answer, '  Work laptop ', 'Passkey', RC);
      assert.ok(done.ok, JSON.stringify(done));
      assert.equal(done.value.name, 'Work laptop');
      const stored = await h.store.passkeys.list(auth.account.id);
      assert.equal(stored.length, 1);
      assert.equal(stored[0]!.credentialId, authenticator.credentials[0]!.id);
      assert.deepEqual(stored[0]!.transports, ['internal']);
      // the same answer again: its challenge was used
      assert.deepEqual(await si.passkeys.register(auth, answer, '', 'Passkey', RC), {
        ok: false,
        error: 'passkey_refused',
      });
      const notices = (await h.messages()).filter((m) => m.template === 'security-info.changed');
      assert.deepEqual(notices.map((m) => m.to).sort(), [USER, 'uma.home@personal.example'].sort());
      assert.match(notices[0]!.subject!, /Passkey/);
      assert.match(notices[0]!.text, /A new passkey/);
      const types = (await h.auditTypes()).map((e) => `${e.type}:${e.outcome}`);
      assert.ok(types.includes('security_info.passkey_started:ok'));
      assert.ok(types.includes('security_info.passkey_added:ok'));
      assert.ok(types.includes('security_info.rejected:challenge_unknown'));
    }));

  test('without user verification, from another origin, or after 5 minutes: refused', () =>
    withPasskeyKit(async ({ h, si, signIn }) => {
      const auth = await signIn(USER);
      const presenceOnly = new SoftAuthenticator(new URL(PUBLIC_URL).origin, false);
      let options = await si.passkeys.options(auth, RC);
      assert.ok(options.ok);
      assert.deepEqual(await si.passkeys.register(auth, presenceOnly.create(options.value), '', 'P', RC), {
        ok: false,
        error: 'passkey_refused',
      });
      const phishing = new SoftAuthenticator('https://reset.example.com.evil.example');
      options = await si.passkeys.options(auth, RC);
      assert.ok(options.ok);
      assert.equal((await si.passkeys.register(auth, phishing.create(options.value), '', 'P', RC)).ok, false);
      const late = new SoftAuthenticator(new URL(PUBLIC_URL).origin);
      options = await si.passkeys.options(auth, RC);
      assert.ok(options.ok);
      h.clock.advance(5 * 60_000);
      assert.equal((await si.passkeys.register(auth, late.create(options.value), '', 'P', RC)).ok, false);
      assert.deepEqual(await h.store.passkeys.list(auth.account.id), []);
      const outcomes = (await h.auditTypes()).filter((e) => e.type === 'security_info.rejected').map((e) => e.outcome);
      assert.deepEqual(outcomes, ['not_verified', 'not_verified', 'challenge_unknown']);
    }));

  test('remove: notifies, and the passkey no longer passes a reset gate', () =>
    withPasskeyKit(async ({ h, si, signIn, register, assertion }) => {
      await register(USER);
      const auth = await signIn(USER);
      const [k] = await si.passkeys.list(auth);
      assert.equal(await si.passkeys.remove(auth, k!.id, RC), true);
      assert.equal(await si.passkeys.remove(auth, k!.id, RC), false);
      const notices = (await h.messages()).filter((m) => m.template === 'security-info.changed');
      assert.equal(notices.length, 4, 'two when added, two when removed');
      assert.equal(notices.filter((m) => /A passkey was removed/.test(m.text)).length, 2);
      const flow = await h.reset.start(USER, RC);
      assert.ok(flow.ok);
      const use = await h.reset.usePasskey(flow.value, RC);
      assert.ok(use.ok);
      const handle = { flowId: flow.value.flowId, secret: use.value.secret };
      assert.deepEqual(await h.reset.submitPasskey(handle, await assertion(handle), RC), {
        ok: false,
        error: 'passkey_refused',
      });
      assert.equal((await h.auditTypes()).at(-1)?.outcome, 'not_registered');
    }));
});

describe('passkeys: a reset gate', () => {
  test('a user resets with the passkey as the single gate', () =>
    withPasskeyKit(async ({ h, register, assertion }) => {
      await register(USER);
      const flow = await h.reset.start(USER, RC);
      assert.ok(flow.ok);
      assert.equal(flow.value.view.canUsePasskey, true);
      const use = await h.reset.usePasskey(flow.value, RC);
      assert.ok(use.ok);
      assert.equal(use.value.view.state, 'passkey_check');
      const handle = { flowId: flow.value.flowId, secret: use.value.secret };
      const options = await h.reset.passkeyOptions(handle);
      assert.ok(options.ok);
      assert.deepEqual(options.value.allowCredentials, [], 'the options name no credential');
      assert.equal(options.value.userVerification, 'required');
      const passed = await h.reset.submitPasskey(handle, await assertion(handle), RC);
      assert.ok(passed.ok, JSON.stringify(passed));
      assert.equal(passed.value.view.state, 'new_password');
      const done = await h.reset.setPassword({ ...handle, secret: passed.value.secret }, STRONG, STRONG, RC);
      assert.ok(done.ok);
      const types = (await h.auditTypes()).map((e) => `${e.type}:${e.outcome}`);
      assert.ok(types.includes('flow.use_passkey:ok'));
      assert.ok(types.includes('passkey.accepted:ok'));
    }));

  test("another account's passkey does not pass; a flow of a login without passkeys shows the same page", () =>
    withPasskeyKit(async ({ h, register, assertion }) => {
      await register(ADMIN);
      const flow = await h.reset.start(USER, RC);
      assert.ok(flow.ok);
      const use = await h.reset.usePasskey(flow.value, RC);
      assert.ok(use.ok);
      const handle = { flowId: flow.value.flowId, secret: use.value.secret };
      assert.deepEqual(await h.reset.submitPasskey(handle, await assertion(handle), RC), {
        ok: false,
        error: 'passkey_refused',
      });
      assert.equal((await h.auditTypes()).at(-1)?.outcome, 'not_registered');
    }));

  test('an admin: the passkey is offered at the second gate, after the email; SMS stays possible', () =>
    withPasskeyKit(async ({ h, register, assertion }) => {
      await register(ADMIN);
      const flow = await h.reset.start(ADMIN, RC);
      assert.ok(flow.ok);
      // before the email gate: the page is reached, no passkey passes there
      const early = await h.reset.usePasskey(flow.value, RC);
      assert.ok(early.ok);
      let handle = { flowId: flow.value.flowId, secret: early.value.secret };
      assert.deepEqual(await h.reset.submitPasskey(handle, await assertion(handle), RC), {
        ok: false,
        error: 'passkey_refused',
      });
      assert.equal((await h.auditTypes()).at(-1)?.outcome, 'gate_closed');
      const back = await h.reset.backToEmail(handle, RC);
      assert.ok(back.ok);
      handle = { ...handle, secret: back.value.secret };
      const email = await h.reset.submitCode(handle, await h.lastCode('bob.home@personal.example'), RC);
      assert.ok(email.ok, JSON.stringify(email));
      assert.equal(email.value.view.state, 'phone_number');
      assert.equal(email.value.view.canUsePasskey, true);
      handle = { ...handle, secret: email.value.secret };
      const key = await h.reset.usePasskey(handle, RC);
      assert.ok(key.ok);
      assert.equal(key.value.view.canUsePhone, true);
      handle = { ...handle, secret: key.value.secret };
      const passed = await h.reset.submitPasskey(handle, await assertion(handle), RC);
      assert.ok(passed.ok, JSON.stringify(passed));
      assert.equal(passed.value.view.state, 'new_password');
    }));

  test('a tenant that requires passkeys of its admins: the second gate is the passkey, no SMS or app instead', () =>
    withPasskeyKit(
      async ({ h, register, assertion }) => {
        await register(ADMIN);
        const flow = await h.reset.start(ADMIN, RC);
        assert.ok(flow.ok);
        let handle = { flowId: flow.value.flowId, secret: flow.value.secret };
        const email = await h.reset.submitCode(handle, await h.lastCode('bob.home@personal.example'), RC);
        assert.ok(email.ok, JSON.stringify(email));
        assert.equal(email.value.view.state, 'passkey_check');
        assert.equal(email.value.view.canUsePhone, false);
        assert.equal(email.value.view.canUseAuthenticator, false);
        handle = { ...handle, secret: email.value.secret };
        assert.deepEqual(await h.reset.usePhone(handle, RC), { ok: false, error: 'wrong_step' });
        const passed = await h.reset.submitPasskey(handle, await assertion(handle), RC);
        assert.ok(passed.ok, JSON.stringify(passed));
        assert.equal(passed.value.view.state, 'new_password');
        // users of the tenant are not concerned
        const user = await h.reset.start(USER, RC);
        assert.ok(user.ok);
        const code = await h.reset.submitCode(user.value, await h.lastCode('uma.home@personal.example'), RC);
        assert.ok(code.ok);
        assert.equal(code.value.view.state, 'new_password');
      },
      {
        tenantPolicy: {
          gates: {
            ...DEFAULT_TENANT_POLICY.gates,
            admins: { ...DEFAULT_TENANT_POLICY.gates.admins, passkeyRequired: true },
          },
        },
      },
    ));
});
