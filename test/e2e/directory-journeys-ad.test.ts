// Browser journeys (Chromium) against a real Samba AD domain controller, the accounts brought in by
// the real directory sync (roles from the admin group, methods from the trusted otherMailbox/mobile):
// an administrator resets through both gates (email code, then SMS code) and unicodePwd is written;
// a temporary password from the console (the admin signed in with their directory password) forces
// a change at next logon (bind answers data 773), and the person signs in with it, is sent to the
// forced change and sets a password that binds. One DC per machine (startSambaDc holds its lock):
// every AD journey is in this file, each test in its own OU. The directory going down mid-flow is
// covered on AD by test/directories/ad-reset.test.ts (service level), in the browser on OpenLDAP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { RESET_PAGE_TEXT } from '../../src/core/ui-text.ts';
import type { Account } from '../../src/core/directory-model.ts';
import type { DirectoryEntry } from '../../src/ports/external-directory.ts';
import { addDirectoryTenant, entryOf, type DirectoryTenant } from '../directories/directory-reset-kit.ts';
import {
  AD_ADMIN_DN,
  AD_ADMIN_PASSWORD,
  AD_TLS_NAME,
  adUserLdif,
  startSambaDc,
  type SambaDc,
} from '../directories/samba.ts';
import { launchBrowser, newContext, startE2eServer, type E2eServer } from './harness.ts';
import {
  axeClean,
  binds,
  forcedChange,
  h1,
  mainText,
  passEmailGate,
  passSmsGate,
  setTemporaryPassword,
  signIn,
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

interface Person {
  readonly sam: string;
  readonly name: string;
  readonly password: string;
  readonly mail: string;
  readonly mobile?: string;
}

interface Synced {
  readonly d: DirectoryTenant;
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
  const d = await addDirectoryTenant(s.app, name, {
    kind: 'ad',
    urls: [dc.ldapsUrl],
    caFile: path.join(dc.dir, 'private', 'tls', 'ca.pem'),
    tlsServerName: AD_TLS_NAME,
    bindDn: AD_ADMIN_DN,
    bindPassword: `env:${BIND_ENV}`,
    baseDn: ou,
    emailAttribute: 'otherMailbox',
    adminGroups: [`CN=admins,${ou}`],
    trustContactAttributes: true,
    syncIntervalMinutes: 0,
  });
  directories.push(d);
  const r = await s.app.directorySync.syncTenant(d.tenantId, 'cli');
  assert.ok(r.ok, !r.ok ? `${r.error} ${r.detail}` : '');
  assert.equal(r.value.failure, null);
  assert.equal(r.value.created, people.length, JSON.stringify(r.value.skipped));
  return {
    d,
    async account(short) {
      const a = await s.app.store.directory.findAccountByLogin(`${short}${TAG}@${d.domain}`);
      assert.ok(a, `${short} was synced`);
      return a;
    },
    entry: (short) => entryOf(d, `${short}${TAG}`),
  };
}

async function page(): Promise<Page> {
  const c = await newContext(browser);
  contexts.push(c);
  return c.newPage();
}

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
