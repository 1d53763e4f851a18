// Sign-in for directory accounts and unlocking without a reset, against a real Active Directory
// (Samba AD DC; the domain locks an account after 3 wrong passwords): the password is proven by a
// bind as the person, three wrong sign-ins lock the account (lockoutTime), the person unlocks it
// through the reset's gates and keeps the password, an administrator unlocks through the admin
// API's use case, and "must change" (pwdLastSet 0: bind data 773) signs in to the forced change.
// One DC for the file (one per machine), one OU for the file, a tenant per test.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Actor } from '../../src/core/admin-rules.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import {
  RC,
  addDirectoryAccount,
  addDirectoryTenant,
  auditOf,
  entryOf,
  openSession,
  reachNewPassword,
  sessionRevoked,
  type DirectoryTenant,
} from './directory-reset-kit.ts';
import { adSettings } from './directory-kit.ts';
import { AD_ADMIN_PASSWORD, adUserLdif, startSambaDc, type SambaDc } from './samba.ts';

const BIND_ENV = 'SSPR_DIRECTORY_TEST_AD_UNLOCK_BIND';
let dc: SambaDc;
let ou: string;
let t: TestApp;
const tenants: DirectoryTenant[] = [];
let n = 0;
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

before(async () => {
  process.env[BIND_ENV] = AD_ADMIN_PASSWORD;
  dc = await startSambaDc();
  ou = dc.ou(`unlock-${tag}`);
  t = await createTestApp();
});
after(async () => {
  for (const d of tenants) await d.directory.close();
  await t?.cleanup();
  await dc?.stop();
  delete process.env[BIND_ENV];
});

/** A person in the DC, their own tenant whose passwords live there, and their sspr account. */
async function setup(password: string) {
  const name = `adunlock${++n}`;
  const sam = `u${n}${tag}`;
  dc.ldapmodify(adUserLdif(ou, { sam, name: `Sky Example${n}`, password }));
  const d = await addDirectoryTenant(t.app, name, adSettings(dc, ou, BIND_ENV));
  tenants.push(d);
  const entry = await entryOf(d, sam);
  const email = `${sam}@home.example`;
  const account = await addDirectoryAccount(t.app, d, entry, { email });
  return { d, sam, entry, account, email, password };
}

async function locked(d: DirectoryTenant, id: string): Promise<boolean> {
  const r = await d.directory.getById(id);
  assert.ok(r.ok && r.value, JSON.stringify(r));
  return r.value.locked;
}

function lockoutTime(dn: string): string {
  return /^lockoutTime: (\d+)$/m.exec(dc.ldapsearch(dn, '(objectClass=*)', ['lockoutTime']))?.[1] ?? '(none)';
}

async function lockBySignins(login: string): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const r = await t.app.sessions.signIn(login, `Wrong-Guess-Number-${i}!`, RC);
    assert.equal(!r.ok && r.error, 'invalid_credentials');
  }
}

describe('sign-in and unlock against a real Samba AD domain controller', () => {
  test('the bind proves the password; a wrong one fails and counts; a wildcard login matches nobody', async () => {
    const p = await setup('Amber-Falcon-Window-81');
    const wrong = await t.app.sessions.signIn(p.account.login, 'Amber-Falcon-Window-82', RC);
    assert.equal(!wrong.ok && wrong.error, 'invalid_credentials');
    assert.equal((await t.app.store.auth.getSigninGuard(p.account.id))?.failures, 1);
    const right = await t.app.sessions.signIn(p.account.login, p.password, RC);
    assert.ok(right.ok, !right.ok ? right.error : '');
    assert.equal(right.value.account.mustChangePassword, false);
    for (const login of ['*', `u${n}*`, '*)(sAMAccountName=*']) {
      const r = await p.d.directory.findByLogin(login);
      assert.ok(r.ok && r.value === null, `${login} matches nobody`);
    }
    const star = await t.app.sessions.signIn(`u${n}*@${p.d.domain}`, p.password, RC);
    assert.equal(!star.ok && star.error, 'invalid_credentials');
  });

  test('three wrong passwords lock the account (lockoutTime); the person unlocks it through the gates and keeps the password', async () => {
    const p = await setup('Linen-Compass-Meadow-65');
    await lockBySignins(p.account.login);
    assert.equal(await locked(p.d, p.entry.id), true, 'the domain locked it');
    assert.notEqual(lockoutTime(p.entry.dn), '0');
    const refused = await t.app.sessions.signIn(p.account.login, p.password, RC);
    assert.equal(!refused.ok && refused.error, 'invalid_credentials', 'the same answer as a wrong password');
    assert.equal(refused.unlockOffered, true);
    assert.equal((await auditOf(t.app, p.account.id)).at(-1)?.outcome, 'locked');
    const session = await openSession(t.app, p.account);

    const handle = await reachNewPassword(t.app, p.account, p.email);
    const view = await t.app.reset.view(handle);
    assert.ok(view.ok && view.value.canUnlock);
    const done = await t.app.reset.unlockAccount(handle, RC);
    assert.ok(done.ok, !done.ok ? done.error : '');
    assert.equal(done.value.state, 'unlocked');
    assert.equal(lockoutTime(p.entry.dn), '0', 'lockoutTime: 0');
    assert.equal(await locked(p.d, p.entry.id), false);
    assert.ok((await p.d.directory.verifyPassword(p.entry, p.password)).ok, 'the old password binds: not changed');
    assert.equal(await sessionRevoked(t.app, session), false);
    const signedIn = await t.app.sessions.signIn(p.account.login, p.password, RC);
    assert.ok(signedIn.ok, !signedIn.ok ? signedIn.error : '');
    const ev = (await auditOf(t.app, p.account.id)).find((e) => e.type === 'account.unlocked');
    assert.equal(ev?.details.by, 'self-service');
    assert.equal(ev?.details.wasLocked, true);
    assert.equal(ev?.details.directory, 'ad');
  });

  test('an administrator (admin API key) unlocks a locked account; audited under the key, the person told', async () => {
    const p = await setup('Granite-Poppy-Flute-47');
    await lockBySignins(p.account.login);
    assert.equal(await locked(p.d, p.entry.id), true);
    const actor: Actor = { kind: 'api_key', keyId: 'k-unlock', tenantId: p.d.tenantId, scopes: ['users:write'] };
    const r = await t.app.admin.unlockInDirectory(actor, p.account.id, 'api', RC);
    assert.ok(r.ok, !r.ok ? r.error : '');
    assert.equal(r.value.wasLocked, true);
    assert.equal(lockoutTime(p.entry.dn), '0');
    assert.ok((await p.d.directory.verifyPassword(p.entry, p.password)).ok);
    const row = (await t.app.store.audit.list({ limit: 1000 })).find(
      (e) => e.type === 'account.unlocked' && e.accountId === p.account.id,
    );
    assert.equal(row?.actor, 'api_key:k-unlock');
    const notices = (await t.app.store.outbox.list({ limit: 1000 })).filter(
      (m) => m.accountId === p.account.id && m.template === 'account.unlocked',
    );
    assert.equal(notices.length, 2, 'the login and the alternate email');
    const otherTenant: Actor = { ...actor, tenantId: 'another-tenant' };
    const denied = await t.app.admin.unlockInDirectory(otherTenant, p.account.id, 'api', RC);
    assert.equal(!denied.ok && denied.error, 'other_tenant');
  });

  test('"must change" (pwdLastSet 0, bind data 773) signs in to the forced change, which goes through the credential change', async () => {
    const p = await setup('Meadow-Tinsel-Brook-94');
    dc.ldapmodify(`dn: ${p.entry.dn}\nchangetype: modify\nreplace: pwdLastSet\npwdLastSet: 0\n`);
    const bind = await p.d.directory.verifyPassword(p.entry, p.password);
    assert.equal(!bind.ok && bind.error, 'must_change', 'the DC answers data 773');
    const wrong = await t.app.sessions.signIn(p.account.login, 'Meadow-Tinsel-Brook-95', RC);
    assert.equal(!wrong.ok && wrong.error, 'invalid_credentials', 'a wrong password is still wrong');
    const r = await t.app.sessions.signIn(p.account.login, p.password, RC);
    assert.ok(r.ok, !r.ok ? r.error : '');
    assert.equal(r.value.account.mustChangePassword, true, 'routed to the forced change');
    assert.equal((await auditOf(t.app, p.account.id)).at(-1)?.outcome, 'must_change');
    const auth = await t.app.sessions.authenticate(r.value.token);
    assert.ok(auth && auth.account.mustChangePassword);
    const next = 'Copper meadow Lantern violin 2026';
    const changed = await t.app.sessions.changePassword(auth, p.password, next, next, RC);
    assert.ok(changed.ok, !changed.ok ? changed.error : '');
    assert.ok((await p.d.directory.verifyPassword(p.entry, next)).ok, 'the new password is in the directory');
    const after = await t.app.store.directory.getAccount(p.account.id);
    assert.equal(after?.mustChangePassword, false, 'the forced change is done');
  });
});
