import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GatePolicy } from '../../src/core/gate-policy.ts';
import {
  api,
  apiStart,
  csrfIn,
  errorCode,
  PageClient,
  startAttackServer,
  type AttackServer,
} from '../attack/attack-kit.ts';

/**
 * Issue 13 item 3: the first reset page (and the JSON API's view of a new flow) offers only the
 * methods the tenant's gate policy counts for the account's class, so nobody picks a method whose
 * gate never opens; choosing one anyway is refused. An unknown login follows the users' rule, so
 * its page and view are the same as a known user's (the page's no-enumeration property).
 */

const USER = 'user@contoso.example';
const ADMIN = 'admin@contoso.example';
const UNKNOWN = 'nobody-here@contoso.example';

/** Users: one gate, the email or an SMS. Administrators: the email, then a passkey. */
const POLICY: GatePolicy = {
  users: { methods: ['email', 'sms'], count: 1, passkeyRequired: false },
  admins: { methods: ['email', 'passkey'], count: 2, passkeyRequired: true },
};

async function withPolicy(kit: AttackServer, gates: GatePolicy): Promise<void> {
  const tenant = await kit.app.directory.getTenantByName('Contoso Demo');
  assert.ok(tenant.ok);
  await kit.app.store.directory.updateTenantPolicy(
    tenant.value.id,
    { ...tenant.value.policy, gates },
    kit.app.clock.now(),
  );
}

const OFFERS = {
  phone: 'action="/reset/flow/use-phone"',
  authenticator: 'action="/reset/flow/use-authenticator"',
  passkey: 'action="/reset/flow/use-passkey"',
} as const;

/** Which of the other methods a page offers. */
const offered = (html: string) =>
  (Object.keys(OFFERS) as (keyof typeof OFFERS)[]).filter((k) => html.includes(OFFERS[k]));

/** The first page of a new flow through the pages, with what is random (CSRF, masked email) masked. */
async function firstPage(
  kit: AttackServer,
  login: string,
): Promise<{ browser: PageClient; html: string; masked: string }> {
  const browser = new PageClient(kit.server);
  await browser.start(kit, login);
  const page = await browser.get('/reset/flow');
  assert.equal(page.statusCode, 200);
  const handle = browser.flow()!;
  const view = await kit.app.reset.view(handle);
  assert.ok(view.ok);
  const masked = page.body
    .split(csrfIn(page.body))
    .join('<csrf>')
    .split(view.value.maskedEmail)
    .join('<email>')
    .replace(/\b\d{4}-\d{2}-\d{2}T[\d:.]+Z/g, '<iso-date>')
    .replace(/\b\d{13}\b/g, '<epoch-ms>')
    .replace(/\b\d{1,2}:\d{2}(:\d{2})?\b/g, '<hh:mm>');
  return { browser, html: page.body, masked };
}

test('first reset page: only the methods the gate policy counts for the account class; the others refused (pages)', async () => {
  const kit = await startAttackServer({ SSPR_START_LIMIT_PER_IP: '1000000' });
  try {
    // the default policy counts every method for both classes: all of them offered, as before
    assert.deepEqual(offered((await firstPage(kit, USER)).html), ['phone', 'authenticator', 'passkey']);
    assert.deepEqual(offered((await firstPage(kit, ADMIN)).html), ['phone', 'authenticator', 'passkey']);

    await withPolicy(kit, POLICY);
    const user = await firstPage(kit, USER);
    assert.deepEqual(offered(user.html), ['phone'], 'a user: the SMS, no authenticator app, no passkey');
    const unknown = await firstPage(kit, UNKNOWN);
    assert.equal(unknown.masked, user.masked, 'an unknown login sees exactly what a known user sees');
    const admin = await firstPage(kit, ADMIN);
    assert.deepEqual(offered(admin.html), ['passkey'], 'an administrator: the passkey the policy requires');

    // choosing a method the class does not count is refused on the same page; the flow stays
    for (const [who, client, path] of [
      ['user', user.browser, '/reset/flow/use-authenticator'],
      ['user', user.browser, '/reset/flow/use-passkey'],
      ['admin', admin.browser, '/reset/flow/use-phone'],
      ['admin', admin.browser, '/reset/flow/use-authenticator'],
    ] as const) {
      const res = await client.step(path);
      assert.equal(res.statusCode, 400, `${who} ${path}`);
      assert.match(res.body, /<h1>Check your email<\/h1>/, `${who} ${path}: still the email step`);
      const view = await kit.app.reset.view(client.flow()!);
      assert.ok(view.ok);
      assert.equal(view.value.state, 'email_code', `${who} ${path}: the flow did not move`);
    }
    // what the class counts still works
    const phone = await user.browser.step('/reset/flow/use-phone');
    assert.equal(phone.statusCode, 303);
    const userView = await kit.app.reset.view(user.browser.flow()!);
    assert.ok(userView.ok);
    assert.equal(userView.value.state, 'phone_number');
    const passkey = await admin.browser.step('/reset/flow/use-passkey');
    assert.equal(passkey.statusCode, 303);
    const adminView = await kit.app.reset.view(admin.browser.flow()!);
    assert.ok(adminView.ok);
    assert.equal(adminView.value.state, 'passkey_check');
  } finally {
    await kit.close();
  }
});

test('first reset step in the JSON API: the view offers only the counted methods; the others answer wrong_step', async () => {
  const kit = await startAttackServer({ SSPR_START_LIMIT_PER_IP: '1000000' });
  try {
    await withPolicy(kit, POLICY);
    const offers = (flow: Record<string, unknown>) => ({
      phone: flow.canUsePhone,
      authenticator: flow.canUseAuthenticator,
      passkey: flow.canUsePasskey,
    });
    const user = await apiStart(kit, USER);
    assert.deepEqual(offers(user.answer.body.flow as Record<string, unknown>), {
      phone: true,
      authenticator: false,
      passkey: false,
    });
    const unknown = await apiStart(kit, UNKNOWN);
    const same = (flow: Record<string, unknown>) => {
      const { flowId: _id, maskedEmail: _m, expiresAt: _e, resendAvailableAt: _r, ...rest } = flow;
      return rest;
    };
    assert.deepEqual(
      same(unknown.answer.body.flow as Record<string, unknown>),
      same(user.answer.body.flow as Record<string, unknown>),
      'an unknown login is offered what a user is',
    );
    const admin = await apiStart(kit, ADMIN);
    assert.deepEqual(offers(admin.answer.body.flow as Record<string, unknown>), {
      phone: false,
      authenticator: false,
      passkey: true,
    });

    for (const [who, handle, path] of [
      ['user', user.handle, 'flow/use-authenticator'],
      ['user', user.handle, 'flow/use-passkey'],
      ['unknown', unknown.handle, 'flow/use-passkey'],
      ['admin', admin.handle, 'flow/use-phone'],
      ['admin', admin.handle, 'flow/use-authenticator'],
    ] as const) {
      const res = await api(kit.server, 'POST', path, { flow: handle, body: {} });
      assert.equal(res.status, 400, `${who} ${path}: ${res.res.body}`);
      assert.equal(errorCode(res), 'wrong_step', `${who} ${path}`);
      const view = await api(kit.server, 'GET', 'flow', { flow: handle });
      assert.equal((view.body.flow as { state: string }).state, 'email_code', `${who} ${path}: the flow did not move`);
    }
    const chose = await api(kit.server, 'POST', 'flow/use-passkey', { flow: admin.handle, body: {} });
    assert.equal(chose.status, 200);
    assert.equal((chose.body.flow as { state: string }).state, 'passkey_check');
  } finally {
    await kit.close();
  }
});
