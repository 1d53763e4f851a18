import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY_MS } from '../../src/core/reset-policy.ts';
import { captchaFromServer } from '../helpers/captcha.ts';
import { RC } from '../helpers/reset-harness.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { createPagesKit } from './reset-pages-kit.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answers are read field by field
type Body = Record<string, any>;

const API = '/api/v1/reset';
const USER = 'user@contoso.example';

test('reset API: the passkey step (options bound to the flow, the assertion checked) passes a gate', async () => {
  const kit = await createPagesKit();
  try {
    const { app, server } = kit;
    const account = (await app.store.directory.findAccountByLogin(USER))!;
    const tenant = (await app.store.directory.getTenant(account.tenantId))!;
    // no cooling-off for a method added beside others: the passkey passes at once here
    await app.store.directory.updateTenantPolicy(tenant.id, { ...tenant.policy, coolingOffHours: 0 }, app.clock.now());
    const authenticator = new SoftAuthenticator(new URL(app.config.public_url).origin);
    const now = app.clock.now();
    await app.store.directory.createSession({
      idHash: 'api-passkey-session',
      accountId: account.id,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + DAY_MS,
    });
    const auth = {
      account,
      tenant,
      session: (await app.store.directory.getSession('api-passkey-session'))!,
      methods: { email: true, phone: true },
    };
    const regOptions = await app.securityInfo.passkeys.options(auth, RC);
    assert.ok(regOptions.ok);
    const registered = await app.securityInfo.passkeys.register(
      auth,
      authenticator.create(regOptions.value),
      'Laptop',
      'Passkey',
      RC,
    );
    assert.ok(registered.ok);

    const call = async (method: 'GET' | 'POST', path: string, flow: string | null, body?: unknown) => {
      const res = await server.inject({
        method,
        url: `${API}${path}`,
        headers: flow ? { 'x-flow-secret': flow } : {},
        ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}),
      });
      return { status: res.statusCode, body: res.json<Body>() };
    };
    const started = await call('POST', '/start', null, {
      login: USER,
      altcha: await captchaFromServer(server, `${API}/challenge`),
    });
    assert.equal(started.status, 202);
    let secret = `${started.body.flowId}.${started.body.flowSecret}`;
    assert.equal(started.body.flow.canUsePasskey, true);
    const options = async () => {
      const r = await call('GET', '/flow/passkey/options', secret);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.options as { challenge: string; rpId: string; userVerification: string; allowCredentials?: [] };
    };
    assert.equal((await call('GET', '/flow/passkey/options', secret)).body.error.code, 'wrong_step', 'not yet');
    const moved = await call('POST', '/flow/use-passkey', secret, {});
    assert.equal(moved.status, 200);
    assert.equal(moved.body.flow.state, 'passkey_check');
    secret = `${started.body.flowId}.${moved.body.flowSecret}`;
    assert.equal((await call('GET', '/flow/passkey/options', null)).body.error.code, 'flow_not_found');

    const first = await options();
    assert.equal(first.rpId, new URL(app.config.public_url).hostname);
    assert.equal(first.userVerification, 'required');
    assert.equal((first.allowCredentials ?? []).length, 0, 'the options name no credential');
    // a passkey of no account of this flow: refused (audited), the flow stays where it is
    const stranger = new SoftAuthenticator(new URL(app.config.public_url).origin);
    stranger.create({ challenge: first.challenge, rp: { id: first.rpId }, user: { id: 'eA' } });
    const refused = await call('POST', '/flow/passkey', secret, { credential: JSON.parse(stranger.get(first)) });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'passkey_refused');
    assert.equal((await call('POST', '/flow/passkey', secret, { credential: 'x' })).status, 400, 'not an object');

    const second = await options();
    const answer = JSON.parse(authenticator.get(second));
    const passed = await call('POST', '/flow/passkey', secret, { credential: answer });
    assert.equal(passed.status, 200, JSON.stringify(passed.body));
    assert.equal(passed.body.flow.state, 'new_password');
    const next = `${started.body.flowId}.${passed.body.flowSecret}`;
    const again = await call('POST', '/flow/passkey', next, { credential: answer });
    assert.equal(again.body.error.code, 'wrong_step', 'the gate passed: no second assertion');
    const audit = await app.store.audit.list({ accountId: account.id, type: 'passkey.rejected', limit: 5 });
    assert.equal(audit.length, 1);
  } finally {
    await kit.close();
  }
});
