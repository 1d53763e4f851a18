import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { totpCodeAt } from '../../src/core/authenticator.ts';
import {
  axeViolations,
  formatViolations,
  h1,
  launchBrowser,
  mainText,
  newContext,
  passCaptcha,
  screenshot,
  startE2eServer,
  submit,
  type E2eServer,
  releaseContexts,
  signInOverHttp,
} from './harness.ts';

// The authenticator app in Debian's Chromium against a real server (issue 13 item 1): register an
// app in My security info by reading the key from the page and computing its codes here (otpauth,
// as an app would), then reset the password with a code from it as the gate. axe-core scans every
// page; SSPR_SCREENSHOTS=1 writes docs/screenshots/console-security-info-authenticator*.png.

const USER = 'user@contoso.example';
const NEW_PASSWORD = 'copper lantern meadow violin';

let browser: Browser;
let server: E2eServer;
const contexts: BrowserContext[] = [];

/**
 * The server's clock: real time, moved on a day once the app is added beside the email and phone
 * the account had (its cooling-off, core coolingOffUntil: until then it passes no reset gate).
 */
let offset = 0;
/** The app's key, as the first test read it from the page (the next test's app holds it too). */
let appKey = '';
const clock = { now: () => Date.now() + offset };

before(async () => {
  browser = await launchBrowser();
  server = await startE2eServer({}, { clock });
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

async function check(p: Page, label: string, shot?: string): Promise<void> {
  const violations = await axeViolations(p);
  assert.deepEqual(violations, [], formatViolations(`${label} (${p.url()})`, violations));
  if (shot) await screenshot(p, shot);
}

test('register an authenticator app from the key on the page, then reset the password with it as the gate', async () => {
  const p = await page();
  // signed in over HTTP: the sign-in page is not what this is about
  await signInOverHttp(server, p.context(), USER, server.account(USER).password);
  await p.goto(`${server.baseUrl}/account/security`);
  await p.getByRole('link', { name: 'Add an authenticator app' }).click();
  assert.equal(await h1(p), 'Set up an authenticator app');
  await p.getByRole('button', { name: 'Show the QR code' }).click();
  assert.equal(await p.locator('.qr-code svg').count(), 1, 'the QR code, inline SVG');
  const qr = await p.locator('.qr-code svg').boundingBox();
  assert.ok(qr && qr.width > 100 && qr.height > 100, 'the QR code is drawn large enough to scan');
  await check(p, 'authenticator setup', 'console-security-info-authenticator');
  const key = ((await p.locator('#authenticator-key').textContent()) ?? '').replaceAll(/\s/g, '');
  assert.match(key, /^[A-Z2-7]{32}$/, 'the key as text, base32');
  appKey = key;

  // a wrong code first, then the app's code now
  const now = totpCodeAt(key, clock.now());
  await p.getByLabel('Code from the app').fill(now === '000000' ? '000001' : '000000');
  await p.getByRole('button', { name: 'Confirm', exact: true }).click();
  assert.match((await p.getByRole('alert').textContent()) ?? '', /That code did not work/);
  await p.getByLabel('Code from the app').fill(totpCodeAt(key, clock.now()));
  await p.getByRole('button', { name: 'Confirm', exact: true }).click();
  assert.equal(new URL(p.url()).pathname, '/account/security');
  assert.match((await p.getByRole('status').first().textContent()) ?? '', /Your authenticator app is registered/);
  await check(p, 'authenticator registered', 'console-security-info-authenticator-done');
  offset += 24 * 3_600_000 + 60_000;

  // ---- the reset, in a fresh browser
  const r = await page();
  await r.goto(`${server.baseUrl}/reset`);
  await r.getByLabel('User ID', { exact: true }).fill(USER);
  await passCaptcha(r);
  assert.equal((await submit(r, 'Next', '/reset')).status(), 303);
  assert.equal(await h1(r), 'Check your email');
  await submit(r, 'Use a code from my authenticator app', '/reset/flow/use-authenticator');
  assert.equal(await h1(r), 'Enter a code from your authenticator app');
  await check(r, 'authenticator gate', 'reset-authenticator-code');
  // the confirming code's step is used: the app's next step (within the ±1 window) passes
  await r.getByLabel('Code from the app', { exact: true }).fill(totpCodeAt(key, clock.now() + 30_000));
  assert.equal((await submit(r, 'Verify', '/reset/flow/code')).status(), 303);
  assert.equal(await h1(r), 'Choose a new password');
  await r.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await r.getByLabel('Type it again', { exact: true }).fill(NEW_PASSWORD);
  assert.equal((await submit(r, 'Change password', '/reset/flow/password')).status(), 303);
  assert.equal(await h1(r), 'Your password was changed');
  assert.match(await mainText(r), /changed/);
});

test("a tenant's gate policy: users pass two gates, the email and then the authenticator app (no SMS)", async () => {
  // the user registered an app in the test above; the tenant now asks users for 2 gates: the email, then the app
  const account = (await server.app.store.directory.findAccountByLogin(USER))!;
  const tenant = (await server.app.store.directory.getTenant(account.tenantId))!;
  const policy = {
    ...tenant.policy,
    gates: {
      ...tenant.policy.gates,
      users: { methods: ['email', 'totp'] as const, count: 2 as const, passkeyRequired: false },
    },
  };
  await server.app.store.directory.updateTenantPolicy(tenant.id, policy, clock.now());
  const key = appKey;
  offset += 90_000; // the app's next codes: later steps than the one the first reset used
  const r = await page();
  await r.goto(`${server.baseUrl}/reset`);
  await r.getByLabel('User ID', { exact: true }).fill(USER);
  await passCaptcha(r);
  const before = (await server.outbox()).map((m) => m.id);
  assert.equal((await submit(r, 'Next', '/reset')).status(), 303);
  assert.equal(await h1(r), 'Check your email');
  const mail = await server.waitForMessage({ to: 'user@personal.example', channel: 'email', notIds: before });
  const code = /\b(\d{6})\b/.exec(mail.text)![1]!;
  await r.getByLabel('Security code', { exact: true }).fill(code);
  assert.equal((await submit(r, 'Verify', '/reset/flow/code')).status(), 303);
  // the second gate is the app: no text message offered instead
  assert.equal(await h1(r), 'Enter a code from your authenticator app');
  assert.match(await mainText(r), /Step 2 of 2/);
  assert.equal(await r.getByRole('button', { name: /Text my phone/ }).count(), 0, 'no SMS instead');
  await check(r, 'policy: app as the second gate', 'reset-policy-second-gate-app');
  await r.getByLabel('Code from the app', { exact: true }).fill(totpCodeAt(key, clock.now()));
  const passed = await submit(r, 'Verify', '/reset/flow/code');
  assert.equal(passed.status(), 303, await mainText(r));
  assert.equal(await h1(r), 'Choose a new password');
  await r.getByLabel('New password', { exact: true }).fill(`${NEW_PASSWORD} two`);
  await r.getByLabel('Type it again', { exact: true }).fill(`${NEW_PASSWORD} two`);
  assert.equal((await submit(r, 'Change password', '/reset/flow/password')).status(), 303);
  assert.equal(await h1(r), 'Your password was changed');
  await server.app.store.directory.updateTenantPolicy(tenant.id, tenant.policy, clock.now());
});
