import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_API_PREFIX } from '../../src/http/api/admin-api-plugin.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { createPagesKit, h1, solveCaptcha, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

const USER = 'user@contoso.example';

async function signIn(kit: PagesKit, login: string): Promise<TestBrowser> {
  const b = new TestBrowser(kit.server);
  await b.get('/signin');
  const password = kit.demo.accounts.find((a) => a.login === login)!.password;
  const res = await passSecondStep(kit.app, b, await b.post('/signin', { login, password, next: '/account' }), login);
  assert.equal(res.statusCode, 303, 'signed in');
  return b;
}

/** The options JSON a passkey form carries (data-passkey-options, HTML-escaped). */
function optionsIn(body: string): { challenge: string; rp: { id: string }; user: { id: string }; rpId?: string } {
  const raw = /data-passkey-options="([^"]*)"/.exec(body)?.[1];
  assert.ok(raw, 'the form carries the options');
  return JSON.parse(raw.replaceAll('&quot;', '"').replaceAll('&amp;', '&')) as never;
}

test('passkey pages: register through the form (CSRF, options with the session challenge, UV required), then reset with it', async () => {
  const clock = new ManualClock(Date.now());
  const kit = await createPagesKit({}, { clock });
  try {
    const origin = new URL(kit.app.config.public_url).origin;
    const authenticator = new SoftAuthenticator(origin);
    const b = await signIn(kit, USER);
    const overview = await b.get('/account/security');
    assert.match(overview.body, /<h2 id="passkey-heading">Passkeys<\/h2>/);
    const page = await b.get('/account/security/passkeys');
    assert.equal(page.statusCode, 200);
    assert.equal(h1(page.body), 'Add a passkey');
    assert.match(page.body, /<script type="module" src="\/static\/passkey.js">/);
    assert.doesNotMatch(page.body, /<script>|<script [^>]*>[^<]/, 'no inline script (strict CSP)');
    assert.match(page.body, /does not support passkeys/, 'what to do without passkey support');
    const options = optionsIn(page.body);
    assert.equal(options.rp.id, new URL(origin).hostname);
    assert.match(page.body, /&quot;userVerification&quot;:&quot;required&quot;/);
    const forged = await b.post('/account/security/passkeys', {
      credential: authenticator.create(options),
      name: 'x',
      _csrf: null,
    });
    assert.equal(forged.statusCode, 403, 'no CSRF token, no passkey');
    // the page again: a new challenge replaces the first (one live per session)
    const answer = authenticator.create(optionsIn((await b.get('/account/security/passkeys')).body));
    const done = await b.post('/account/security/passkeys', { credential: answer, name: 'Phone' });
    assert.equal(done.statusCode, 303, done.body.slice(0, 300));
    const after = await b.follow(done);
    assert.match(after.body, /Your passkey is registered/);
    assert.match(after.body, /<strong class="masked" data-method="passkey">Phone<\/strong>/);
    const again = await b.post('/account/security/passkeys', { credential: answer, name: 'Phone' });
    assert.equal(again.statusCode, 400, 'the same answer twice');
    assert.match(again.body, /The passkey was not registered/);

    // a passkey added beside the email and phone the user had: for its cooling-off it passes no
    // gate, and the page says why and until when (issue 13 edges, item 1)
    const early = new TestBrowser(kit.server);
    await early.get('/reset');
    await early.follow(await early.post('/reset', { login: USER, altcha: await solveCaptcha(kit.server) }));
    const earlyStep = await early.follow(await early.post('/reset/flow/use-passkey'));
    const cooling = await early.post('/reset/flow/passkey', {
      credential: authenticator.get({ ...optionsIn(earlyStep.body), rpId: options.rp.id }),
    });
    assert.equal(cooling.statusCode, 403);
    assert.match(cooling.body, /This method was added recently/);
    assert.match(cooling.body, /it can be used to reset your password only from \d+ \w+ \d{4}, \d\d:\d\d/);
    assert.match(cooling.body, /Use a method you registered earlier/);
    const refused = await kit.app.store.audit.list({ type: 'passkey.rejected', outcome: 'cooling_off' });
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.details.until, clock.now() + 24 * 3_600_000);
    clock.advance(24 * 3_600_000);

    // the reset: 'Use your passkey', the step with its options, a bad answer, then the passkey
    const r = new TestBrowser(kit.server);
    await r.get('/reset');
    await r.follow(await r.post('/reset', { login: USER, altcha: await solveCaptcha(kit.server) }));
    const step = await r.follow(await r.post('/reset/flow/use-passkey'));
    assert.equal(h1(step.body), 'Use your passkey');
    const getOptions = optionsIn(step.body);
    assert.match(step.body, /data-passkey="get"/);
    assert.match(step.body, /&quot;allowCredentials&quot;:\[\]/, 'no credential named');
    const bad = await r.post('/reset/flow/passkey', { credential: '{"id":"x"}' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Your passkey was not accepted/);
    const fresh = optionsIn(bad.body);
    assert.notEqual(fresh.challenge, getOptions.challenge, 'the page again, with a new challenge');
    const passed = await r.post('/reset/flow/passkey', {
      credential: authenticator.get({ ...fresh, rpId: options.rp.id }),
    });
    assert.equal(passed.statusCode, 303);
    assert.equal(h1((await r.follow(passed)).body), 'Choose a new password');
    const js = await r.get('/static/passkey.js');
    assert.equal(js.statusCode, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
  } finally {
    await kit.close();
  }
});

test('admin API: the reset gates with policy:read and policy:write; adminsRequirePasskey changes the admins’ second gate', async () => {
  const kit = await createPagesKit();
  try {
    const found = await kit.app.directory.getTenantByName('Contoso Demo');
    assert.ok(found.ok);
    const tenant = found.value;
    const key = async (scopes: ('policy:read' | 'policy:write' | 'users:read')[]) => {
      const r = await kit.app.apiKeys.create({
        tenantId: tenant.id,
        name: 'gates',
        scopes,
        expiresAt: null,
        by: 'cli',
      });
      assert.ok(r.ok);
      return r.value.token;
    };
    const call = (token: string, method: 'GET' | 'PUT', body?: unknown) =>
      kit.server.inject({
        method,
        url: `${ADMIN_API_PREFIX}/policy/gates`,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { payload: JSON.stringify(body) } : {}),
      });
    const reader = await key(['policy:read']);
    const writer = await key(['policy:read', 'policy:write']);
    const other = await key(['users:read']);
    assert.deepEqual((await call(reader, 'GET')).json(), gatesJson(false));
    assert.equal((await call(other, 'GET')).statusCode, 403);
    const refused = await call(reader, 'PUT', { adminsRequirePasskey: true });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error.code, 'scope_missing');
    assert.equal((await call(writer, 'PUT', { adminsRequirePasskey: 'yes' })).statusCode, 400);
    assert.equal((await call(writer, 'PUT', { somethingElse: true })).statusCode, 400);
    const saved = await call(writer, 'PUT', { adminsRequirePasskey: true });
    assert.equal(saved.statusCode, 200);
    assert.deepEqual(saved.json(), gatesJson(true));
    const now = await kit.app.directory.getTenantByName('Contoso Demo');
    assert.ok(now.ok && now.value.policy.gates.admins.passkeyRequired === true);
    const audit = await kit.app.store.audit.list({ tenantId: tenant.id, limit: 20 });
    const change = audit.find((e) => e.type === 'admin.policy_updated');
    assert.ok(change && change.actor.startsWith('api_key:'));
    assert.equal(change.details.adminsRequirePasskey, 'false → true');
  } finally {
    await kit.close();
  }
});

/** The gate policy's JSON with the default methods and admins' passkey switch. */
function gatesJson(adminsRequirePasskey: boolean) {
  const methods = ['email', 'sms', 'totp', 'passkey'];
  return {
    users: { methods, count: 1, passkeyRequired: false },
    admins: { methods, count: 2, passkeyRequired: adminsRequirePasskey },
    userGates: 1,
    adminsRequirePasskey,
  };
}
