// A person whose password lives in the organisation's directory resets it in Chromium, once per
// kind: a real slapd (ppolicy) and a real Samba AD DC. The email code opens the new-password page,
// which shows the directory's rules; the directory refuses the first password and the page says why
// (still on the same step); the second is written: it binds, the old one fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { RESET_PAGE_TEXT, STEP_PROBLEMS } from '../../src/core/ui-text.ts';
import type { DirectoryEntry } from '../../src/ports/external-directory.ts';
import {
  addDirectoryAccount,
  addDirectoryTenant,
  entryOf,
  type DirectoryTenant,
} from '../directories/directory-reset-kit.ts';
import { PEOPLE_DN, POLICY_DN, SERVICE_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from '../directories/slapd.ts';
import { AD_ADMIN_DN, AD_ADMIN_PASSWORD, AD_TLS_NAME, adUserLdif, startSambaDc } from '../directories/samba.ts';
import {
  axeViolations,
  codeIn,
  formatViolations,
  launchBrowser,
  newContext,
  startE2eServer,
  type E2eServer,
} from './harness.ts';

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

async function h1(page: Page): Promise<string> {
  return ((await page.locator('h1').first().textContent()) ?? '').trim();
}

async function mainText(page: Page): Promise<string> {
  return (await page.locator('main').innerText()).replace(/\s+/g, ' ');
}

async function submit(page: Page, button: string, pathname: string): Promise<Response> {
  const response = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === pathname,
  );
  const loaded = page.waitForEvent('load');
  await page.getByRole('button', { name: button, exact: true }).click();
  const answer = await response;
  await loaded;
  return answer;
}

/** /reset → user ID → CAPTCHA (solved by the widget) → Next → the email's code → the new-password page. */
async function toNewPassword(page: Page, login: string, email: string): Promise<void> {
  const before = (await s.outbox()).map((m) => m.id);
  await page.goto(`${s.baseUrl}/reset`);
  await page.getByLabel('User ID', { exact: true }).fill(login);
  const widget = page.locator('altcha-widget');
  const auto = (await widget.getAttribute('auto')) ?? 'off';
  if (auto === 'off') await widget.locator('label').first().click();
  if (auto !== 'onsubmit') await page.locator('input[name="altcha"][value]').first().waitFor({ state: 'attached' });
  assert.equal((await submit(page, 'Next', '/reset')).status(), 303);
  const message = await s.waitForMessage({ to: email, channel: 'email', containing: 'reset code', notIds: before });
  await page.getByLabel('Security code', { exact: true }).fill(codeIn(message));
  assert.equal((await submit(page, 'Verify', '/reset/flow/code')).status(), 303);
  assert.equal(await h1(page), RESET_PAGE_TEXT.newPassword.title);
}

async function typePassword(page: Page, password: string): Promise<Response> {
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Type it again', { exact: true }).fill(password);
  return submit(page, 'Change password', '/reset/flow/password');
}

async function journey(
  kind: string,
  d: DirectoryTenant,
  entry: DirectoryEntry,
  p: { old: string; refused: string; problem: { title: string }; good: string; rules: RegExp },
): Promise<void> {
  const email = `${entry.login}@home.example`;
  const account = await addDirectoryAccount(s.app, d, entry, { email });
  const c = await newContext(browser);
  contexts.push(c);
  const page = await c.newPage();
  await toNewPassword(page, account.login, email);
  const text = await mainText(page);
  assert.ok(text.includes(RESET_PAGE_TEXT.newPassword.directoryRules), `the directory's rules are shown: ${text}`);
  assert.match(text, p.rules);
  const refused = await typePassword(page, p.refused);
  assert.equal(refused.status(), 400);
  assert.equal(await h1(page), RESET_PAGE_TEXT.newPassword.title, 'still on the new-password step');
  assert.ok((await mainText(page)).includes(p.problem.title), `the page says why: ${await mainText(page)}`);
  assert.ok((await d.directory.verifyPassword(entry, p.old)).ok, 'nothing changed in the directory');
  const violations = await axeViolations(page);
  assert.equal(violations.length, 0, formatViolations(`${kind} refused password page`, violations));
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
  slapd = await startSlapd();
  slapd.ldapmodify(
    `dn: uid=robin,${PEOPLE_DN}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: robin\ncn: Robin Example\nsn: Example\nuserPassword: Quiet-Harbour-Lantern-61\n`,
  );
  const d = await addDirectoryTenant(s.app, 'ldapjourney', {
    kind: 'ldap',
    urls: [slapd.ldapsUrl],
    caFile: slapd.caFile,
    bindDn: SERVICE_DN,
    bindPassword: `env:${LDAP_ENV}`,
    baseDn: PEOPLE_DN,
    passwordPolicyDn: POLICY_DN,
    syncIntervalMinutes: 0,
  });
  cleanups.push(() => d.directory.close());
  await journey('openldap', d, await entryOf(d, 'robin'), {
    old: 'Quiet-Harbour-Lantern-61',
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
  const d = await addDirectoryTenant(s.app, 'adjourney', {
    kind: 'ad',
    urls: [dc.ldapsUrl],
    caFile: path.join(dc.dir, 'private', 'tls', 'ca.pem'),
    tlsServerName: AD_TLS_NAME,
    bindDn: AD_ADMIN_DN,
    bindPassword: `env:${AD_ENV}`,
    baseDn: ou,
    emailAttribute: 'otherMailbox',
    syncIntervalMinutes: 0,
  });
  cleanups.push(() => d.directory.close());
  await journey('ad', d, await entryOf(d, sam), {
    old: 'Quiet-Harbour-Lantern-62',
    refused: 'violettractorharbourpencil',
    problem: STEP_PROBLEMS.directory_not_complex,
    good: 'Saffron-Glacier-Teapot-9',
    rules: /does not check your earlier passwords on a reset/,
  });
});
