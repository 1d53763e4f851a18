import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import {
  addVirtualAuthenticator,
  axeViolations,
  codeIn,
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

// Passkeys in Debian's Chromium against a real server (issue 13 item 2), with a virtual
// authenticator through the DevTools protocol (WebAuthn.addVirtualAuthenticator: CTAP2, internal,
// resident keys, user verification): register a passkey in My security info, then reset the
// password with it as the gate (in a fresh browser holding the same passkey); and an admin whose
// tenant requires a passkey of its admins. axe-core scans each page; SSPR_SCREENSHOTS=1 writes
// docs/screenshots/console-security-info-passkey*.png and reset-passkey*.png.

const NEW_PASSWORD = 'copper lantern meadow violin';

let browser: Browser;
let server: E2eServer;
const contexts: BrowserContext[] = [];

/**
 * The server's clock: real time, moved on a day once a passkey is added beside the email and phone
 * the account had (its cooling-off, core coolingOffUntil: until then it passes no reset gate).
 */
let offset = 0;
const A_DAY_LATER = 24 * 3_600_000 + 60_000;

before(async () => {
  browser = await launchBrowser();
  server = await startE2eServer({}, { clock: { now: () => Date.now() + offset } });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.close();
});
// every journey's browsers, cleared, for the next journey's (harness.ts releaseContexts)
afterEach(() => releaseContexts(contexts));

/** A page in a new browser context with a virtual platform authenticator (user verified). */
async function pageWithAuthenticator(): Promise<{ p: Page; cdp: CDPSession; authenticatorId: string }> {
  const c = await newContext(browser);
  contexts.push(c);
  const p = await c.newPage();
  return { p, ...(await addVirtualAuthenticator(p)) };
}

async function check(p: Page, label: string, shot?: string): Promise<void> {
  const violations = await axeViolations(p);
  assert.deepEqual(violations, [], formatViolations(`${label} (${p.url()})`, violations));
  if (shot) await screenshot(p, shot);
}

/**
 * Signs in over HTTP (the sign-in page is not what this file is about: harness.ts signInOverHttp,
 * an administrator's second step included); registerPasskey() then opens My security info.
 */
async function signIn(p: Page, login: string): Promise<void> {
  await signInOverHttp(server, p.context(), login, server.account(login).password);
}

/** Registers a passkey in My security info; the virtual authenticator then holds its credential. */
async function registerPasskey(p: Page, name: string, shot?: string): Promise<void> {
  await p.goto(`${server.baseUrl}/account/security`);
  await p.getByRole('link', { name: 'Add a passkey' }).click();
  assert.equal(await h1(p), 'Add a passkey');
  await p.getByLabel('Name (optional)').fill(name);
  if (shot) await check(p, 'passkey registration', shot);
  const response = await submit(p, 'Create a passkey', '/account/security/passkeys');
  assert.equal(response.status(), 303);
  assert.equal(new URL(p.url()).pathname, '/account/security');
  assert.match((await p.getByRole('status').first().textContent()) ?? '', /Your passkey is registered/);
  assert.match(await mainText(p), new RegExp(name));
}

async function startReset(r: Page, login: string): Promise<void> {
  await r.goto(`${server.baseUrl}/reset`);
  await r.getByLabel('User ID', { exact: true }).fill(login);
  await passCaptcha(r);
  assert.equal((await submit(r, 'Next', '/reset')).status(), 303);
  assert.equal(await h1(r), 'Check your email');
}

async function newPassword(r: Page): Promise<void> {
  assert.equal(await h1(r), 'Choose a new password');
  await r.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await r.getByLabel('Type it again', { exact: true }).fill(NEW_PASSWORD);
  assert.equal((await submit(r, 'Change password', '/reset/flow/password')).status(), 303);
  assert.equal(await h1(r), 'Your password was changed');
}

/** The passkey of one virtual authenticator copied into another (a passkey synced to another browser). */
async function copyPasskeys(
  from: { cdp: CDPSession; authenticatorId: string },
  to: { cdp: CDPSession; authenticatorId: string },
) {
  const { credentials } = await from.cdp.send('WebAuthn.getCredentials', { authenticatorId: from.authenticatorId });
  assert.equal(credentials.length, 1, 'one resident credential made by the registration');
  assert.equal(credentials[0]!.rpId, 'localhost', 'the RP ID is the public URL host');
  for (const credential of credentials) {
    await to.cdp.send('WebAuthn.addCredential', { authenticatorId: to.authenticatorId, credential });
  }
  return credentials[0]!;
}

test('register a passkey in My security info, then reset the password with it as the gate', async () => {
  const USER = 'user@contoso.example';
  const owner = await pageWithAuthenticator();
  await signIn(owner.p, USER);
  await registerPasskey(owner.p, 'Work laptop', 'console-security-info-passkey');
  await check(owner.p, 'passkey registered', 'console-security-info-passkey-done');
  offset += A_DAY_LATER;

  // ---- the reset, in a fresh browser holding the same passkey
  const r = await pageWithAuthenticator();
  const credential = await copyPasskeys(owner, r);
  await startReset(r.p, USER);
  await submit(r.p, 'Use your passkey', '/reset/flow/use-passkey');
  assert.equal(await h1(r.p), 'Use your passkey');
  assert.match(await mainText(r.p), /If your browser or device does not support passkeys/);
  await check(r.p, 'passkey gate', 'reset-passkey');
  assert.equal((await submit(r.p, 'Use passkey', '/reset/flow/passkey')).status(), 303);
  await newPassword(r.p);
  const { credentials } = await r.cdp.send('WebAuthn.getCredentials', { authenticatorId: r.authenticatorId });
  assert.ok(credentials[0]!.signCount > credential.signCount, 'the authenticator signed with a higher counter');
});

test('an admin whose tenant requires a passkey: after the email code, the passkey is the only second gate', async () => {
  const ADMIN = 'admin2@contoso.example';
  const owner = await pageWithAuthenticator();
  await signIn(owner.p, ADMIN);
  await registerPasskey(owner.p, 'Security key');
  // the tenant's policy, in the admin console
  await owner.p.goto(`${server.baseUrl}/admin/policy`);
  // the administrators' choice (the users' group has a choice of the same words)
  const admins = owner.p.getByRole('group', { name: 'Administrators must use a passkey' });
  await admins.getByLabel('Yes, require a passkey').check();
  await owner.p.getByRole('button', { name: 'Save policy' }).click();
  assert.match((await owner.p.getByRole('status').first().textContent()) ?? '', /The policy was saved/);
  assert.equal(await admins.getByLabel('Yes, require a passkey').isChecked(), true);
  offset += A_DAY_LATER;

  const r = await pageWithAuthenticator();
  await copyPasskeys(owner, r);
  await startReset(r.p, ADMIN);
  const mail = await server.waitForMessage({
    to: server.account(ADMIN).email,
    channel: 'email',
    containing: 'reset code',
  });
  await r.p.getByLabel('Security code', { exact: true }).fill(codeIn(mail));
  assert.equal((await submit(r.p, 'Verify', '/reset/flow/code')).status(), 303);
  assert.equal(await h1(r.p), 'Use your passkey');
  assert.match(await mainText(r.p), /requires administrators to use a passkey/);
  assert.equal(await r.p.getByRole('button', { name: 'Text my phone instead' }).count(), 0);
  assert.equal(await r.p.getByRole('button', { name: /authenticator/ }).count(), 0, 'no app instead');
  await check(r.p, 'passkey required', 'reset-passkey-required');
  assert.equal((await submit(r.p, 'Use passkey', '/reset/flow/passkey')).status(), 303);
  await newPassword(r.p);
});
