import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_SECTIONS } from '../../src/http/admin/admin-layout.tsx';
import { addFabrikam, FABRIKAM } from '../service/admin-fixtures.ts';
import { createPagesKit, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

/**
 * Authorization of the console pages: tenants are walls, users never reach /admin, a tenant admin
 * cannot reset an admin, nobody resets themselves, an assisted reset revokes the person's
 * sessions, and every action is in the audit log with who did it.
 */

const ADMIN = 'admin@contoso.example';
const ADMIN2 = 'admin2@contoso.example';
const USER = 'user@contoso.example';

async function signIn(kit: PagesKit, login: string, password: string): Promise<TestBrowser> {
  const b = new TestBrowser(kit.server);
  await b.get('/signin');
  const res = await passSecondStep(kit.app, b, await b.post('/signin', { login, password, next: '/account' }), login);
  assert.equal(res.statusCode, 303, `signed in as ${login}`);
  return b;
}

const demoPassword = (kit: PagesKit, login: string) => kit.demo.accounts.find((a) => a.login === login)!.password;

async function idOf(kit: PagesKit, login: string): Promise<string> {
  return (await kit.app.store.directory.findAccountByLogin(login))!.id;
}

/** Everything an action could change about an account, to prove nothing did. */
async function snapshot(kit: PagesKit, id: string, withAudit = true): Promise<string> {
  return JSON.stringify({
    account: await kit.app.store.directory.getAccount(id),
    methods: await kit.app.store.directory.listMethods(id),
    blockedAt: await kit.app.store.lockouts.blockedAt(id),
    temp: await kit.app.store.admin.getTempPassword(id),
    audit: withAudit ? (await kit.app.store.audit.list({ accountId: id, limit: 1000 })).length : null,
  });
}

/** Every console route of this plugin, for an account id. POST bodies are valid forms. */
function routes(id: string): { method: 'GET' | 'POST'; url: string; body?: Record<string, string> }[] {
  return [
    { method: 'GET', url: `/admin/users/${id}` },
    { method: 'GET', url: `/admin/users/${id}/temp-password` },
    { method: 'POST', url: `/admin/users/${id}/reset-link`, body: {} },
    { method: 'POST', url: `/admin/users/${id}/temp-password`, body: { confirm: 'yes' } },
    { method: 'POST', url: `/admin/users/${id}/unblock`, body: {} },
    {
      method: 'POST',
      url: `/admin/users/${id}/methods`,
      body: { email: 'evil@attacker.example', phone: '+15555550999' },
    },
    { method: 'POST', url: `/admin/users/${id}/role`, body: { role: 'global_admin' } },
  ];
}

async function hit(b: TestBrowser, r: ReturnType<typeof routes>[number], csrfFrom = '/account') {
  if (r.method === 'GET') return b.get(r.url);
  await b.get(csrfFrom); // a real token of this browser
  return b.post(r.url, r.body);
}

describe('console authorization', () => {
  let kit: PagesKit;
  let fab: Awaited<ReturnType<typeof addFabrikam>>;
  before(async () => {
    kit = await createPagesKit();
    fab = await addFabrikam(kit.app);
  });
  after(async () => kit.close());

  it('the Contoso admin sees and touches nothing of Fabrikam: 404 on every route, nothing changed', async () => {
    const b = await signIn(kit, ADMIN, demoPassword(kit, ADMIN));
    const list = await b.get('/admin');
    assert.ok(!list.body.includes('@fabrikam.example'), 'no Fabrikam account listed');
    const search = await b.get('/admin?q=fabrikam');
    assert.ok(!search.body.includes('@fabrikam.example') && search.body.includes('0 people shown.'));
    for (const target of [fab.user, fab.admin]) {
      const before = await snapshot(kit, target.id);
      for (const r of routes(target.id)) {
        const res = await hit(b, r);
        assert.equal(res.statusCode, 404, `${r.method} ${r.url}`);
        assert.ok(!res.body.includes(target.login), `${r.url}: the login is not revealed`);
      }
      assert.equal(await snapshot(kit, target.id), before, `${target.login} unchanged`);
    }
    const unknown = await b.get('/admin/users/00000000-0000-0000-0000-000000000000');
    const other = await b.get(`/admin/users/${fab.user.id}`);
    // the language switcher's links bring the admin back to the path they typed (the id in it is theirs)
    const strip = (s: string) =>
      s.replace(/name="_csrf" value="[^"]*"/g, '').replace(/&amp;next=%2Fadmin%2Fusers%2F[A-Za-z0-9-]+/g, '');
    assert.equal(strip(other.body), strip(unknown.body), 'another tenant looks exactly like an unknown id');
    // the Fabrikam admin sees their own people and none of Contoso
    const f = await signIn(kit, FABRIKAM.admin.login, FABRIKAM.admin.password);
    const flist = await f.get('/admin');
    assert.ok(flist.body.includes(FABRIKAM.user.login) && !flist.body.includes('contoso.example'));
    assert.equal((await f.get(`/admin/users/${await idOf(kit, USER)}`)).statusCode, 404);
    const policy = await f.get('/admin/policy');
    assert.match(policy.body, /Fabrikam/);
    assert.doesNotMatch(policy.body, /Contoso/);
  });

  it('a user gets 403 on every /admin page and action; nobody signed out gets in', async () => {
    const user = await signIn(kit, USER, demoPassword(kit, USER));
    const target = await idOf(kit, ADMIN2);
    const before = await snapshot(kit, target, false);
    for (const r of [
      { method: 'GET' as const, url: '/admin' },
      { method: 'GET' as const, url: '/admin/policy' },
      { method: 'POST' as const, url: '/admin/policy', body: { userGates: '2' } },
      ...routes(target),
    ]) {
      const res = await hit(user, r);
      assert.equal(res.statusCode, 403, `${r.method} ${r.url}`);
      assert.match(res.body, /The admin console is for administrators/);
    }
    assert.equal(await snapshot(kit, target, false), before);
    // the other sections (built elsewhere) are not open to a user either
    for (const s of ADMIN_SECTIONS) {
      const res = await user.get(s.href);
      assert.ok(res.statusCode === 403 || res.statusCode === 404, `${s.href}: ${res.statusCode}`);
    }
    const anonymous = new TestBrowser(kit.server);
    const res = await anonymous.get(`/admin/users/${target}`);
    assert.equal(res.statusCode, 303);
    assert.match(String(res.headers.location), /^\/signin\?next=/);
  });

  it('a tenant admin cannot reset or manage a global admin; nobody resets themselves', async () => {
    const admin2 = await signIn(kit, ADMIN2, demoPassword(kit, ADMIN2));
    const boss = await idOf(kit, ADMIN);
    const before = await snapshot(kit, boss, false);
    for (const r of routes(boss).slice(1)) {
      const res = await hit(admin2, r);
      assert.equal(res.statusCode, 403, `${r.method} ${r.url}`);
      assert.match(res.body, /A global administrator must do this/);
    }
    const self2 = await idOf(kit, ADMIN2);
    for (const url of [`/admin/users/${self2}/reset-link`, `/admin/users/${self2}/temp-password`]) {
      await admin2.get(`/admin/users/${self2}`);
      const res = await admin2.post(url, { confirm: 'yes' });
      assert.equal(res.statusCode, 403, url);
      assert.match(res.body, /You cannot do this to your own account/);
    }
    const global = await signIn(kit, ADMIN, demoPassword(kit, ADMIN));
    const page = await global.get(`/admin/users/${boss}`);
    assert.ok(!/Send a reset link/.test(page.body), 'no reset offered on your own page');
    await global.get(`/admin/users/${boss}`);
    const selfReset = await global.post(`/admin/users/${boss}/temp-password`, { confirm: 'yes' });
    assert.equal(selfReset.statusCode, 403);
    assert.equal(await snapshot(kit, boss, false), before, 'nothing changed (refusals are only audited)');
    const denied = await kit.app.store.audit.list({ accountId: boss, type: 'admin.denied', limit: 100 });
    assert.ok(denied.some((e) => e.outcome === 'needs_global_admin' && e.actor === `admin:${self2}`));
    assert.ok(denied.some((e) => e.outcome === 'self' && e.actor === `admin:${boss}`));
  });

  it("an assisted reset revokes the person's sessions; every action is audited with who did it", async () => {
    const person = await signIn(kit, USER, demoPassword(kit, USER));
    assert.equal((await person.get('/account')).statusCode, 200);
    const admin = await signIn(kit, ADMIN2, demoPassword(kit, ADMIN2));
    const id = await idOf(kit, USER);
    const adminId = await idOf(kit, ADMIN2);
    await admin.get(`/admin/users/${id}`);
    assert.equal((await admin.post(`/admin/users/${id}/reset-link`)).statusCode, 303);
    assert.equal((await person.get('/account')).statusCode, 200, 'a link alone does not sign anyone out');
    await admin.get(`/admin/users/${id}`);
    assert.equal((await admin.post(`/admin/users/${id}/temp-password`, { confirm: 'yes' })).statusCode, 200);
    const after = await person.get('/account');
    assert.equal(after.statusCode, 303, 'signed out by the reset');
    await kit.app.store.lockouts.block(id, Date.now());
    await admin.get(`/admin/users/${id}`);
    await admin.post(`/admin/users/${id}/unblock`);
    await admin.get(`/admin/users/${id}`);
    await admin.post(`/admin/users/${id}/methods`, { email: 'casey@new.example', phone: '' });
    await admin.get('/admin/policy');
    await admin.post('/admin/policy', { smsDailyBudget: '77' });
    const events = await kit.app.store.audit.list({
      tenantId: (await kit.app.store.directory.getAccount(id))!.tenantId,
      limit: 1000,
    });
    for (const type of [
      'admin.reset_link_sent',
      'admin.temp_password_set',
      'sessions.revoked',
      'admin.self_service_unblocked',
      'admin.method_prefilled',
      'admin.policy_updated',
    ]) {
      const e = events.find((x) => x.type === type && x.actor === `admin:${adminId}`);
      assert.ok(e, `${type} by admin:${adminId}`);
      assert.ok(e.ip, `${type} has the IP`);
    }
  });
});
