import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  axeViolations,
  formatViolations,
  launchBrowser,
  newContext,
  screenshot,
  startE2eServer,
  type AxeViolationSummary,
  type E2eServer,
  releaseContexts,
  signInOverHttp,
} from './harness.ts';

// The admin console in Debian's Chromium against a real server: an admin signs in, resets a
// user's password by link (the user opens it and sets a password) and by temporary password (the
// user signs in with it and is forced to change it). Every console page is scanned with axe-core.

const ADMIN = 'admin@contoso.example';
const USER = 'user@contoso.example';
const USER_EMAIL = 'user@personal.example';

let browser: Browser;
let s: E2eServer;
const contexts: BrowserContext[] = [];
const scans: { label: string; violations: readonly AxeViolationSummary[] }[] = [];

before(async () => {
  browser = await launchBrowser();
  s = await startE2eServer();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await s?.close();
});
// every journey's browsers, cleared, for the next journey's (harness.ts releaseContexts)
afterEach(() => releaseContexts(contexts));

async function page(): Promise<Page> {
  const c = await newContext(browser);
  contexts.push(c);
  return c.newPage();
}

async function seen(p: Page, label: string, shot?: string): Promise<void> {
  scans.push({ label, violations: await axeViolations(p) });
  if (shot) await screenshot(p, shot);
}

/**
 * Signs in over HTTP (the sign-in page is not what this file is about: harness.ts signInOverHttp,
 * the administrator's second step included), then opens the page the sign-in led to.
 */
async function signIn(p: Page, login: string, password: string): Promise<void> {
  await p.goto(`${s.baseUrl}${await signInOverHttp(s, p.context(), login, password)}`);
}

async function userId(login: string): Promise<string> {
  return (await s.app.store.directory.findAccountByLogin(login))!.id;
}

test('admin console: users, user detail, assisted reset by link, the user sets a password', async () => {
  const admin = await page();
  await signInOverHttp(s, admin.context(), ADMIN, s.account(ADMIN).password);
  await admin.goto(`${s.baseUrl}/admin`);
  assert.equal(await admin.locator('h1').textContent(), 'Users');
  await seen(admin, 'users list', 'console-users');
  await admin.getByLabel('Role').selectOption('user');
  await Promise.all([admin.waitForNavigation(), admin.getByRole('button', { name: 'Filter' }).click()]);
  assert.match(admin.url(), /role=user/);
  await seen(admin, 'users list (filtered)');
  await Promise.all([admin.waitForNavigation(), admin.getByRole('link', { name: 'Casey User' }).click()]);
  assert.equal(await admin.locator('h1').textContent(), 'Casey User');
  await seen(admin, 'user detail', 'console-user-detail');

  const before = (await s.outbox()).map((m) => m.id);
  await Promise.all([admin.waitForNavigation(), admin.getByRole('button', { name: 'Send a reset link' }).click()]);
  assert.match((await admin.locator('.success').textContent()) ?? '', /one-time reset link was sent/);
  await seen(admin, 'user detail after link sent');
  const mail = await s.waitForMessage({
    to: USER_EMAIL,
    channel: 'email',
    notIds: before,
    containing: '/reset/assisted?t=',
  });
  const link = /https?:\/\/\S+\/reset\/assisted\?t=[A-Za-z0-9_-]+/.exec(mail.text)![0];

  const person = await page();
  await person.goto(link);
  assert.equal(await person.locator('h1').textContent(), 'Reset your password');
  await seen(person, 'assisted link: continue', 'console-assisted-continue');
  await Promise.all([person.waitForNavigation(), person.getByRole('button', { name: 'Continue' }).click()]);
  assert.match(person.url(), /\/reset\/assisted\/password$/, 'no token in the URL any more');
  await seen(person, 'assisted link: new password', 'console-assisted-password');
  await person.getByLabel('New password').fill('amber lighthouse cactus violin');
  await person.getByLabel('Type it again').fill('amber lighthouse cactus violin');
  await Promise.all([person.waitForNavigation(), person.getByRole('button', { name: 'Change password' }).click()]);
  assert.equal(await person.locator('h1').textContent(), 'Your password was changed');
  await seen(person, 'assisted link: done');
  await signIn(person, USER, 'amber lighthouse cactus violin');
  assert.match(person.url(), /\/account$/);
});

test('admin console: temporary password, shown once; the user must change it at sign-in', async () => {
  const admin = await page();
  await signInOverHttp(s, admin.context(), ADMIN, s.account(ADMIN).password);
  await admin.goto(`${s.baseUrl}/admin/users/${await userId(USER)}`);
  await Promise.all([
    admin.waitForNavigation(),
    admin.getByRole('link', { name: 'Set a temporary password…' }).click(),
  ]);
  await seen(admin, 'temporary password: confirm', 'console-temp-confirm');
  await Promise.all([
    admin.waitForNavigation(),
    admin.getByRole('button', { name: 'Yes, set a temporary password' }).click(),
  ]);
  const temp = (await admin.locator('#temp-password').textContent())!.trim();
  assert.match(temp, /^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3,}$/);
  await seen(admin, 'temporary password: shown once');
  if (process.env.SSPR_SCREENSHOTS === '1') {
    // the screenshot must not carry a working password: show a placeholder of the same shape
    await admin.locator('#temp-password').evaluate((el) => (el.textContent = 'XXXXX-XXXXX-XXXXX-XXXXX'));
    await screenshot(admin, 'console-temp-password');
  }

  const person = await page();
  await signIn(person, USER, temp);
  assert.match(person.url(), /\/account\/password$/, 'forced change');
  await person.getByLabel('Current password').fill(temp);
  await person.getByLabel('New password').fill('walnut compass thunder opal');
  await person.getByLabel('Type it again').fill('walnut compass thunder opal');
  await Promise.all([person.waitForNavigation(), person.getByRole('button', { name: 'Change password' }).click()]);
  assert.match(person.url(), /\/account\?changed=1$/);

  await admin.goto(`${s.baseUrl}/admin/policy`);
  assert.equal(await admin.locator('h1').textContent(), 'Password reset policy');
  await seen(admin, 'policy', 'console-policy');
  await admin.getByLabel('Minimum password length').fill('3');
  await Promise.all([admin.waitForNavigation(), admin.getByRole('button', { name: 'Save policy' }).click()]);
  assert.match((await admin.locator('#problem').textContent()) ?? '', /Minimum password length/);
  await seen(admin, 'policy with problems');

  // Users → Add an account: a problem is shown next to its field, then the account is added
  await admin.goto(`${s.baseUrl}/admin`);
  await Promise.all([admin.waitForNavigation(), admin.getByRole('link', { name: 'Add an account' }).click()]);
  assert.equal(await admin.locator('h1').textContent(), 'Add an account');
  await seen(admin, 'add an account', 'console-add-account');
  await admin.getByLabel('User ID', { exact: true }).fill('new.hire@elsewhere.example');
  await admin.getByLabel('Name', { exact: true }).fill('New Hire');
  await Promise.all([admin.waitForNavigation(), admin.getByRole('button', { name: 'Add account' }).click()]);
  assert.match((await admin.locator('#login-problem').textContent()) ?? '', /must end in @contoso\.example/);
  await seen(admin, 'add an account with problems');
  await admin.getByLabel('User ID', { exact: true }).fill('new.hire@contoso.example');
  await Promise.all([admin.waitForNavigation(), admin.getByRole('button', { name: 'Add account' }).click()]);
  assert.match(admin.url(), /\/admin\/users\/[A-Za-z0-9-]+\?done=created$/);
  assert.equal((await s.app.store.directory.findAccountByLogin('new.hire@contoso.example'))?.displayName, 'New Hire');

  const user = await page();
  await signIn(user, USER, 'walnut compass thunder opal');
  const res = await user.goto(`${s.baseUrl}/admin`);
  assert.equal(res?.status(), 403);
  await seen(user, 'console forbidden', 'console-forbidden');
});

test('axe-core finds no violations on the console pages', () => {
  assert.ok(scans.length >= 10, `scanned ${scans.length} pages`);
  const bad = scans.filter((x) => x.violations.length > 0);
  assert.equal(bad.length, 0, bad.map((x) => formatViolations(x.label, x.violations)).join('\n'));
});
