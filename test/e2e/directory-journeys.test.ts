// A person whose password lives in the organisation's directory resets it in Chromium, once per
// kind: a real slapd (ppolicy) and a real Samba AD DC. The email code opens the new-password page,
// which shows the directory's rules; on OpenLDAP, whose minimum length (ppolicy pwdMinLength 20) is
// above the tenant's own, the browser holds a shorter password back (the field's minlength is that
// minimum) and says why; the directory refuses a password (used before / too simple) and the page says
// why (still on the same step); the next is written: it binds, the old one fails.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Request } from 'playwright-core';
import { RESET_PAGE_TEXT, STEP_PROBLEMS } from '../../src/core/ui-text.ts';
import type { DirectoryEntry } from '../../src/ports/external-directory.ts';
import {
  addDirectoryAccount,
  addDirectoryTenant,
  entryOf,
  type DirectoryTenant,
} from '../directories/directory-reset-kit.ts';
import { adSettings, addLdapPerson, ldapSettings } from '../directories/directory-kit.ts';
import { SERVICE_PASSWORD, startSlapd, type Slapd } from '../directories/slapd.ts';
import { AD_ADMIN_PASSWORD, adUserLdif, startSambaDc } from '../directories/samba.ts';
import { launchBrowser, releaseContexts, startE2eServer, type E2eServer } from './harness.ts';
import { axeClean, h1, mainText, newPage, passEmailGate, typePassword } from './directory-journey-kit.ts';

const LDAP_ENV = 'SSPR_DIRECTORY_TEST_E2E_LDAP_BIND';
const AD_ENV = 'SSPR_DIRECTORY_TEST_E2E_AD_BIND';
let browser: Browser;
let s: E2eServer;
let slapd: Slapd | undefined;
const cleanups: (() => Promise<void>)[] = [];
const contexts: BrowserContext[] = [];
const timings: string[] = [];

before(async () => {
  process.env[LDAP_ENV] = SERVICE_PASSWORD;
  process.env[AD_ENV] = AD_ADMIN_PASSWORD;
  browser = await launchBrowser();
  s = await startE2eServer();
});
after(async () => {
  if (timings.length > 0) console.log(`browser journeys, password step: ${timings.join('; ')}`);
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await s?.close();
  for (const c of cleanups.reverse()) await c();
  await slapd?.stop();
  delete process.env[LDAP_ENV];
  delete process.env[AD_ENV];
});
// every journey's browser, cleared, for the next journey's (harness.ts releaseContexts)
afterEach(() => releaseContexts(contexts));

async function journey(
  kind: string,
  d: DirectoryTenant,
  entry: DirectoryEntry,
  p: {
    old: string;
    /** A password shorter than the directory's minimum, and the rule the page shows for it. */
    short?: { password: string; rule: RegExp };
    refused: string;
    problem: { title: string };
    good: string;
    rules: RegExp;
  },
): Promise<void> {
  const email = `${entry.login}@home.example`;
  const account = await addDirectoryAccount(s.app, d, entry, { email });
  const page = await newPage(browser, contexts);
  await passEmailGate(s, page, account.login, email);
  assert.equal(await h1(page), RESET_PAGE_TEXT.newPassword.title);
  const text = await mainText(page);
  assert.ok(text.includes(RESET_PAGE_TEXT.newPassword.directoryRules), `the directory's rules are shown: ${text}`);
  assert.match(text, p.rules);
  if (p.short) {
    // the field asks for the directory's minimum (minlength), so the browser keeps a shorter one
    // back and says why; nothing is sent (the server's own check is test/directories/openldap-reset)
    assert.match(text, p.short.rule, "the directory's minimum is the page's");
    const posts: string[] = [];
    const onRequest = (r: Request): void => void (r.method() === 'POST' && posts.push(r.url()));
    page.on('request', onRequest);
    const field = page.getByLabel('New password', { exact: true });
    await field.fill(p.short.password);
    await page.getByLabel('Type it again', { exact: true }).fill(p.short.password);
    await page.getByRole('button', { name: 'Change password', exact: true }).click();
    await page.waitForTimeout(500);
    page.off('request', onRequest);
    const validity = await field.evaluate((el: HTMLInputElement) => ({
      tooShort: el.validity.tooShort,
      says: el.validationMessage,
    }));
    assert.equal(validity.tooShort, true, 'the browser holds the password back as too short');
    assert.match(validity.says, /20 characters/, 'and says why, with the minimum');
    assert.deepEqual(posts, [], 'nothing was sent');
    assert.equal(await h1(page), RESET_PAGE_TEXT.newPassword.title, 'still on the new-password step');
    assert.ok((await d.directory.verifyPassword(entry, p.old)).ok, 'nothing changed in the directory');
  }
  const refused = await typePassword(page, p.refused);
  assert.equal(refused.status(), 400);
  assert.equal(await h1(page), RESET_PAGE_TEXT.newPassword.title, 'still on the new-password step');
  assert.ok((await mainText(page)).includes(p.problem.title), `the page says why: ${await mainText(page)}`);
  assert.ok((await d.directory.verifyPassword(entry, p.old)).ok, 'nothing changed in the directory');
  await axeClean(page, `${kind} refused password page`);
  const started = performance.now();
  const done = await typePassword(page, p.good);
  timings.push(`${kind} ${(performance.now() - started).toFixed(0)} ms`);
  assert.equal(done.status(), 303);
  assert.equal(await h1(page), RESET_PAGE_TEXT.completed.title);
  assert.ok((await d.directory.verifyPassword(entry, p.good)).ok, 'the new password binds');
  const old = await d.directory.verifyPassword(entry, p.old);
  assert.equal(!old.ok && old.error, 'wrong_password', 'the old one fails');
}

test('OpenLDAP: a reset by email code writes the password to slapd; the directory refuses one and the page says why; the next works', async () => {
  slapd = await startSlapd({ policy: { pwdMinLength: '20' } });
  addLdapPerson(slapd, { uid: 'robin', name: 'Robin Example', password: 'Quiet-Harbour-Lantern-61' });
  const d = await addDirectoryTenant(s.app, 'ldapjourney', ldapSettings(slapd, LDAP_ENV));
  cleanups.push(() => d.directory.close());
  await journey('openldap', d, await entryOf(d, 'robin'), {
    old: 'Quiet-Harbour-Lantern-61',
    // 18 characters: the tenant's own minimum (15) allows it, the directory's (20) does not
    short: { password: 'amber violet stone', rule: /at least 20 characters/ },
    // the current password: the directory refuses it as used before
    refused: 'Quiet-Harbour-Lantern-61',
    problem: STEP_PROBLEMS.directory_in_history,
    good: 'copper meadow lantern violin',
    rules: /not one of your last 3 passwords/,
  });
});

test('Active Directory: a reset by email code writes unicodePwd; a too-simple password is refused and the page says why; the next works', async () => {
  const dc = await startSambaDc();
  cleanups.push(() => dc.stop());
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const ou = dc.ou(`journey-${tag}`);
  const sam = `robin${tag}`;
  dc.ldapmodify(adUserLdif(ou, { sam, name: 'Robin Example', password: 'Quiet-Harbour-Lantern-62' }));
  const d = await addDirectoryTenant(s.app, 'adjourney', adSettings(dc, ou, AD_ENV));
  cleanups.push(() => d.directory.close());
  await journey('ad', d, await entryOf(d, sam), {
    old: 'Quiet-Harbour-Lantern-62',
    refused: 'violettractorharbourpencil',
    problem: STEP_PROBLEMS.directory_not_complex,
    good: 'Saffron-Glacier-Teapot-9',
    rules: /does not check your earlier passwords on a reset/,
  });
});
