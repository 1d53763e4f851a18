// Sign-in for directory accounts and unlocking without a reset, against a real slapd with ppolicy
// (pwdMaxFailure 3, pwdLockout): the password is proven by a bind as the person, a login built to
// change a filter matches nobody, a directory that does not answer is never a success; three wrong
// passwords lock the entry, the person unlocks it through the reset's gates and keeps the password;
// an administrator unlocks from the admin API and the console. The Contoso demo tenant (pages kit)
// keeps its passwords in this slapd; each test has its own person.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { translate } from '../../src/core/i18n.ts';
import type { Account, Role } from '../../src/core/directory-model.ts';
import { UNLOCK_TEXT } from '../../src/core/ui-text.ts';
import { ADMIN_API_PREFIX } from '../../src/http/api/admin-api-plugin.ts';
import { RESET_API_PREFIX } from '../../src/http/api/reset-api-plugin.ts';
import { createPagesKit, h1, lastCode, solveCaptcha, TestBrowser, type PagesKit } from '../http/reset-pages-kit.ts';
import {
  RC,
  addDirectoryAccount,
  attachDirectory,
  auditOf,
  entryOf,
  openSession,
  reachNewPassword,
  sessionRevoked,
  type DirectoryTenant,
} from './directory-reset-kit.ts';
import { addLdapPerson, ldapSettings } from './directory-kit.ts';
import { SERVICE_PASSWORD, startSlapd, type Slapd } from './slapd.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

const BIND_ENV = 'SSPR_DIRECTORY_TEST_OPENLDAP_UNLOCK_BIND';
const DOMAIN = 'contoso.example';
let slapd: Slapd;
let kit: PagesKit;
let dir: DirectoryTenant;
let n = 0;

before(async () => {
  process.env[BIND_ENV] = SERVICE_PASSWORD;
  slapd = await startSlapd();
  kit = await createPagesKit();
  const contoso = await kit.app.directory.getTenantByName('Contoso Demo');
  assert.ok(contoso.ok);
  dir = await attachDirectory(kit.app, contoso.value.id, DOMAIN, ldapSettings(slapd, BIND_ENV, { timeoutMs: 2000 }));
});
after(async () => {
  await dir?.directory.close();
  await kit?.close();
  await slapd?.stop();
  delete process.env[BIND_ENV];
});

/** A person in slapd and sspr's record of them (no password hash, a verified alternate email). */
async function person(password: string, role: Role = 'user') {
  const uid = `dirperson${++n}`;
  addLdapPerson(slapd, { uid, name: `Sky Example${n}`, password });
  const entry = await entryOf(dir, uid);
  const email = `${uid}@home.example`;
  const account = await addDirectoryAccount(kit.app, dir, entry, { email, role });
  return { uid, entry, account, email, password };
}

async function locked(entryId: string): Promise<boolean> {
  const r = await dir.directory.getById(entryId);
  assert.ok(r.ok && r.value);
  return r.value.locked;
}

async function failures(account: Account): Promise<number> {
  return (await kit.app.store.auth.getSigninGuard(account.id))?.failures ?? 0;
}

/** Notices of a template queued for an account (content is erased once sent: counted by row). */
async function notices(accountId: string, template: string): Promise<number> {
  return (await kit.app.store.outbox.list({ limit: 1000 })).filter(
    (m) => m.accountId === accountId && m.template === template,
  ).length;
}

function unlockViaApi(handle: { flowId: string; secret: string }): Promise<LightMyRequestResponse> {
  return kit.server.inject({
    method: 'POST',
    url: `${RESET_API_PREFIX}/flow/unlock`,
    headers: { 'x-flow-secret': `${handle.flowId}.${handle.secret}` },
  });
}

async function signInPage(login: string, password: string): Promise<LightMyRequestResponse> {
  const b = new TestBrowser(kit.server);
  await b.get('/signin');
  return b.post('/signin', { login, password, next: '/account' });
}

describe('sign-in of a directory account against a real slapd', () => {
  test('the directory proves the password by a bind: right signs in, wrong fails and counts, empty never binds', async () => {
    const p = await person('Amber-Falcon-Window-71');
    const wrong = await kit.app.sessions.signIn(p.account.login, 'Amber-Falcon-Window-72', RC);
    assert.equal(!wrong.ok && wrong.error, 'invalid_credentials');
    assert.equal(wrong.unlockOffered, true, 'a directory tenant: the unlock is mentioned');
    assert.equal(await failures(p.account), 1, 'a failed bind counts toward throttling');
    const empty = await kit.app.sessions.signIn(p.account.login, '', RC);
    assert.equal(!empty.ok && empty.error, 'invalid_credentials', 'an empty password (an anonymous bind) never passes');
    assert.equal(await failures(p.account), 2);

    const right = await kit.app.sessions.signIn(p.account.login, p.password, RC);
    assert.ok(right.ok, !right.ok ? right.error : '');
    assert.equal(right.value.account.id, p.account.id);
    assert.equal(right.value.account.passwordHash, null, 'sspr holds no password for it');
    assert.equal(await failures(p.account), 0, 'the guard is cleared on success');
    const auth = await kit.app.sessions.authenticate(right.value.token);
    assert.equal(auth?.account.id, p.account.id, 'the session works');
    const events = await auditOf(kit.app, p.account.id);
    assert.deepEqual(
      events.filter((e) => e.type.startsWith('signin.')).map((e) => `${e.type}:${e.outcome}`),
      ['signin.failed:wrong_password', 'signin.failed:wrong_password', 'signin.succeeded:ok'],
    );

    // the pages: the refused sign-in explains how to unlock; the right password reaches the account
    const refused = await signInPage(p.account.login, 'nope-nope-nope-nope');
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /id="unlock-hint"/);
    const ok = await signInPage(p.account.login, p.password);
    assert.equal(ok.statusCode, 303);
    assert.equal(ok.headers.location, '/account');

    // the signed-in change proves the current password with the directory too
    assert.ok(auth);
    const badCurrent = await kit.app.sessions.changePassword(auth, 'not-the-password', 'x', 'x', RC);
    assert.equal(!badCurrent.ok && badCurrent.error, 'invalid_credentials');
  });

  test('pwdReset (a password an administrator set): the bind succeeds, the sign-in leads to the forced change, which goes to the directory', async () => {
    const p = await person('Tidal-Ember-Quartz-46');
    slapd.ldapmodify(`dn: ${p.entry.dn}\nchangetype: modify\nreplace: pwdReset\npwdReset: TRUE\n`);
    const wrong = await kit.app.sessions.signIn(p.account.login, 'Tidal-Ember-Quartz-47', RC);
    assert.equal(!wrong.ok && wrong.error, 'invalid_credentials', 'a wrong password stays wrong');
    const r = await kit.app.sessions.signIn(p.account.login, p.password, RC);
    assert.ok(r.ok, !r.ok ? r.error : '');
    assert.equal(r.value.account.mustChangePassword, true, 'routed to the forced change');
    assert.equal((await auditOf(kit.app, p.account.id)).at(-1)?.outcome, 'must_change');
    const b = new TestBrowser(kit.server);
    await b.get('/signin');
    const page = await b.post('/signin', { login: p.account.login, password: p.password, next: '/account' });
    assert.equal(page.headers.location, '/account/password', 'the pages send the person to the change');
    const forced = await b.follow(page);
    assert.ok(
      forced.body.includes(translate('en', 'account.password.forcedDirectory').slice(0, 30)),
      'the forced change says why',
    );
    const auth = await kit.app.sessions.authenticate(r.value.token);
    assert.ok(auth);
    const next = 'Saffron lantern Velvet 3108';
    const changed = await kit.app.sessions.changePassword(auth, p.password, next, next, RC);
    assert.ok(changed.ok, !changed.ok ? changed.error : '');
    assert.ok((await dir.directory.verifyPassword(p.entry, next)).ok, 'the new password binds');
    assert.doesNotMatch(slapd.ldapsearch(p.entry.dn, '(objectClass=*)', ['pwdReset']), /pwdReset: TRUE/);
    assert.equal((await kit.app.store.directory.getAccount(p.account.id))?.mustChangePassword, false);
  });

  test('a built-in account of another tenant gets no unlock hint: the hint follows the login domain', async () => {
    const other = await kit.app.sessions.signIn('nobody@elsewhere.example', 'whatever-password-1', RC);
    assert.equal(!other.ok && other.error, 'invalid_credentials');
    assert.equal(other.unlockOffered, undefined);
    const unknown = await kit.app.sessions.signIn(`nobody@${DOMAIN}`, 'whatever-password-1', RC);
    assert.equal(unknown.unlockOffered, true, 'an unknown login of the directory tenant reads the same as a known one');
  });

  test('a login built to change a search filter matches nobody, in the directory or at sign-in', async () => {
    const p = await person('Cobalt-River-Stone-28');
    for (const login of ['*', 'dirperson*', '*)(uid=*', `${p.uid})(|(uid=*`, `${p.uid}\\2a`]) {
      const r = await dir.directory.findByLogin(login);
      assert.ok(r.ok, `${login}: ${!r.ok && r.error}`);
      assert.equal(r.value, null, `${login} matches nobody`);
    }
    for (const login of [`dirperson*@${DOMAIN}`, `*)(uid=*@${DOMAIN}`, `*@${DOMAIN}`, `${p.uid}*@${DOMAIN}`]) {
      const r = await kit.app.sessions.signIn(login, p.password, RC);
      assert.equal(!r.ok && r.error, 'invalid_credentials', login);
    }
    const events = await auditOf(kit.app, p.account.id);
    assert.equal(events.filter((e) => e.type === 'signin.succeeded').length, 0);
  });

  test('a directory that does not answer is never a success and counts nothing (unknown logins of the tenant answer alike); back up, the sign-in works', async () => {
    const p = await person('Silver-Orchard-Bell-63');
    await slapd.pause();
    try {
      const r = await kit.app.sessions.signIn(p.account.login, p.password, RC);
      assert.equal(!r.ok && r.error, 'directory_unreachable');
      const wrong = await kit.app.sessions.signIn(p.account.login, 'wrong-wrong-wrong-1', RC);
      assert.equal(!wrong.ok && wrong.error, 'directory_unreachable', 'a wrong password is not proven wrong either');
      assert.equal(await failures(p.account), 0, 'nothing counted');
      const unknown = await kit.app.sessions.signIn(`nobody-here@${DOMAIN}`, p.password, RC);
      assert.equal(
        !unknown.ok && unknown.error,
        'directory_unreachable',
        'an unknown login of the tenant answers alike',
      );
      const page = await signInPage(p.account.login, p.password);
      assert.equal(page.statusCode, 503);
      assert.ok(
        page.body.includes(translate('en', 'account.problem.directory_unreachable.title').slice(7)),
        'the page says why',
      );
    } finally {
      await slapd.start();
    }
    let ok = await kit.app.sessions.signIn(p.account.login, p.password, RC);
    // a pooled connection of before the restart may answer once as unreachable
    if (!ok.ok) ok = await kit.app.sessions.signIn(p.account.login, p.password, RC);
    assert.ok(ok.ok, !ok.ok ? ok.error : '');
    const events = await auditOf(kit.app, p.account.id);
    assert.ok(events.some((e) => e.type === 'signin.failed' && e.outcome === 'directory_unreachable'));
  });
});

describe('unlock without a reset against a real slapd', () => {
  test('three wrong passwords lock the entry; the person passes the gates, unlocks, and the old password works again', async () => {
    const p = await person('Linen-Compass-Meadow-55');
    for (let i = 0; i < 3; i++) {
      const r = await kit.app.sessions.signIn(p.account.login, `Wrong-Guess-Number-${i}`, RC);
      assert.equal(!r.ok && r.error, 'invalid_credentials');
    }
    assert.equal(await locked(p.entry.id), true, 'ppolicy locked the entry (pwdMaxFailure 3)');
    const refused = await kit.app.sessions.signIn(p.account.login, p.password, RC);
    assert.equal(!refused.ok && refused.error, 'invalid_credentials', 'locked: the same answer as a wrong password');
    assert.equal((await auditOf(kit.app, p.account.id)).at(-1)?.outcome, 'locked', 'the audit log says why');
    const session = await openSession(kit.app, p.account);

    // the reset pages: start, email code, then "Unlock my account, keep my password"
    const b = new TestBrowser(kit.server);
    await b.get('/reset');
    const started = await b.post('/reset', { login: p.account.login, altcha: await solveCaptcha(kit.server) });
    await b.follow(started);
    const code = await lastCode(kit.app, p.email);
    const passed = await b.post('/reset/flow/code', { code });
    const step = await b.follow(passed);
    assert.match(step.body, /action="\/reset\/flow\/unlock"/, 'the new-password step offers the unlock');
    assert.ok(step.body.includes(UNLOCK_TEXT.button));
    const stepCsrf = b.csrf();
    const unlocked = await b.post('/reset/flow/unlock');
    const done = await b.follow(unlocked);
    assert.equal(done.statusCode, 200);
    assert.equal(h1(done.body), UNLOCK_TEXT.doneTitle);

    assert.equal(await locked(p.entry.id), false, 'pwdAccountLockedTime is gone');
    assert.ok((await dir.directory.verifyPassword(p.entry, p.password)).ok, 'the old password binds: not changed');
    assert.equal(await sessionRevoked(kit.app, session), false, 'no session was revoked');
    const signedIn = await kit.app.sessions.signIn(p.account.login, p.password, RC);
    assert.ok(signedIn.ok, !signedIn.ok ? signedIn.error : '');

    const events = await auditOf(kit.app, p.account.id);
    const unlock = events.find((e) => e.type === 'account.unlocked');
    assert.ok(unlock, 'audited');
    assert.equal(unlock.details.by, 'self-service');
    assert.equal(unlock.details.wasLocked, true);
    assert.equal(events.filter((e) => e.type === 'password.changed').length, 0, 'no password change');
    const auditRows = (await kit.app.store.audit.list({ limit: 1000 })).filter((e) => e.type === 'account.unlocked');
    assert.equal(auditRows.find((e) => e.accountId === p.account.id)?.actor, 'self');
    assert.equal(await notices(p.account.id, 'account.unlocked'), 2, 'the login and the alternate email are told');
    assert.equal(await notices(p.account.id, 'reset.completed'), 0);
    const again = await b.get('/reset/flow');
    assert.equal(h1(again.body), UNLOCK_TEXT.doneTitle, 'the flow stays ended as unlocked');
    // the back button and a form again: the same answer, nothing moves
    const twice = await b.post('/reset/flow/password', { _csrf: stepCsrf, password: 'x', confirm: 'x' });
    assert.equal(h1(twice.body), UNLOCK_TEXT.doneTitle);
    assert.equal(await notices(p.account.id, 'account.unlocked'), 2, 'no second notice');
  });

  test('the unlock is offered to directory accounts only; a built-in account cannot use it', async () => {
    const user = await kit.app.store.directory.findAccountByLogin(`user@${DOMAIN}`);
    assert.ok(user && user.externalId === null);
    const email = (await kit.app.store.directory.listMethods(user.id)).find((m) => m.kind === 'email')!.value;
    const handle = await reachNewPassword(kit.app, user, email);
    const view = await kit.app.reset.view(handle);
    assert.ok(view.ok);
    assert.equal(view.value.canUnlock, false);
    const r = await kit.app.reset.unlockAccount(handle, RC);
    assert.equal(!r.ok && r.error, 'wrong_step');
    const viaApi = await unlockViaApi(handle);
    assert.equal(viaApi.statusCode, 400);
    assert.equal(viaApi.json().error.code, 'wrong_step');
    assert.equal((await kit.app.store.flows.get(handle.flowId))?.state, 'new_password', 'the flow did not move');

    const p = await person('Harbor-Velvet-Oak-19');
    const own = await reachNewPassword(kit.app, p.account, p.email);
    const ownView = await kit.app.reset.view(own);
    assert.ok(ownView.ok && ownView.value.canUnlock, 'a directory account at the new-password step');
    // not locked: the unlock still ends the flow (nothing to clear is no error), and says so in the audit;
    // through the JSON API this time
    const r2 = await unlockViaApi(own);
    assert.equal(r2.statusCode, 200, r2.body);
    assert.equal(r2.json().flow.state, 'unlocked');
    assert.equal((await kit.app.store.flows.get(own.flowId))?.state, 'unlocked');
    const ev = (await auditOf(kit.app, p.account.id)).find((e) => e.type === 'account.unlocked');
    assert.equal(ev?.details.wasLocked, false);
  });

  test('an administrator unlocks from the admin API: audited under the key, the person told, the password kept', async () => {
    const p = await person('Granite-Poppy-Flute-37');
    slapd.ldapmodify(
      `dn: ${p.entry.dn}\nchangetype: modify\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 20261205101010Z\n`,
    );
    assert.equal(await locked(p.entry.id), true);
    const key = await kit.app.apiKeys.create({
      tenantId: dir.tenantId,
      name: 'unlock',
      scopes: ['users:write'],
      expiresAt: null,
      by: 'cli',
    });
    assert.ok(key.ok);
    const readOnly = await kit.app.apiKeys.create({
      tenantId: dir.tenantId,
      name: 'read',
      scopes: ['users:read'],
      expiresAt: null,
      by: 'cli',
    });
    assert.ok(readOnly.ok);
    const call = (token: string, id: string) =>
      kit.server.inject({
        method: 'POST',
        url: `${ADMIN_API_PREFIX}/users/${id}/unlock`,
        headers: { authorization: `Bearer ${token}` },
      });
    const noScope = await call(readOnly.value.token, p.account.id);
    assert.equal(noScope.statusCode, 403);
    assert.equal(noScope.json().error.code, 'scope_missing');
    assert.equal(await locked(p.entry.id), true, 'refused: still locked');

    const res = await call(key.value.token, p.account.id);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { id: p.account.id, locked: false, wasLocked: true });
    assert.equal(await locked(p.entry.id), false);
    assert.ok((await dir.directory.verifyPassword(p.entry, p.password)).ok, 'the password is the same');
    const row = (await kit.app.store.audit.list({ limit: 1000 })).find(
      (e) => e.type === 'account.unlocked' && e.accountId === p.account.id,
    );
    assert.equal(row?.actor, `api_key:${key.value.key.id}`);
    assert.equal(row?.details.by, 'api');
    assert.equal(await notices(p.account.id, 'account.unlocked'), 2);

    const builtin = await kit.app.store.directory.findAccountByLogin(`user@${DOMAIN}`);
    const notDirectory = await call(key.value.token, builtin!.id);
    assert.equal(notDirectory.statusCode, 409);
    assert.equal(notDirectory.json().error.code, 'not_directory_account');
  });

  test('an administrator unlocks from the console: the user page shows the lock and the button; other admins are told for an admin', async () => {
    const p = await person('Meadow-Tinsel-Brook-84', 'admin');
    for (let i = 0; i < 3; i++) await kit.app.sessions.signIn(p.account.login, `Wrong-Again-Guess-${i}`, RC);
    assert.equal(await locked(p.entry.id), true);
    const admin = new TestBrowser(kit.server);
    await admin.get('/signin');
    const pw = kit.demo.accounts.find((a) => a.login === `admin@${DOMAIN}`)!.password;
    const signed = await passSecondStep(
      kit.app,
      admin,
      await admin.post('/signin', { login: `admin@${DOMAIN}`, password: pw, next: '/admin' }),
      `admin@${DOMAIN}`,
    );
    assert.equal(signed.statusCode, 303);
    const page = await admin.get(`/admin/users/${p.account.id}`);
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.includes(UNLOCK_TEXT.console.locked));
    assert.match(page.body, new RegExp(`action="/admin/users/${p.account.id}/unlock"`));
    const posted = await admin.post(`/admin/users/${p.account.id}/unlock`);
    const after = await admin.follow(posted);
    assert.ok(after.body.includes(UNLOCK_TEXT.console.done));
    assert.ok(after.body.includes(UNLOCK_TEXT.console.notLocked), 'read again: not locked');
    assert.doesNotMatch(after.body, /\/unlock"/, 'no button once unlocked');
    assert.equal(await locked(p.entry.id), false);
    assert.ok((await dir.directory.verifyPassword(p.entry, p.password)).ok);

    const adminAccount = await kit.app.store.directory.findAccountByLogin(`admin@${DOMAIN}`);
    const row = (await kit.app.store.audit.list({ limit: 1000 })).find(
      (e) => e.type === 'account.unlocked' && e.accountId === p.account.id,
    );
    assert.equal(row?.actor, `admin:${adminAccount!.id}`);
    assert.equal(row?.details.by, 'console');
    const admin2 = await kit.app.store.directory.findAccountByLogin(`admin2@${DOMAIN}`);
    assert.equal(await notices(admin2!.id, 'admin.unlock_notice'), 1, 'another admin is told');
    assert.equal(await notices(adminAccount!.id, 'admin.unlock_notice'), 0, 'not the one who acted');
    assert.equal(await notices(p.account.id, 'account.unlocked'), 2);
  });
});
