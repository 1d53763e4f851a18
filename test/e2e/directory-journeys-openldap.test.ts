// Browser journeys (Chromium) against a real slapd with the ppolicy overlay, the accounts brought in
// by the real directory sync (roles from the admin group, methods from the trusted mail/mobile):
// an administrator resets through both gates (email code, then SMS code); the directory goes down at
// the new-password step and the same page completes once it is back; a temporary password from the
// console (the admin signed in with their directory password) sets pwdReset, and the person signs in
// with it, is sent to the forced change and sets a password that binds. Each asserts what the person
// sees (catalogue text, axe clean) and what the directory holds (binds).
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { RESET_PAGE_TEXT, RESET_STAYS_OPEN, STEP_PROBLEMS, withTime } from '../../src/core/ui-text.ts';
import type { Account } from '../../src/core/directory-model.ts';
import type { DirectoryEntry } from '../../src/ports/external-directory.ts';
import { addDirectoryTenant, entryOf, type DirectoryTenant } from '../directories/directory-reset-kit.ts';
import { ldapSettings } from '../directories/directory-kit.ts';
import { BASE_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from '../directories/slapd.ts';
import { launchBrowser, startE2eServer, type E2eServer, releaseContexts } from './harness.ts';
import {
  axeClean,
  binds,
  forcedChange,
  h1,
  mainText,
  newPage,
  passEmailGate,
  passSmsGate,
  setTemporaryPassword,
  signIn,
  syncAll,
  timed,
  typePassword,
} from './directory-journey-kit.ts';

const BIND_ENV = 'SSPR_DIRECTORY_TEST_E2E_LDAP_JOURNEYS_BIND';
let browser: Browser;
let s: E2eServer;
let slapd: Slapd;
const directories: DirectoryTenant[] = [];
const contexts: BrowserContext[] = [];
const timings: string[] = [];

before(async () => {
  process.env[BIND_ENV] = SERVICE_PASSWORD;
  slapd = await startSlapd();
  browser = await launchBrowser();
  s = await startE2eServer();
});
after(async () => {
  if (timings.length > 0) console.log(`OpenLDAP browser journeys, wall time: ${timings.join('; ')}`);
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await s?.close();
  for (const d of directories) await d.directory.close();
  await slapd?.stop();
  delete process.env[BIND_ENV];
});
// every journey's browsers, cleared, for the next journey's (harness.ts releaseContexts)
afterEach(() => releaseContexts(contexts));

interface Person {
  readonly uid: string;
  readonly name: string;
  readonly password: string;
  readonly mail: string;
  readonly mobile?: string;
}

interface Synced {
  readonly d: DirectoryTenant;
  account(uid: string): Promise<Account>;
  entry(uid: string): Promise<DirectoryEntry>;
}

/**
 * A tenant whose directory is its own OU in slapd (people, and a groupOfNames `admins` with the
 * given members), whose mail and mobile are trusted, brought into sspr by the real sync.
 */
async function syncedTenant(name: string, people: readonly Person[], admins: readonly string[]): Promise<Synced> {
  const ou = `ou=${name},${BASE_DN}`;
  const dn = (uid: string) => `uid=${uid},${ou}`;
  slapd.ldapmodify(
    [
      `dn: ${ou}\nchangetype: add\nobjectClass: organizationalUnit\nou: ${name}\n`,
      ...people.map((p) =>
        [
          `dn: ${dn(p.uid)}`,
          'changetype: add',
          'objectClass: inetOrgPerson',
          `uid: ${p.uid}`,
          `cn: ${p.name}`,
          `sn: ${p.name.split(' ').at(-1)}`,
          `mail: ${p.mail}`,
          ...(p.mobile ? [`mobile: ${p.mobile}`] : []),
          `userPassword: ${p.password}`,
          '',
        ].join('\n'),
      ),
      // groupOfNames needs a member: the OU itself stands in for none
      `dn: cn=admins,${ou}\nchangetype: add\nobjectClass: groupOfNames\ncn: admins\nmember: ${ou}\n${admins
        .map((a) => `member: ${dn(a)}\n`)
        .join('')}`,
    ].join('\n'),
  );
  const d = await addDirectoryTenant(
    s.app,
    name,
    ldapSettings(slapd, BIND_ENV, { baseDn: ou, adminGroups: [`cn=admins,${ou}`], trustContactAttributes: true }),
  );
  directories.push(d);
  await syncAll(s, d, people.length);
  return {
    d,
    async account(uid) {
      const a = await s.app.store.directory.findAccountByLogin(`${uid}@${d.domain}`);
      assert.ok(a, `${uid} was synced`);
      return a;
    },
    entry: (uid) => entryOf(d, uid),
  };
}

const page = (): Promise<Page> => newPage(browser, contexts);

test('OpenLDAP: an administrator (member of the admin group, synced as admin) resets through both gates, email code then SMS code; the new password binds, the old one fails', async () => {
  await timed(timings, 'admin two gates', async () => {
    const t = await syncedTenant(
      'ldapadmin',
      [
        {
          uid: 'ada',
          name: 'Ada Admin',
          password: 'Amber-Harbour-Lantern-71',
          mail: 'ada@home.example',
          mobile: '+15555550171',
        },
        { uid: 'uma', name: 'Uma User', password: 'Amber-Harbour-Lantern-72', mail: 'uma@home.example' },
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
    await axeClean(p, 'OpenLDAP admin: phone number');
    await passSmsGate(s, p, '+15555550171');
    assert.equal(await h1(p), RESET_PAGE_TEXT.newPassword.title);
    const text = await mainText(p);
    assert.ok(text.includes(RESET_PAGE_TEXT.newPassword.directoryRules), `the directory's rules: ${text}`);
    assert.match(text, /not one of your last 3 passwords/);
    await axeClean(p, 'OpenLDAP admin: new password');
    assert.equal(await binds(t.d, entry, 'Amber-Harbour-Lantern-71'), 'ok', 'nothing written before the last step');
    const started = performance.now();
    const done = await typePassword(p, 'granite orchard piano kestrel');
    timings.push(`admin password step (the directory write) ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(done.status(), 303);
    assert.equal(await h1(p), RESET_PAGE_TEXT.completed.title);
    assert.ok((await mainText(p)).includes(RESET_PAGE_TEXT.completed.message));
    await axeClean(p, 'OpenLDAP admin: done');

    assert.equal(await binds(t.d, entry, 'granite orchard piano kestrel'), 'ok', 'the new password binds');
    assert.equal(await binds(t.d, entry, 'Amber-Harbour-Lantern-71'), 'wrong_password', 'the old one fails');
    const after = await s.app.store.directory.getAccount(ada.id);
    assert.equal(after?.passwordHash, null, 'still no password of its own in sspr');
  });
});

test('OpenLDAP: the directory goes down at the new-password step: the page says resets are unavailable and until when the reset stays open, nothing changed; back up, the same page completes', async () => {
  await timed(timings, 'directory down mid-flow', async () => {
    const t = await syncedTenant(
      'ldapdown',
      [{ uid: 'dora', name: 'Dora Down', password: 'Amber-Harbour-Lantern-73', mail: 'dora@home.example' }],
      [],
    );
    const dora = await t.account('dora');
    const entry = await t.entry('dora');
    const p = await page();
    await passEmailGate(s, p, dora.login, 'dora@home.example');
    assert.equal(await h1(p), RESET_PAGE_TEXT.newPassword.title);
    const cookie = (await p.context().cookies()).find((c) => c.name === 'sspr_flow');
    assert.ok(cookie, 'the reset is bound to this browser');
    const [flowId = '', secret = ''] = cookie.value.split('.');
    const view = await s.app.reset.view({ flowId, secret });
    assert.ok(view.ok && view.value.state === 'new_password');

    await slapd.pause();
    let restarted = false;
    try {
      const down = await typePassword(p, 'lichen harbour comet saddle');
      assert.equal(down.status(), 503);
      assert.equal(await h1(p), RESET_PAGE_TEXT.newPassword.title, 'still on the new-password step');
      const text = await mainText(p);
      const problem = STEP_PROBLEMS.directory_unreachable;
      assert.ok(text.includes(problem.title), `what happened: ${text}`);
      assert.ok(text.includes(problem.message), `nothing changed, try again later: ${text}`);
      const stays = withTime({ title: '', message: RESET_STAYS_OPEN }, String(view.value.expiresAt)).message;
      assert.ok(text.includes(stays), `until when the reset stays open (${stays}): ${text}`);
      await axeClean(p, 'OpenLDAP: directory unreachable');
      await slapd.start();
      restarted = true;
    } finally {
      if (!restarted) await slapd.start();
    }
    assert.equal(await binds(t.d, entry, 'Amber-Harbour-Lantern-73'), 'ok', 'nothing changed: the old password binds');
    assert.equal(await binds(t.d, entry, 'lichen harbour comet saddle'), 'wrong_password');

    // the same page, submitted again: the same flow completes, no new codes
    const done = await typePassword(p, 'lichen harbour comet saddle');
    assert.equal(done.status(), 303);
    assert.equal(await h1(p), RESET_PAGE_TEXT.completed.title);
    assert.equal((await s.app.store.flows.get(flowId))?.state, 'completed', 'the same flow');
    assert.equal(await binds(t.d, entry, 'lichen harbour comet saddle'), 'ok', 'the new password binds');
    assert.equal(await binds(t.d, entry, 'Amber-Harbour-Lantern-73'), 'wrong_password', 'the old one fails');
  });
});

test('OpenLDAP: a temporary password from the console (the admin signed in with their directory password) sets pwdReset; the person signs in with it, is sent to the forced change, and the new password binds', async () => {
  await timed(timings, 'temporary password', async () => {
    const t = await syncedTenant(
      'ldaptemp',
      [
        {
          uid: 'hana',
          name: 'Hana Helpdesk',
          password: 'Amber-Harbour-Lantern-74',
          mail: 'hana@home.example',
          mobile: '+15555550174',
        },
        { uid: 'tom', name: 'Tom Temporary', password: 'Amber-Harbour-Lantern-75', mail: 'tom@home.example' },
      ],
      ['hana'],
    );
    const hana = await t.account('hana');
    const tom = await t.account('tom');
    const entry = await t.entry('tom');
    assert.equal(hana.role, 'admin');

    const admin = await page();
    assert.equal((await signIn(s, admin, hana.login, 'Amber-Harbour-Lantern-74')).status(), 303);
    const temp = await setTemporaryPassword(s, admin, tom);

    assert.match(slapd.ldapsearch(entry.dn, '(objectClass=*)', ['pwdReset']), /pwdReset: TRUE/, 'must change');
    assert.equal(await binds(t.d, entry, temp), 'ok', 'the temporary password is in the directory');
    assert.equal(await binds(t.d, entry, 'Amber-Harbour-Lantern-75'), 'wrong_password', 'the old one is gone');

    await forcedChange(s, await page(), tom.login, temp, 'saffron glacier teapot lantern');

    assert.equal(await binds(t.d, entry, 'saffron glacier teapot lantern'), 'ok', 'the new password binds');
    assert.equal(await binds(t.d, entry, temp), 'wrong_password', 'the temporary one no longer does');
    assert.doesNotMatch(slapd.ldapsearch(entry.dn, '(objectClass=*)', ['pwdReset']), /pwdReset: TRUE/);
    assert.equal((await s.app.store.directory.getAccount(tom.id))?.mustChangePassword, false);
  });
});
