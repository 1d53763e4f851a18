import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { passSecondStep } from '../helpers/console-factor-kit.ts';
import { createPagesKit, h1, newestMatch, TestBrowser, type PagesKit } from './reset-pages-kit.ts';

const ADMIN = 'admin@contoso.example';
const ADMIN2 = 'admin2@contoso.example';
const USER = 'user@contoso.example';

function password(kit: PagesKit, login: string): string {
  return kit.demo.accounts.find((a) => a.login === login)!.password;
}

async function signIn(kit: PagesKit, login: string, pw = password(kit, login)): Promise<TestBrowser> {
  const b = new TestBrowser(kit.server);
  await b.get('/signin');
  const res = await passSecondStep(
    kit.app,
    b,
    await b.post('/signin', { login, password: pw, next: '/account' }),
    login,
  );
  assert.equal(res.statusCode, 303, `signed in as ${login}: ${res.body.slice(0, 300)}`);
  return b;
}

async function idOf(kit: PagesKit, login: string): Promise<string> {
  return (await kit.app.store.directory.findAccountByLogin(login))!.id;
}

describe('admin console pages', () => {
  let kit: PagesKit;
  before(async () => {
    kit = await createPagesKit();
  });
  after(async () => kit.close());

  it('/admin lists the tenant with masked methods, counts and filters', async () => {
    const b = await signIn(kit, ADMIN);
    const res = await b.get('/admin');
    assert.equal(res.statusCode, 200);
    assert.equal(h1(res.body), 'Users');
    assert.match(res.body, /<a href="\/admin" aria-current="page">Users<\/a>/);
    for (const login of [ADMIN, ADMIN2, USER]) assert.ok(res.body.includes(login), login);
    assert.match(res.body, /u••••@personal\.example/);
    assert.match(res.body, /••• ••• ••03/);
    assert.ok(!res.body.includes('user@personal.example'), 'no clear alternate email');
    assert.ok(!res.body.includes('+15555550103'), 'no clear phone');
    assert.match(res.body, /<dt>People<\/dt>\s*<dd>3<\/dd>/);
    const users = await b.get('/admin?role=user');
    assert.ok(users.body.includes(USER) && !users.body.includes(ADMIN2));
    assert.match(users.body, /1 person shown\./);
    const search = await b.get('/admin?q=blake');
    assert.ok(search.body.includes(ADMIN2) && !search.body.includes(USER));
    const none = await b.get('/admin?registration=none');
    assert.match(none.body, /No one matches these filters\./);
    const blocked = await b.get('/admin?blocked=yes');
    assert.match(blocked.body, /0 people shown\./);
    const junk = await b.get('/admin?role=%3Cscript%3E&registration=x&blocked=maybe');
    assert.equal(junk.statusCode, 200, 'unknown filter values are ignored');
    assert.ok(!junk.body.includes('<script>'));
  });

  it('user detail: masked methods, events, actions; never a code', async () => {
    const b = await signIn(kit, ADMIN2);
    const id = await idOf(kit, USER);
    const res = await b.get(`/admin/users/${id}`);
    assert.equal(res.statusCode, 200);
    assert.equal(h1(res.body), 'Casey User');
    assert.match(res.body, /u••••@personal\.example/);
    assert.match(res.body, /Send a reset link/);
    assert.match(res.body, /Set a temporary password…/);
    assert.match(res.body, /account\.created/);
    assert.ok(!/Change role/.test(res.body), 'a tenant admin is not offered role changes');
    assert.ok(!/\b\d{6}\b/.test(res.body.replace(/<[^>]+>/g, ' ').replace(/\d{4}-\d\d-\d\d/g, '')), 'no code');
    const boss = await b.get(`/admin/users/${await idOf(kit, ADMIN)}`);
    assert.match(boss.body, /Only a global administrator can reset the password of an administrator/);
    assert.ok(!/Send a reset link/.test(boss.body));
  });

  it('reset link from the console: the person opens it, Continue, sets a password; the token never shows in a URL after', async () => {
    const admin = await signIn(kit, ADMIN);
    const id = await idOf(kit, USER);
    await admin.get(`/admin/users/${id}`);
    const sent = await admin.post(`/admin/users/${id}/reset-link`);
    assert.equal(sent.statusCode, 303);
    const page = await admin.follow(sent);
    assert.match(page.body, /A one-time reset link was sent/);
    const token = await newestMatch(kit.app, 'user@personal.example', /\/reset\/assisted\?t=([A-Za-z0-9_-]+)/);

    const person = new TestBrowser(kit.server);
    const open = await person.get(`/reset/assisted?t=${token}`);
    assert.equal(open.statusCode, 200);
    assert.match(open.body, /Continue/);
    assert.equal((await person.get(`/reset/assisted?t=${token}`)).statusCode, 200, 'GET changes nothing');
    const go = await person.post('/reset/assisted', { t: token });
    assert.equal(go.statusCode, 303);
    assert.equal(go.headers.location, '/reset/assisted/password');
    const form = await person.follow(go);
    assert.equal(h1(form.body), 'Choose a new password');
    assert.ok(form.body.includes(USER));
    const mismatch = await person.post('/reset/assisted/password', { password: 'a', confirm: 'b' });
    assert.equal(mismatch.statusCode, 400);
    assert.match(mismatch.body, /The passwords do not match/);
    const done = await person.post('/reset/assisted/password', {
      password: 'marble sparrow tundra kettle',
      confirm: 'marble sparrow tundra kettle',
    });
    assert.equal(done.statusCode, 303);
    assert.match((await person.follow(done)).body, /Your password was changed/);
    const reuse = await new TestBrowser(kit.server).get(`/reset/assisted?t=${token}`);
    assert.equal(reuse.statusCode, 410, 'used links are dead');
    const again = await person.get('/reset/assisted/password');
    assert.equal(again.statusCode, 403, 'the grant is single use');
    await signIn(kit, USER, 'marble sparrow tundra kettle');
    const bad = await new TestBrowser(kit.server).get('/reset/assisted?t=' + 'A'.repeat(43));
    assert.equal(bad.statusCode, 404);
  });

  it('temporary password: confirm step, shown once, forced change at sign-in', async () => {
    const admin = await signIn(kit, ADMIN2);
    const id = await idOf(kit, USER);
    const confirm = await admin.get(`/admin/users/${id}/temp-password`);
    assert.equal(confirm.statusCode, 200);
    assert.match(confirm.body, /Set a temporary password for Casey User\?/);
    const noConfirm = await admin.post(`/admin/users/${id}/temp-password`, {});
    assert.equal(noConfirm.statusCode, 303, 'without confirm=yes nothing happens');
    const shown = await admin.post(`/admin/users/${id}/temp-password`, { confirm: 'yes' });
    assert.equal(shown.statusCode, 200);
    assert.equal(shown.headers['cache-control'], 'no-store');
    const temp = /<code id="temp-password">([^<]+)<\/code>/.exec(shown.body)![1]!;
    assert.match(temp, /^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3,}$/);
    const detail = await admin.get(`/admin/users/${id}`);
    assert.ok(!detail.body.includes(temp), 'never shown again');
    assert.match(detail.body, /must be changed at sign-in/);

    const person = new TestBrowser(kit.server);
    await person.get('/signin');
    const res = await person.post('/signin', { login: USER, password: temp, next: '/account' });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/account/password', 'forced change');
    await person.get('/account/password');
    const changed = await person.post('/account/password', {
      current: temp,
      password: 'lilac harbour falcon quartz',
      confirm: 'lilac harbour falcon quartz',
    });
    assert.equal(changed.statusCode, 303);
  });

  it('unblock, pre-fill contact methods and change role from the detail page', async () => {
    const admin = await signIn(kit, ADMIN);
    const id = await idOf(kit, USER);
    await kit.app.store.lockouts.block(id, Date.now());
    const page = await admin.get(`/admin/users/${id}`);
    assert.match(page.body, /Blocked until/);
    const unblocked = await admin.post(`/admin/users/${id}/unblock`);
    assert.equal(unblocked.statusCode, 303);
    assert.match((await admin.follow(unblocked)).body, /Self-service reset is unblocked/);
    assert.equal(await kit.app.store.lockouts.blockedAt(id), null);

    const badPhone = await admin.post(`/admin/users/${id}/methods`, { email: '', phone: '12' });
    assert.equal(badPhone.statusCode, 400);
    assert.match(badPhone.body, /Check the phone number/);
    const saved = await admin.post(`/admin/users/${id}/methods`, { email: '', phone: '+44 7700 900123' });
    assert.equal(saved.statusCode, 303);
    assert.match((await admin.follow(saved)).body, /••• ••• ••23/);

    const role = await admin.post(`/admin/users/${id}/role`, { role: 'admin' });
    assert.equal(role.statusCode, 303);
    assert.equal((await kit.app.store.directory.getAccount(id))!.role, 'admin');
    await admin.get(`/admin/users/${id}`);
    await admin.post(`/admin/users/${id}/role`, { role: 'user' });
    assert.equal((await kit.app.store.directory.getAccount(id))!.role, 'user');
  });

  it('policy: every field, safe bounds, problems listed, saved and audited', async () => {
    const admin = await signIn(kit, ADMIN2);
    const page = await admin.get('/admin/policy');
    assert.equal(page.statusCode, 200);
    for (const name of [
      'userGates',
      'passwordMinLength',
      'helpdeskUrl',
      'helpdeskEmail',
      'senderName',
      'smsDailyBudget',
      'smsCountries',
    ])
      assert.match(page.body, new RegExp(`name="${name}"`), name);
    const tenant = (await kit.app.store.directory.findTenantByName('Contoso Demo'))!;
    for (const extra of ['coolingOffHours', 'reconfirmDays'])
      if (extra in tenant.policy) assert.match(page.body, new RegExp(`name="${extra}"`), extra);
    const form = {
      userGates: '2',
      passwordMinLength: '99',
      helpdeskUrl: 'http://insecure.example',
      helpdeskEmail: 'help@contoso.example',
      senderName: 'it@contoso.example',
      smsDailyBudget: '10',
      smsCountries: '+44',
      ...('coolingOffHours' in tenant.policy ? { coolingOffHours: '24', reconfirmDays: '180' } : {}),
    };
    const bad = await admin.post('/admin/policy', form);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Check these settings/);
    assert.match(bad.body, /href="#passwordMinLength"/);
    assert.match(bad.body, /href="#helpdeskUrl"/);
    assert.match(bad.body, /href="#senderName"/, 'a sender name that looks like an address is refused');
    assert.match(bad.body, /value="http:\/\/insecure\.example"/, 'typed values kept');
    assert.deepEqual((await kit.app.store.directory.getTenant(tenant.id))!.policy, tenant.policy, 'nothing saved');
    const good = await admin.post('/admin/policy', {
      ...form,
      passwordMinLength: '14',
      helpdeskUrl: 'https://help.contoso.example/',
      senderName: 'Contoso IT',
    });
    assert.equal(good.statusCode, 303);
    assert.match((await admin.follow(good)).body, /The policy was saved\./);
    const after = (await kit.app.store.directory.getTenant(tenant.id))!.policy;
    assert.equal(after.passwordMinLength, 14);
    assert.equal(after.gates.users.count, 2);
    assert.deepEqual(after.smsCountries, ['+44']);
    assert.equal(after.senderName, 'Contoso IT');
    const ev = await kit.app.store.audit.list({ tenantId: tenant.id, type: 'admin.policy_updated', limit: 1 });
    assert.equal(ev[0]!.actor, `admin:${await idOf(kit, ADMIN2)}`);
  });

  it('gate policy: shown with who could reset, a proposed edit checked before saving, impossible policies refused', async () => {
    const admin = await signIn(kit, ADMIN2);
    const tenant = (await kit.app.store.directory.findTenantByName('Contoso Demo'))!;
    const page = await admin.get('/admin/policy');
    assert.equal(page.statusCode, 200);
    for (const name of ['userGates', 'userMethods', 'usersRequirePasskey', 'adminGates', 'adminMethods'])
      assert.match(page.body, new RegExp(`name="${name}"`), name);
    assert.match(page.body, /<input type="checkbox" name="adminMethods" value="totp" checked/);
    assert.match(
      page.body,
      /With the saved policy:<\/strong> 0 of 1 users and 0 of 2 administrators could not reset their password/,
    );
    // the check: the proposed edit's numbers and the admins it would lock out, nothing saved
    const check = await admin.post('/admin/policy', { check: '1', adminMethods: 'email passkey', userGates: '2' });
    assert.equal(check.statusCode, 200);
    assert.match(
      check.body,
      /With the changes below \(not saved yet\):<\/strong> 0 of 1 users and 2 of 2 administrators could not reset/,
    );
    assert.match(check.body, /Administrators who could not reset:/);
    assert.ok(check.body.includes(ADMIN) && check.body.includes(ADMIN2));
    assert.match(
      check.body,
      /<input type="checkbox" name="adminMethods" value="sms"\s*\/?>/,
      'the edit shown as typed',
    );
    assert.deepEqual((await kit.app.store.directory.getTenant(tenant.id))!.policy.gates, tenant.policy.gates);
    // impossible policies: refused, each problem linked to its field
    const one = await admin.post('/admin/policy', { adminGates: '1' });
    assert.equal(one.statusCode, 400);
    assert.match(one.body, /href="#adminGates"/);
    assert.match(one.body, /Administrators must pass 2 steps of different kinds/);
    const onlyEmail = await admin.post('/admin/policy', { adminMethods: 'email' });
    assert.equal(onlyEmail.statusCode, 400);
    assert.match(onlyEmail.body, /Administrators with 2 steps need a second kind of method besides the email/);
    const noEmail = await admin.post('/admin/policy', { userMethods: 'totp passkey' });
    assert.match(noEmail.body, /The alternate email must count/);
    assert.deepEqual((await kit.app.store.directory.getTenant(tenant.id))!.policy.gates, tenant.policy.gates);
    // saved: users pass the email, then the authenticator app
    const saved = await admin.post('/admin/policy', { userGates: '2', userMethods: 'email totp' });
    assert.equal(saved.statusCode, 303);
    const gates = (await kit.app.store.directory.getTenant(tenant.id))!.policy.gates;
    assert.deepEqual(gates.users, { methods: ['email', 'totp'], count: 2, passkeyRequired: false });
    const ev = await kit.app.store.audit.list({ tenantId: tenant.id, type: 'admin.policy_updated', limit: 1 });
    assert.equal(ev[0]!.details.userMethods, 'email sms totp passkey → email totp');
    assert.match((await admin.get('/admin/policy')).body, /1 of 1 users and 0 of 2 administrators could not reset/);
    await admin.post('/admin/policy', { userGates: '1', userMethods: 'email sms totp passkey' });
  });

  it('forbidden: an admin without both methods gets a 403 page saying to register them; a form without CSRF is refused', async () => {
    const added = await kit.app.directory.addUser({
      login: 'fresh@contoso.example',
      displayName: 'Fresh Admin',
      role: 'admin',
      password: 'orbit candle meadow juniper',
      actor: 'test',
    });
    assert.ok(added.ok);
    const b = await signIn(kit, 'fresh@contoso.example', 'orbit candle meadow juniper');
    const res = await b.get('/admin');
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /register both an alternate email and a mobile phone/);
    assert.match(res.body, /href="\/account\/security"/);

    const admin = await signIn(kit, ADMIN);
    const id = await idOf(kit, USER);
    await admin.get(`/admin/users/${id}`);
    const noCsrf = await admin.post(`/admin/users/${id}/reset-link`, { _csrf: null });
    assert.equal(noCsrf.statusCode, 403);
    assert.match(noCsrf.body, /This form has expired/);
  });
});
