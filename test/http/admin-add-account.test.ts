import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addFabrikam } from '../service/admin-fixtures.ts';
import { createPagesKit, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

/** The console's "Add an account": a form with errors next to the fields, audited, inside tenant walls. */

const GLOBAL_ADMIN = 'admin@contoso.example';
const ADMIN = 'admin2@contoso.example';
const USER = 'user@contoso.example';

async function signIn(kit: PagesKit, login: string): Promise<TestBrowser> {
  const b = new TestBrowser(kit.server);
  await b.get('/signin');
  const password = kit.demo.accounts.find((a) => a.login === login)!.password;
  const res = await passSecondStep(kit.app, b, await b.post('/signin', { login, password, next: '/account' }), login);
  assert.equal(res.statusCode, 303, `signed in as ${login}`);
  return b;
}

async function addForm(b: TestBrowser, form: Record<string, string>) {
  await b.get('/admin/users/new'); // the form's CSRF token
  return b.post('/admin/users', form);
}

describe('console: add an account', () => {
  let kit: PagesKit;
  before(async () => {
    kit = await createPagesKit();
    await addFabrikam(kit.app);
  });
  after(async () => kit.close());

  it('an admin adds a user with contact methods: created verified, audited, no password, shown on its page', async () => {
    const b = await signIn(kit, ADMIN);
    const list = await b.get('/admin');
    assert.match(list.body, /href="\/admin\/users\/new"/);
    const form = await b.get('/admin/users/new');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /ending in @contoso\.example/);
    assert.doesNotMatch(form.body, /value="admin"/, 'a tenant admin is offered the user role only');
    const res = await b.post('/admin/users', {
      login: 'New.Person@Contoso.Example',
      name: 'New Person',
      role: 'user',
      email: 'new.person@home.example',
      phone: '+44 7700 900555',
    });
    assert.equal(res.statusCode, 303);
    const account = await kit.app.store.directory.findAccountByLogin('new.person@contoso.example');
    assert.ok(account);
    assert.equal(res.headers.location, `/admin/users/${account.id}?done=created`);
    assert.equal(account.displayName, 'New Person');
    assert.equal(account.role, 'user');
    assert.equal(account.passwordHash, null);
    const methods = await kit.app.store.directory.listMethods(account.id);
    assert.deepEqual(
      methods.map((m) => [m.kind, m.value, m.verifiedAt !== null]),
      [
        ['email', 'new.person@home.example', true],
        ['phone', '+447700900555', true],
      ],
    );
    const admin = await kit.app.store.directory.findAccountByLogin(ADMIN);
    const events = await kit.app.store.audit.list({ accountId: account.id, limit: 10 });
    assert.deepEqual(
      events.map((e) => [e.type, e.actor, e.outcome]),
      [['admin.account_created', `admin:${admin!.id}`, 'ok']],
    );
    const page = await b.get(res.headers.location as string);
    assert.match(page.body, /The account was added/);
  });

  it('bad fields are shown next to each field, with the values kept; nothing is written', async () => {
    const b = await signIn(kit, ADMIN);
    const before = (await kit.app.store.directory.listAccounts({ limit: 1000 })).length;
    const res = await addForm(b, {
      login: 'someone@fabrikam.example',
      name: '',
      role: 'user',
      email: 'not an email',
      phone: '12',
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /id="login-problem">The user ID must end in @contoso\.example/);
    assert.match(res.body, /id="name-problem">/);
    assert.match(res.body, /id="email-problem">/);
    assert.match(res.body, /id="phone-problem">/);
    assert.match(res.body, /aria-describedby="login-hint login-problem"/);
    assert.match(res.body, /value="not an email"/, 'what was typed is kept');
    const taken = await addForm(b, { login: USER, name: 'Again', role: 'user', email: '', phone: '' });
    assert.equal(taken.statusCode, 400);
    assert.match(taken.body, /id="login-problem">There already is an account user@contoso\.example/);
    assert.equal((await kit.app.store.directory.listAccounts({ limit: 1000 })).length, before);
  });

  it('a tenant admin cannot add an administrator; a global admin can', async () => {
    const b = await signIn(kit, ADMIN);
    const res = await addForm(b, { login: 'boss2@contoso.example', name: 'Boss', role: 'admin', email: '', phone: '' });
    assert.equal(res.statusCode, 403);
    assert.equal(await kit.app.store.directory.findAccountByLogin('boss2@contoso.example'), null);
    const g = await signIn(kit, GLOBAL_ADMIN);
    const ok = await addForm(g, { login: 'boss2@contoso.example', name: 'Boss', role: 'admin', email: '', phone: '' });
    assert.equal(ok.statusCode, 303);
    assert.equal((await kit.app.store.directory.findAccountByLogin('boss2@contoso.example'))?.role, 'admin');
  });

  it('a tenant admin cannot add an account into another tenant, even a global admin', async () => {
    const g = await signIn(kit, GLOBAL_ADMIN);
    const res = await addForm(g, {
      login: 'intruder@fabrikam.example',
      name: 'Intruder',
      role: 'user',
      email: '',
      phone: '',
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /The user ID must end in @contoso\.example/);
    assert.equal(await kit.app.store.directory.findAccountByLogin('intruder@fabrikam.example'), null);
  });

  it('a user cannot open the form nor add an account (403, nothing written)', async () => {
    const u = await signIn(kit, USER);
    assert.equal((await u.get('/admin/users/new')).statusCode, 403);
    await u.get('/account');
    const res = await u.post('/admin/users', { login: 'x@contoso.example', name: 'X', role: 'user' });
    assert.equal(res.statusCode, 403);
    assert.equal(await kit.app.store.directory.findAccountByLogin('x@contoso.example'), null);
  });

  it('the service refuses a user actor (audited as denied) and a login of another tenant', async () => {
    const user = (await kit.app.store.directory.findAccountByLogin(USER))!;
    const rc = { ip: null, userAgent: null };
    const input = { login: 'y@contoso.example', name: 'Y', role: 'user', email: '', phone: '' };
    const r = await kit.app.admin.addAccount({ kind: 'admin', account: user }, input, rc);
    assert.deepEqual(r, { ok: false, error: 'not_allowed' });
    const denied = await kit.app.store.audit.list({ tenantId: user.tenantId, type: 'admin.denied', limit: 5 });
    assert.equal(denied[0]?.actor, `admin:${user.id}`);
    // Fabrikam's global admin, adding a Contoso login: the login's domain must be the actor's tenant's
    const boss = (await kit.app.store.directory.findAccountByLogin('boss@fabrikam.example'))!;
    const other = await kit.app.admin.addAccount({ kind: 'admin', account: boss }, input, rc);
    assert.equal(other.ok, false);
    assert.equal(!other.ok && other.error, 'account_invalid');
    assert.equal(await kit.app.store.directory.findAccountByLogin('y@contoso.example'), null);
  });
});
