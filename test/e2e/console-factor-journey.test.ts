import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { passSecondStepInPage } from '../helpers/console-factor-kit.ts';
import { totpCodeAt } from '../../src/core/authenticator.ts';
import {
  addVirtualAuthenticator,
  axeViolations,
  formatViolations,
  h1,
  launchBrowser,
  newContext,
  screenshot,
  startE2eServer,
  submit,
  type E2eServer,
  releaseContexts,
} from './harness.ts';

// The consoles' second factor in Debian's Chromium (issue 13 item 4): an administrator's first
// sign-in registers an authenticator app (QR code, key, first code) and is shown ten recovery
// codes; a later sign-in passes the second step with a recovery code; after registering a
// passkey in My security info, one passes it with the passkey (a virtual authenticator through
// the DevTools protocol). Then the regeneration form of My security info: ten new codes shown once,
// an old one refused, a new one accepted. axe-core scans each page; SSPR_SCREENSHOTS=1 writes
// docs/screenshots/console-second-step.png, console-factor-setup.png, console-recovery-codes.png,
// console-recovery-codes-regenerated.png.

const ADMIN = 'admin2@contoso.example';

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

let virtual: { cdp: CDPSession; authenticatorId: string } | null = null;

async function pageWithAuthenticator(): Promise<Page> {
  const c = await newContext(browser);
  contexts.push(c);
  const p = await c.newPage();
  virtual = await addVirtualAuthenticator(p);
  return p;
}

async function check(p: Page, label: string, shot?: string): Promise<void> {
  const violations = await axeViolations(p);
  assert.deepEqual(violations, [], formatViolations(`${label} (${p.url()})`, violations));
  if (shot) await screenshot(p, shot);
}

async function password(p: Page): Promise<void> {
  await p.goto(`${server.baseUrl}/signin?next=%2Fadmin`);
  await p.getByLabel('User ID').fill(ADMIN);
  await p.getByLabel('Password', { exact: true }).fill(server.account(ADMIN).password);
  assert.equal((await submit(p, 'Sign in', '/signin')).status(), 303);
}

test('first sign-in registers an authenticator app and shows recovery codes; later a recovery code and a passkey pass the second step; new codes replace the old', async () => {
  // 1. the first sign-in: no second factor yet, so the registration
  const p = await pageWithAuthenticator();
  await password(p);
  assert.equal(new URL(p.url()).pathname, '/signin/second-factor/setup');
  assert.equal(await h1(p), 'Set up the second step');
  await check(p, 'console factor setup (start)');
  assert.equal((await submit(p, 'Set up an authenticator app', '/signin/second-factor/setup')).status(), 303);
  assert.equal(await p.locator('.qr-code svg').count(), 1, 'the QR code');
  await check(p, 'console factor setup', 'console-factor-setup');
  const key = ((await p.locator('#authenticator-key').textContent()) ?? '').replaceAll(' ', '');
  await p.getByLabel('Code from your authenticator app').fill(totpCodeAt(key, Date.now()));
  assert.equal((await submit(p, 'Confirm and sign in', '/signin/second-factor/setup/confirm')).status(), 200);
  assert.equal(await h1(p), 'Your recovery codes');
  const codes = await p.locator('#recovery-codes code').allTextContents();
  assert.equal(codes.length, 10);
  await check(p, 'recovery codes', 'console-recovery-codes');
  await Promise.all([p.waitForEvent('load'), p.getByRole('link', { name: 'I saved them. Continue' }).click()]);
  assert.equal(new URL(p.url()).pathname, '/admin');
  assert.equal(await h1(p), 'Users');

  // 2. a passkey registered in My security info (the same virtual authenticator)
  await p.goto(`${server.baseUrl}/account/security`);
  await p.getByRole('link', { name: 'Add a passkey' }).click();
  await p.getByLabel('Name (optional)').fill('Console key');
  assert.equal((await submit(p, 'Create a passkey', '/account/security/passkeys')).status(), 303);
  await p.context().clearCookies(); // a new browser session (the passkey stays on the authenticator)

  // 3. a sign-in with a recovery code (say the phone is lost)
  await password(p);
  assert.equal(new URL(p.url()).pathname, '/signin/second-factor');
  assert.equal(await h1(p), 'Second step');
  await check(p, 'second step', 'console-second-step');
  await p.getByLabel('Recovery code').fill(codes[0]!);
  assert.equal((await submit(p, 'Sign in with the recovery code', '/signin/second-factor/recovery')).status(), 303);
  assert.equal(new URL(p.url()).pathname, '/admin');
  await p.context().clearCookies(); // a new browser session (the passkey stays on the authenticator)

  // 4. the same code again: refused
  await password(p);
  await p.getByLabel('Recovery code').fill(codes[0]!);
  assert.equal((await submit(p, 'Sign in with the recovery code', '/signin/second-factor/recovery')).status(), 400);
  assert.match((await p.getByRole('alert').textContent()) ?? '', /used already/);

  // 5. the passkey: the browser asks the virtual authenticator, the page posts its answer
  const posted = p.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/signin/second-factor/passkey',
  );
  const loaded = p.waitForEvent('load');
  await p.getByRole('button', { name: 'Use your passkey' }).click();
  assert.equal((await posted).status(), 303);
  await loaded;
  assert.equal(new URL(p.url()).pathname, '/admin');

  // 6. new recovery codes from My security info: shown once, the old ones stop working
  await p.goto(`${server.baseUrl}/account/security`);
  assert.match(await p.locator('#recovery-heading').locator('..').innerText(), /Recovery codes left: 9/);
  assert.equal((await submit(p, 'New recovery codes', '/admin/recovery-codes')).status(), 200);
  assert.equal(await h1(p), 'Your recovery codes');
  const fresh = await p.locator('#recovery-codes code').allTextContents();
  assert.equal(fresh.length, 10);
  assert.equal(fresh.filter((c) => codes.includes(c)).length, 0, 'all new');
  await check(p, 'recovery codes regenerated', 'console-recovery-codes-regenerated');
  await p.goto(`${server.baseUrl}/account/security`);
  const section = await p.locator('#recovery-heading').locator('..').innerText();
  assert.match(section, /Recovery codes left: 10/);
  assert.ok(!fresh.some((c) => section.includes(c)), 'shown only once');
  await p.context().clearCookies();
  await password(p);
  await p.getByLabel('Recovery code').fill(codes[1]!);
  assert.equal((await submit(p, 'Sign in with the recovery code', '/signin/second-factor/recovery')).status(), 400);
  assert.match((await p.getByRole('alert').textContent()) ?? '', /not right, or it was used already/);
  await p.getByLabel('Recovery code').fill(fresh[0]!);
  assert.equal((await submit(p, 'Sign in with the recovery code', '/signin/second-factor/recovery')).status(), 303);
  assert.equal(new URL(p.url()).pathname, '/admin');

  const events = (await server.app.store.audit.list({ limit: 300 })).map((e) => `${e.type}:${e.outcome}`);
  for (const e of [
    'console.recovery_codes_issued:regenerated',
    'console.factor_registered:authenticator',
    'console.recovery_codes_issued:ok',
    'console.second_factor_passed:recovery_code',
    'console.second_factor_passed:passkey',
    'console.recovery_code_used:ok',
  ]) {
    assert.ok(events.includes(e), e);
  }

  // 7. a Technical Support operator, in the same browser: registers a passkey on the support
  // console's security page and passes the support console's second step with it. The admin's
  // passkey is taken off the virtual authenticator first, so the browser has the operator's alone
  // to offer (with two it would ask which one)
  const added = await server.app.operators.add({
    login: OPERATOR,
    displayName: 'Sam Support',
    password: OPERATOR_PASSWORD,
    actor: 'test',
  });
  assert.ok(added.ok);
  await virtual!.cdp.send('WebAuthn.clearCredentials', { authenticatorId: virtual!.authenticatorId });
  await p.context().clearCookies();
  await operatorPassword(p);
  await passSecondStepInPage(server.app, p, OPERATOR); // the first time: the authenticator app
  assert.equal(new URL(p.url()).pathname, '/support');
  await p.getByRole('link', { name: 'Sign-in security' }).click();
  await p.waitForURL(/\/support\/security$/);
  assert.equal(await h1(p), 'Sign-in security');
  await check(p, 'support sign-in security', 'support-security');
  await p.getByRole('link', { name: 'Add a passkey' }).click();
  await p.waitForURL(/\/support\/security\/passkeys$/);
  await check(p, 'support add a passkey', 'support-passkey-add');
  await p.getByLabel('Name (optional)').fill('Support desk key');
  assert.equal((await submit(p, 'Create a passkey', '/support/security/passkeys')).status(), 303);
  assert.match(await p.getByRole('status').first().innerText(), /Your passkey is registered/);
  assert.match(await p.locator('.passkey-list').innerText(), /Support desk key/);
  const { credentials } = await virtual!.cdp.send('WebAuthn.getCredentials', {
    authenticatorId: virtual!.authenticatorId,
  });
  assert.equal(credentials.length, 1, "the operator's passkey is on the authenticator");
  assert.equal(Buffer.from(credentials[0]!.userHandle!, 'base64').toString(), added.value.id);

  await p.context().clearCookies(); // a new browser session
  await operatorPassword(p);
  assert.equal(new URL(p.url()).pathname, '/support/second-factor');
  await check(p, 'support second step with a passkey', 'support-second-step-passkey');
  const postedKey = p.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/support/second-factor/passkey',
  );
  const arrived = p.waitForEvent('load');
  await p.getByRole('button', { name: 'Use your passkey' }).click();
  assert.equal((await postedKey).status(), 303);
  await arrived;
  assert.equal(new URL(p.url()).pathname, '/support');
  assert.equal(await h1(p), 'Support tickets');
  const after = (await server.app.store.audit.list({ limit: 50 })).filter(
    (e) => e.actor === `operator:${added.value.id}`,
  );
  assert.ok(after.some((e) => e.type === 'console.factor_registered' && e.outcome === 'passkey'));
  assert.ok(after.some((e) => e.type === 'console.second_factor_passed' && e.outcome === 'passkey'));
});

const OPERATOR = 'sam.support';
const OPERATOR_PASSWORD = 'granite pelican orchard breeze';

async function operatorPassword(p: Page): Promise<void> {
  await p.goto(`${server.baseUrl}/support/signin`);
  await p.getByLabel('Operator login').fill(OPERATOR);
  await p.getByLabel('Password', { exact: true }).fill(OPERATOR_PASSWORD);
  assert.equal((await submit(p, 'Sign in', '/support/signin')).status(), 303);
}
