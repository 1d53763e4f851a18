import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  api,
  apiStart,
  codeIn,
  csrfIn,
  errorCode,
  linkTokenIn,
  NEW_PASSWORD,
  newest,
  PageClient,
  startAttackServer,
  type AttackServer,
} from './attack-kit.ts';

/**
 * Tampering with ids (GUIDE §6): account ids, tenant ids, emails, phone numbers and logins smuggled
 * into the body or the query of every step (API and pages) are ignored; the code goes only to the
 * registered address; a flow cannot be switched to another account; knowing a victim's flow id
 * without its secret gets nothing.
 */
const ATTACKER_EMAIL = 'attacker@evil.example';
const ATTACKER_PHONE = '+15555559999';

async function ids(kit: AttackServer) {
  const admin = await kit.app.store.directory.findAccountByLogin('admin@contoso.example');
  const user = await kit.app.store.directory.findAccountByLogin('user@contoso.example');
  assert.ok(admin && user);
  return { admin, user };
}

/** Everything an attacker might slip in, pointing at the admin and at the attacker. */
function smuggled(adminId: string, tenantId: string): Record<string, string> {
  return {
    accountId: adminId,
    account_id: adminId,
    userId: adminId,
    tenantId,
    tenant_id: tenantId,
    login: 'admin@contoso.example',
    email: ATTACKER_EMAIL,
    to: ATTACKER_EMAIL,
    alternateEmail: ATTACKER_EMAIL,
    recipient: ATTACKER_EMAIL,
    phone: ATTACKER_PHONE,
    mobile: ATTACKER_PHONE,
    flowId: 'AAAAAAAAAAAAAAAAAAAAAA',
  };
}

function query(fields: Record<string, string>): string {
  return `?${new URLSearchParams(fields).toString()}`;
}

function assertRecipients(kit: AttackServer, allowed: readonly string[]): void {
  for (const m of kit.outbox()) {
    assert.ok(allowed.includes(m.to), `a ${m.channel} message went to ${m.to}, not a registered address`);
    assert.equal(`${m.text}${m.html ?? ''}`.includes('evil.example'), false);
  }
}

test('smuggling (API): ids, emails, phones and logins in bodies and queries are ignored at every step', async () => {
  const kit = await startAttackServer({ SSPR_RESEND_COOLDOWN_MS: '0' });
  try {
    const { admin, user } = await ids(kit);
    const spec = kit.account('user@contoso.example');
    const extra = smuggled(admin.id, admin.tenantId);
    const q = query(extra);

    const started = await api(kit.server, 'POST', `/api/v1/reset/start${q}`, {
      body: { ...extra, login: spec.login, altcha: await kit.captcha() },
    });
    assert.equal(started.status, 202);
    let handle = { flowId: String(started.body.flowId), secret: String(started.body.flowSecret) };
    const flow0 = await kit.app.store.flows.get(handle.flowId);
    assert.equal(flow0?.accountId, user.id, 'the flow belongs to the login typed, not to a smuggled id');

    const resend = await api(kit.server, 'POST', `/api/v1/reset/flow/resend${q}`, { flow: handle, body: extra });
    assert.equal(resend.status, 200, resend.res.body);
    await kit.deliver();
    assertRecipients(kit, [spec.email]);

    // one-gate user: go to the phone, smuggling another number next to the real one
    let step = await api(kit.server, 'POST', `/api/v1/reset/flow/use-phone${q}`, { flow: handle, body: extra });
    assert.equal(step.status, 200, step.res.body);
    handle = { ...handle, secret: String(step.body.flowSecret) };
    step = await api(kit.server, 'POST', `/api/v1/reset/flow/phone${q}`, {
      flow: handle,
      body: { ...extra, phone: spec.phone },
    });
    assert.equal(step.status, 200, step.res.body);
    handle = { ...handle, secret: String(step.body.flowSecret) };
    await kit.deliver();
    assertRecipients(kit, [spec.email, spec.phone]);
    assert.equal(kit.outbox().filter((m) => m.channel === 'sms').length, 1, 'one SMS, to the registered phone');
    const sms = codeIn(newest(kit, spec.phone, 'sms').text);
    const view = await api(kit.server, 'GET', `/api/v1/reset/flow${q}`, { flow: handle });
    assert.equal((view.body.flow as { state: string }).state, 'sms_code');
    step = await api(kit.server, 'POST', `/api/v1/reset/flow/code${q}`, {
      flow: handle,
      body: { ...extra, code: sms },
    });
    assert.equal(step.status, 200, step.res.body);
    handle = { ...handle, secret: String(step.body.flowSecret) };
    assert.equal((await kit.app.store.flows.get(handle.flowId))?.accountId, user.id, 'still the user’s flow');

    const adminHash = admin.passwordHash;
    const userHash = user.passwordHash;
    step = await api(kit.server, 'POST', `/api/v1/reset/flow/password${q}`, {
      flow: handle,
      body: { ...extra, password: NEW_PASSWORD, confirm: NEW_PASSWORD },
    });
    assert.equal(step.status, 200, step.res.body);
    assert.equal((await kit.app.store.directory.getAccount(admin.id))?.passwordHash, adminHash, 'admin untouched');
    assert.notEqual((await kit.app.store.directory.getAccount(user.id))?.passwordHash, userHash, 'user changed');
    await kit.deliver();
    // completion notices go to the login and the alternate email, nowhere else
    assertRecipients(kit, [spec.email, spec.phone, spec.login]);
  } finally {
    await kit.close();
  }
});

test('smuggling (pages): extra form fields and query parameters are ignored at every step', async () => {
  const kit = await startAttackServer({ SSPR_RESEND_COOLDOWN_MS: '0' });
  try {
    const { admin, user } = await ids(kit);
    const spec = kit.account('user@contoso.example');
    const extra = smuggled(admin.id, admin.tenantId);
    const q = query(extra);
    const browser = new PageClient(kit.server);
    const form = await browser.get(`/reset${q}`);
    const post = await browser.post(`/reset${q}`, {
      ...extra,
      login: spec.login,
      altcha: await kit.captcha(),
      _csrf: csrfIn(form.body),
    });
    assert.equal(post.statusCode, 303);
    const handle = browser.flow();
    assert.ok(handle);
    assert.equal((await kit.app.store.flows.get(handle.flowId))?.accountId, user.id);
    const stepWith = async (path: string, fields: Record<string, string> = {}) => {
      const page = await browser.get(`/reset/flow${q}`);
      return browser.post(`${path}${q}`, { ...extra, ...fields, _csrf: csrfIn(page.body) });
    };
    assert.equal((await stepWith('/reset/flow/resend')).statusCode, 303);
    assert.equal((await stepWith('/reset/flow/use-phone')).statusCode, 303);
    assert.equal((await stepWith('/reset/flow/phone', { phone: spec.phone })).statusCode, 303);
    await kit.deliver();
    assertRecipients(kit, [spec.email, spec.phone]);
    const sms = codeIn(newest(kit, spec.phone, 'sms').text);
    assert.equal((await stepWith('/reset/flow/code', { code: sms })).statusCode, 303);
    const flow = await kit.app.store.flows.get(handle.flowId);
    assert.equal(flow?.state, 'new_password');
    assert.equal(flow?.accountId, user.id);
    const adminHash = admin.passwordHash;
    assert.equal(
      (await stepWith('/reset/flow/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD })).statusCode,
      303,
    );
    assert.equal((await kit.app.store.directory.getAccount(admin.id))?.passwordHash, adminHash, 'admin untouched');
    assert.equal((await kit.app.store.flows.get(handle.flowId))?.state, 'completed');
    await kit.deliver();
    assertRecipients(kit, [spec.email, spec.phone, spec.login]);
  } finally {
    await kit.close();
  }
});

test('smuggling: knowing the victim’s flow id (and even the code and link) without its secret gets nothing', async () => {
  const kit = await startAttackServer();
  try {
    const spec = kit.account('user@contoso.example');
    const victim = await apiStart(kit, spec.login);
    await kit.deliver();
    const mail = newest(kit, spec.email);
    const code = codeIn(mail.text);
    const token = linkTokenIn(mail.text);
    const id = victim.handle.flowId;
    // the attacker's own, valid flow: its secret must not open the victim's flow
    const attacker = await apiStart(kit, 'nobody@contoso.example');
    const forged = [
      `${id}.${randomBytes(32).toString('base64url')}`,
      `${id}.${attacker.handle.secret}`,
      `${id}.${victim.handle.secret.slice(0, -1)}${victim.handle.secret.endsWith('A') ? 'B' : 'A'}`,
    ];
    const snapshot = async () => ({
      flow: await kit.app.store.flows.get(id),
      code: await kit.app.store.flows.liveCode(id, 'email'),
    });
    const before = await snapshot();

    for (const flow of forged) {
      assert.equal((await api(kit.server, 'GET', 'flow', { flow })).status, 404);
      for (const [path, body] of [
        ['flow/code', { code }],
        ['flow/resend', {}],
        ['flow/use-phone', {}],
        ['flow/phone', { phone: spec.phone }],
        ['flow/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD }],
      ] as const) {
        const res = await api(kit.server, 'POST', path, { flow, body });
        assert.equal(res.status, 404, `${path} with a forged secret → 404 (got ${res.status})`);
        assert.equal(errorCode(res), 'flow_not_found');
        assert.equal(JSON.stringify(res.body).includes(spec.email.slice(1)), false);
      }
      const link = await api(kit.server, 'POST', 'link', { flow, body: { token } });
      assert.equal(link.status, 403, 'the victim’s link with a forged secret → wrong_browser');
      // pages: the same forged value as the flow cookie
      for (const cookieName of ['__Host-sspr_flow', 'sspr_flow']) {
        const browser = new PageClient(kit.server);
        const formPage = await browser.get('/reset');
        browser.jar.set(cookieName, flow);
        const page = await browser.get('/reset/flow');
        assert.equal(page.statusCode, 404, 'the flow page with a forged cookie is flow_not_found');
        const post = await browser.post('/reset/flow/code', { code, _csrf: csrfIn(formPage.body) });
        assert.equal(post.statusCode, 404, `code with a forged cookie → 404 (got ${post.statusCode})`);
        const linkPost = await browser.post('/reset/link', { t: token, _csrf: csrfIn(formPage.body) });
        assert.equal(linkPost.statusCode, 403);
      }
    }
    // the attacker's own valid flow cannot use the victim's link either
    const own = await api(kit.server, 'POST', 'link', { flow: attacker.handle, body: { token } });
    assert.equal(own.status, 403);
    assert.deepEqual(await snapshot(), before, 'the victim’s flow and code are untouched (no attempt counted)');

    // the victim still finishes
    const ok = await api(kit.server, 'POST', 'flow/code', { flow: victim.handle, body: { code } });
    assert.equal(ok.status, 200);
  } finally {
    await kit.close();
  }
});
