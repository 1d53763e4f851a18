// Browser journeys (Chromium) against a real Samba AD domain controller, the accounts brought in by
// the real directory sync (roles from the admin group, methods from the trusted otherMailbox/mobile):
// an administrator resets through both gates (email code, then SMS code) and unicodePwd is written;
// a temporary password from the console (the admin signed in with their directory password) forces
// a change at next logon (bind answers data 773), and the person signs in with it, is sent to the
// forced change and sets a password that binds; three wrong passwords at sspr's sign-in lock the
// account in the domain (lockoutTime), and the person unlocks it through the email gate, keeping the
// password; the directory becomes unreachable at the new-password step (the tenant's URL pointed at a
// dead port) and the same page completes once it is back. One DC per machine (it holds a lock), shared
// by every file of the run that uses it (scripts/test.mjs runs them in one process): each test here
// works in its own OU, with sAMAccountNames tagged with this process and time.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { translate } from '../../src/core/i18n.ts';
import { RESET_PAGE_TEXT, RESET_STAYS_OPEN, STEP_PROBLEMS, UNLOCK_TEXT, withTime } from '../../src/core/ui-text.ts';
import type { Account } from '../../src/core/directory-model.ts';
import { parseDirectorySettings } from '../../src/core/directory-settings.ts';
import { ACCOUNT_TEXT } from '../../src/http/account/account-views.tsx';
import type { DirectoryEntry } from '../../src/ports/external-directory.ts';
import { addDirectoryTenant, entryOf, type DirectoryTenant } from '../directories/directory-reset-kit.ts';
import { adSettings } from '../directories/directory-kit.ts';
import { AD_ADMIN_PASSWORD, adUserLdif, startSambaDc, type SambaDc } from '../directories/samba.ts';
import { freePort, launchBrowser, releaseContexts, startE2eServer, type E2eServer } from './harness.ts';
import {
  axeClean,
  binds,
  flowOf,
  forcedChange,
  h1,
  mainText,
  newPage,
  passEmailGate,
  passSmsGate,
  setTemporaryPassword,
  signIn,
  submit,
  syncAll,
  timed,
  typePassword,
} from './directory-journey-kit.ts';

const BIND_ENV = 'SSPR_DIRECTORY_TEST_E2E_AD_JOURNEYS_BIND';
const TAG = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
let browser: Browser;
let s: E2eServer;
let dc: SambaDc;
const directories: DirectoryTenant[] = [];
const contexts: BrowserContext[] = [];
const timings: string[] = [];

before(async () => {
  process.env[BIND_ENV] = AD_ADMIN_PASSWORD;
  dc = await startSambaDc();
  browser = await launchBrowser();
  s = await startE2eServer();
});
after(async () => {
  if (timings.length > 0) console.log(`AD browser journeys, wall time: ${timings.join('; ')}`);
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await s?.close();
  for (const d of directories) await d.directory.close();
  await dc?.stop();
  delete process.env[BIND_ENV];
});
// every journey's browsers, cleared, for the next journey's (harness.ts releaseContexts)
afterEach(() => releaseContexts(contexts));

interface Person {
  readonly sam: string;
  readonly name: string;
  readonly password: string;
  readonly mail: string;
  readonly mobile?: string;
}

interface Synced {
  readonly d: DirectoryTenant;
  /** The tenant's directory settings as stored (to point them elsewhere and back). */
  readonly settings: Readonly<Record<string, unknown>>;
  account(sam: string): Promise<Account>;
  entry(sam: string): Promise<DirectoryEntry>;
}

/**
 * A tenant whose directory is its own OU on the DC (users, and a group `admins` with the given
 * members), whose otherMailbox and mobile are trusted, brought into sspr by the real sync.
 */
async function syncedTenant(name: string, people: readonly Person[], admins: readonly string[]): Promise<Synced> {
  const ou = dc.ou(`${name}-${TAG}`);
  const sam = (p: Person) => `${p.sam}${TAG}`;
  dc.ldapmodify(people.map((p) => adUserLdif(ou, { ...p, sam: sam(p) })).join('\n'));
  const members = people.filter((p) => admins.includes(p.sam)).map((p) => `member: CN=${p.name},${ou}\n`);
  dc.ldapmodify(
    `dn: CN=admins,${ou}\nchangetype: add\nobjectClass: group\nsAMAccountName: ${name}-admins-${TAG}\n${members.join('')}`,
  );
  const settings = adSettings(dc, ou, BIND_ENV, { adminGroups: [`CN=admins,${ou}`], trustContactAttributes: true });
  const d = await addDirectoryTenant(s.app, name, settings);
  directories.push(d);
  await syncAll(s, d, people.length);
  return {
    d,
    settings,
    async account(short) {
      const a = await s.app.store.directory.findAccountByLogin(`${short}${TAG}@${d.domain}`);
      assert.ok(a, `${short} was synced`);
      return a;
    },
    entry: (short) => entryOf(d, `${short}${TAG}`),
  };
}

const page = (): Promise<Page> => newPage(browser, contexts);

test('Active Directory: an administrator (member of the admin group, synced as admin) resets through both gates, email code then SMS code; unicodePwd is written: the new password binds, the old one fails', async () => {
  await timed(timings, 'admin two gates', async () => {
    const t = await syncedTenant(
      'adadmin',
      [
        {
          sam: 'ada',
          name: 'Ada Admin',
          password: 'Amber-Harbour-Lantern-81',
          mail: 'ada@home.example',
          mobile: '+15555550181',
        },
        { sam: 'uma', name: 'Uma User', password: 'Amber-Harbour-Lantern-82', mail: 'uma@home.example' },
      ],
      ['ada'],
    );
    const ada = await t.account('ada');
    assert.equal(ada.role, 'admin', 'the role comes from the admin group');
    assert.equal(ada.passwordHash, null, 'the password lives in the directory');
    assert.equal((await t.account('uma')).role, 'user', 'not in the group: a user');
    const entry = await t.entry('ada');

    const p = await page();
    await passEmailGate(s, p, ada.login, 'ada@home.example');
    await axeClean(p, 'AD admin: phone number');
    await passSmsGate(s, p, '+15555550181');
    const text = await mainText(p);
    assert.ok(text.includes(RESET_PAGE_TEXT.newPassword.directoryRules), `the directory's rules: ${text}`);
    assert.ok(text.includes(RESET_PAGE_TEXT.newPassword.directoryComplexity), `complexity: ${text}`);
    await axeClean(p, 'AD admin: new password');
    assert.equal(await binds(t.d, entry, 'Amber-Harbour-Lantern-81'), 'ok', 'nothing written before the last step');
    const started = performance.now();
    const done = await typePassword(p, 'Granite-Orchard-Piano-8');
    timings.push(`admin password step (the directory write) ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(done.status(), 303, await mainText(p));
    assert.equal(await h1(p), RESET_PAGE_TEXT.completed.title);
    assert.ok((await mainText(p)).includes(RESET_PAGE_TEXT.completed.message));
    await axeClean(p, 'AD admin: done');

    assert.equal(await binds(t.d, entry, 'Granite-Orchard-Piano-8'), 'ok', 'the new password binds');
    assert.equal(await binds(t.d, entry, 'Amber-Harbour-Lantern-81'), 'wrong_password', 'the old one fails');
    assert.equal((await s.app.store.directory.getAccount(ada.id))?.passwordHash, null);
  });
});

test('Active Directory: a temporary password from the console (the admin signed in with their directory password) forces a change at next logon (data 773); the person signs in with it, is sent to the forced change, and the new password binds', async () => {
  await timed(timings, 'temporary password', async () => {
    const t = await syncedTenant(
      'adtemp',
      [
        {
          sam: 'hana',
          name: 'Hana Helpdesk',
          password: 'Amber-Harbour-Lantern-84',
          mail: 'hana@home.example',
          mobile: '+15555550184',
        },
        { sam: 'tom', name: 'Tom Temporary', password: 'Amber-Harbour-Lantern-85', mail: 'tom@home.example' },
      ],
      ['hana'],
    );
    const hana = await t.account('hana');
    const tom = await t.account('tom');
    const entry = await t.entry('tom');
    assert.equal(hana.role, 'admin');

    const admin = await page();
    assert.equal((await signIn(s, admin, hana.login, 'Amber-Harbour-Lantern-84')).status(), 303);
    const temp = await setTemporaryPassword(s, admin, tom);

    const bind = await t.d.directory.verifyPassword(entry, temp);
    assert.equal(!bind.ok && bind.error, 'must_change', 'the temporary password is right, and must be changed');
    assert.match(!bind.ok ? (bind.detail ?? '') : '', /773/);
    assert.equal(await binds(t.d, entry, 'Amber-Harbour-Lantern-85'), 'wrong_password', 'the old one is gone');

    await forcedChange(s, await page(), tom.login, temp, 'Saffron-Glacier-Teapot-9');

    assert.equal(await binds(t.d, entry, 'Saffron-Glacier-Teapot-9'), 'ok', 'the new password binds, no change asked');
    assert.equal(await binds(t.d, entry, temp), 'wrong_password', 'the temporary one no longer does');
    assert.equal((await s.app.store.directory.getAccount(tom.id))?.mustChangePassword, false);
  });
});

/** The tenant's directory settings stored again (a new updatedAt: sspr reopens its adapter on the next use). */
async function storeSettings(t: Synced, overrides: Record<string, unknown> = {}): Promise<void> {
  const parsed = parseDirectorySettings({ ...t.settings, ...overrides });
  assert.ok(parsed.ok, !parsed.ok ? parsed.detail : '');
  const before = await s.app.store.directory.getTenantDirectory(t.d.tenantId);
  const now = Math.max(s.app.clock.now(), (before?.updatedAt ?? 0) + 1);
  await s.app.store.directory.setTenantDirectory(t.d.tenantId, parsed.value, now);
}

/** lockoutTime as the domain holds it, read as the DC's administrator ('(none)' when never set). */
function lockoutTime(dn: string): string {
  return /^lockoutTime: (\d+)$/m.exec(dc.ldapsearch(dn, '(objectClass=*)', ['lockoutTime']))?.[1] ?? '(none)';
}

test('Active Directory: three wrong passwords at sign-in lock the account (lockoutTime); the person unlocks it through the email gate, keeping the password, and signs in with it', async () => {
  await timed(timings, 'unlock without a reset', async () => {
    const password = 'Willow-Beacon-Marble-86';
    const t = await syncedTenant(
      'adunlock',
      [{ sam: 'lena', name: 'Lena Locked', password, mail: 'lena@home.example' }],
      [],
    );
    const lena = await t.account('lena');
    const entry = await t.entry('lena');
    // the domain's policy (samba.ts): locked after 3 wrong passwords, for 30 minutes
    assert.match(dc.sambaTool(['domain', 'passwordsettings', 'show']), /Account lockout threshold \(attempts\): 3\b/);
    assert.ok(['(none)', '0'].includes(lockoutTime(entry.dn)), 'not locked yet');
    const p = await page();

    for (let i = 0; i < 3; i++) {
      const r = await signIn(s, p, lena.login, `Willow-Beacon-Marble-${90 + i}`);
      assert.equal(r.status(), 400);
    }
    const locked = await t.d.directory.getById(entry.id);
    assert.ok(locked.ok && locked.value?.locked, 'the domain locked the account');
    assert.notEqual(lockoutTime(entry.dn), '0', 'lockoutTime set');
    assert.equal(await binds(t.d, entry, password), 'locked', 'the right password does not bind while locked');

    // the right password is refused like a wrong one, and the page says how to unlock
    assert.equal((await signIn(s, p, lena.login, password)).status(), 400);
    assert.equal(await h1(p), ACCOUNT_TEXT.signin.title);
    const refused = await mainText(p);
    assert.ok(refused.includes(ACCOUNT_TEXT.problems.invalid_credentials.title), refused);
    assert.ok(refused.includes(translate('en', 'account.signin.lockedHint').slice(0, 40)), refused);
    await axeClean(p, 'AD: sign-in refused with the unlock hint');
    await p.getByRole('link', { name: translate('en', 'account.signin.lockedHintLink'), exact: true }).click();
    await p.waitForURL(`${s.baseUrl}/reset`);

    await passEmailGate(s, p, lena.login, 'lena@home.example');
    // the new-password step offers the other way out
    assert.equal(await h1(p), RESET_PAGE_TEXT.newPassword.title);
    const step = await mainText(p);
    assert.ok(step.includes(UNLOCK_TEXT.offerTitle), step);
    assert.ok(step.includes(UNLOCK_TEXT.offer), step);
    await axeClean(p, 'AD: new password with the unlock offer');
    assert.equal((await submit(p, UNLOCK_TEXT.button, '/reset/flow/unlock')).status(), 303);
    assert.equal(await h1(p), UNLOCK_TEXT.doneTitle);
    assert.ok((await mainText(p)).includes(UNLOCK_TEXT.doneMessage));
    await axeClean(p, 'AD: unlocked');

    assert.equal(lockoutTime(entry.dn), '0', 'lockoutTime: 0');
    const after = await t.d.directory.getById(entry.id);
    assert.ok(after.ok && after.value && !after.value.locked, 'the lock is gone');
    assert.equal(await binds(t.d, entry, password), 'ok', 'the password is the one it was');

    await p.getByRole('link', { name: UNLOCK_TEXT.signIn, exact: true }).click();
    await p.waitForURL(`${s.baseUrl}/signin`);
    assert.equal((await signIn(s, p, lena.login, password)).status(), 303);
    assert.equal(await h1(p), ACCOUNT_TEXT.home.title, 'signed in with the same password');
    const notice = await s.waitForMessage({ to: 'lena@home.example', channel: 'email', containing: 'unlocked' });
    assert.match(notice.text, /password was not changed/);
    assert.equal((await s.app.store.directory.getAccount(lena.id))?.passwordHash, null);
  });
});

test('Active Directory: the directory becomes unreachable at the new-password step: the page says resets are unavailable and until when the reset stays open, nothing changed; back, the same page completes', async () => {
  await timed(timings, 'directory down mid-flow', async () => {
    const t = await syncedTenant(
      'addown',
      [{ sam: 'dora', name: 'Dora Down', password: 'Amber-Harbour-Lantern-87', mail: 'dora@home.example' }],
      [],
    );
    const dora = await t.account('dora');
    const entry = await t.entry('dora');
    const p = await page();
    await passEmailGate(s, p, dora.login, 'dora@home.example');
    assert.equal(await h1(p), RESET_PAGE_TEXT.newPassword.title);
    const handle = await flowOf(p);
    const view = await s.app.reset.view(handle);
    assert.ok(view.ok && view.value.state === 'new_password');

    // the tenant's only URL now names a port nobody listens on
    await storeSettings(t, { urls: [`ldaps://127.0.0.1:${await freePort()}`] });
    let restored = false;
    try {
      const down = await typePassword(p, 'Lichen-Harbour-Comet-8');
      assert.equal(down.status(), 503, await mainText(p));
      assert.equal(await h1(p), RESET_PAGE_TEXT.newPassword.title, 'still on the new-password step');
      const text = await mainText(p);
      const problem = STEP_PROBLEMS.directory_unreachable;
      assert.ok(text.includes(problem.title), `what happened: ${text}`);
      assert.ok(text.includes(problem.message), `nothing changed, try again later: ${text}`);
      const stays = withTime({ title: '', message: RESET_STAYS_OPEN }, String(view.value.expiresAt)).message;
      assert.ok(text.includes(stays), `until when the reset stays open (${stays}): ${text}`);
      await axeClean(p, 'AD: directory unreachable');
      assert.equal((await s.app.store.flows.get(handle.flowId))?.state, 'new_password', 'the flow waits');
      await storeSettings(t);
      restored = true;
    } finally {
      if (!restored) await storeSettings(t);
    }
    assert.equal(await binds(t.d, entry, 'Amber-Harbour-Lantern-87'), 'ok', 'nothing changed: the old password binds');
    assert.equal(await binds(t.d, entry, 'Lichen-Harbour-Comet-8'), 'wrong_password');

    // the same page, submitted again: the same flow completes, no new codes
    const done = await typePassword(p, 'Lichen-Harbour-Comet-8');
    assert.equal(done.status(), 303, await mainText(p));
    assert.equal(await h1(p), RESET_PAGE_TEXT.completed.title);
    assert.ok((await mainText(p)).includes(RESET_PAGE_TEXT.completed.message));
    assert.equal((await s.app.store.flows.get(handle.flowId))?.state, 'completed', 'the same flow');
    assert.equal(await binds(t.d, entry, 'Lichen-Harbour-Comet-8'), 'ok', 'the new password binds');
    assert.equal(await binds(t.d, entry, 'Amber-Harbour-Lantern-87'), 'wrong_password', 'the old one fails');
  });
});
