import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  axeViolations,
  codeIn,
  formatViolations,
  launchBrowser,
  newContext,
  screenshot,
  startE2eServer,
  type E2eServer,
  h1,
  releaseContexts,
  signInOverHttp,
} from './harness.ts';

// "My security info" in Debian's Chromium against a real server (SQLite, outbox worker, dev
// outbox): sign in, change the alternate email and the mobile phone with the codes read from
// /dev/outbox.json, and re-confirm a stale method after the sign-in prompt. axe-core scans every
// page; SSPR_SCREENSHOTS=1 writes docs/screenshots/console-security-info*.png.

const USER = 'user@contoso.example';
const NEW_MAIL = 'casey.new@elsewhere.example';
const NEW_PHONE = '+15555550177';
const DAY = 86_400_000;

let browser: Browser;
let server: E2eServer;
const contexts: BrowserContext[] = [];

before(async () => {
  browser = await launchBrowser();
  server = await startE2eServer();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.close();
});
// every journey's browsers, cleared, for the next journey's (harness.ts releaseContexts)
afterEach(() => releaseContexts(contexts));

async function page(): Promise<Page> {
  const c = await newContext(browser);
  contexts.push(c);
  return c.newPage();
}

/** axe-core finds nothing on the page as it is now; then, optionally, a screenshot. */
async function check(p: Page, label: string, shot?: string): Promise<void> {
  const violations = await axeViolations(p);
  assert.deepEqual(violations, [], formatViolations(`${label} (${p.url()})`, violations));
  if (shot) await screenshot(p, shot);
}

/**
 * Signs in over HTTP (the sign-in page is not what this file is about: harness.ts signInOverHttp,
 * an administrator's second step included), then opens the page the sign-in led to.
 */
async function signIn(p: Page, login: string): Promise<void> {
  await p.goto(`${server.baseUrl}${await signInOverHttp(server, p.context(), login, server.account(login).password)}`);
}

async function ids(): Promise<string[]> {
  return (await server.outbox()).map((m) => m.id);
}

test('register and confirm both methods: change the alternate email and the mobile phone with codes sent to them', async () => {
  const p = await page();
  await signIn(p, USER);
  assert.equal(new URL(p.url()).pathname, '/account');
  await check(p, 'account home');

  await p.getByRole('link', { name: 'Manage security info' }).click();
  assert.equal(await h1(p), 'Security info');
  await check(p, 'security info', 'console-security-info');

  // ---- the alternate email
  await p.getByRole('link', { name: 'Change alternate email' }).click();
  assert.equal(await h1(p), 'Change your alternate email');
  await p.getByLabel('Alternate email address').fill('not an email');
  // the browser's own validation stops type=email: submit past it to see the server's answer
  await p.locator('form.reset-form').evaluate((f: HTMLFormElement) => f.setAttribute('novalidate', ''));
  await p.getByRole('button', { name: 'Send code' }).click();
  assert.match((await p.getByRole('alert').textContent()) ?? '', /Check the email address/);
  await check(p, 'email form with a problem', 'console-security-info-email-problem');
  let before = await ids();
  await p.getByLabel('Alternate email address').fill(NEW_MAIL);
  await check(p, 'email form', 'console-security-info-email');
  await p.getByRole('button', { name: 'Send code' }).click();
  assert.equal(await h1(p), 'Enter the code');
  assert.match((await p.locator('main').textContent()) ?? '', /c••••@elsewhere\.example/);
  await check(p, 'email code', 'console-security-info-confirm');
  const mail = await server.waitForMessage({ to: NEW_MAIL, channel: 'email', notIds: before });
  const code = codeIn(mail);
  await p.getByLabel('Security code').fill(code === '000000' ? '000001' : '000000');
  await p.getByRole('button', { name: 'Confirm', exact: true }).click();
  assert.match((await p.getByRole('alert').textContent()) ?? '', /Invalid Security Code/);
  await check(p, 'wrong code', 'console-security-info-invalid-code');
  await p.getByLabel('Security code').fill(code);
  await p.getByRole('button', { name: 'Confirm', exact: true }).click();
  assert.equal(new URL(p.url()).pathname, '/account/security');
  assert.match((await p.getByRole('status').first().textContent()) ?? '', /Your alternate email was confirmed/);
  assert.match((await p.locator('main').textContent()) ?? '', /c••••@elsewhere\.example/);
  await check(p, 'email confirmed', 'console-security-info-done');
  const notice = await server.waitForMessage({
    to: 'user@personal.example',
    channel: 'email',
    notIds: before,
    containing: 'Alternate email address for password reset changed',
  });
  assert.match(notice.text, /c••••@elsewhere\.example/, 'the old address was told, with the new one masked');

  // ---- the mobile phone
  before = await ids();
  await p.getByRole('link', { name: 'Change mobile phone' }).click();
  assert.equal(await h1(p), 'Change your mobile phone');
  await p.getByLabel('Mobile phone number').fill('+1 555 555 0177');
  await check(p, 'phone form', 'console-security-info-phone');
  await p.getByRole('button', { name: 'Send code' }).click();
  assert.equal(await h1(p), 'Enter the code');
  const sms = await server.waitForMessage({ to: NEW_PHONE, channel: 'sms', notIds: before });
  await p.getByLabel('Security code').fill(codeIn(sms));
  await check(p, 'phone code');
  await p.getByRole('button', { name: 'Confirm', exact: true }).click();
  assert.match((await p.getByRole('status').first().textContent()) ?? '', /Your mobile phone was confirmed/);
  assert.match((await p.locator('main').textContent()) ?? '', /••• ••• ••77/);
  await check(p, 'phone confirmed', 'console-security-info-both');

  const account = await server.app.store.directory.findAccountByLogin(USER);
  const methods = await server.app.store.directory.listMethods(account!.id);
  assert.deepEqual(
    methods.map((m) => [m.kind, m.value, m.verifiedAt !== null]),
    [
      ['email', NEW_MAIL, true],
      ['phone', NEW_PHONE, true],
    ],
  );
});

test('re-confirmation after sign-in: "Still correct? Confirm" sends a code to the method on file', async () => {
  const login = 'admin2@contoso.example';
  const account = await server.app.store.directory.findAccountByLogin(login);
  const email = (await server.app.store.directory.listMethods(account!.id)).find((m) => m.kind === 'email')!;
  const stale = Date.now() - 200 * DAY;
  await server.app.store.directory.setMethod(account!.id, 'email', email.value, stale, stale);

  const p = await page();
  await signIn(p, login);
  assert.equal(new URL(p.url()).pathname + new URL(p.url()).search, '/account/security?review=1');
  assert.match((await p.locator('main').textContent()) ?? '', /Is your security info still correct\?/);
  await check(p, 'review prompt', 'console-security-info-review');
  const before = await ids();
  await p.getByRole('button', { name: 'Still correct? Confirm: alternate email' }).click();
  assert.equal(await h1(p), 'Enter the code');
  const mail = await server.waitForMessage({ to: email.value, channel: 'email', notIds: before });
  await p.getByLabel('Security code').fill(codeIn(mail));
  await p.getByRole('button', { name: 'Confirm', exact: true }).click();
  assert.match((await p.getByRole('status').first().textContent()) ?? '', /Your alternate email was confirmed/);
  await check(p, 'reconfirmed');
  await p.goto(`${server.baseUrl}/account`);
  assert.equal(new URL(p.url()).pathname, '/account', 'not prompted again');
  const renewed = (await server.app.store.directory.listMethods(account!.id)).find((m) => m.kind === 'email')!;
  assert.ok(renewed.verifiedAt !== null && renewed.verifiedAt > stale + 199 * DAY);
});
