import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { INVALID_SECURITY_CODE } from '../../src/core/ui-text.ts';
import {
  axeViolations,
  codeIn,
  formatViolations,
  launchBrowser,
  newContext,
  screenshot,
  startE2eServer,
  type AxeViolationSummary,
  type E2eServer,
  h1,
  submit,
  releaseContexts,
  signInOverHttp,
} from './harness.ts';
import { passSecondStepInPage } from '../helpers/console-factor-kit.ts';

// Help requests and Technical Support in Debian's Chromium against a real server (SQLite, outbox
// worker, dev outbox): (a) a user stuck on "Invalid Security Code" asks their administrators for
// help, an admin answers with a reset link, the user completes the reset; (b) the sole admin asks
// for help, gets a support reference, an operator verifies them and issues a reset link, the admin
// completes the reset. Every page visited is scanned with axe-core (asserted in the last test).

const USER = 'user@contoso.example';
const USER_EMAIL = 'user@personal.example';
const ADMIN = 'admin@contoso.example';
const ADMIN_EMAIL = 'admin@personal.example';
const ADMIN2 = 'admin2@contoso.example';
const REFERENCE = /SUP-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}/;

let browser: Browser;
let s: E2eServer;
const contexts: BrowserContext[] = [];
const scans: { label: string; url: string; violations: readonly AxeViolationSummary[] }[] = [];

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
  scans.push({ label, url: p.url(), violations: await axeViolations(p) });
  if (shot) await screenshot(p, shot);
}

/**
 * Signs in over HTTP (the sign-in page is not what this file is about: harness.ts signInOverHttp,
 * an administrator's second step included), then opens the page the sign-in led to.
 */
async function signIn(p: Page, login: string, password: string): Promise<void> {
  await p.goto(`${s.baseUrl}${await signInOverHttp(s, p.context(), login, password)}`);
}

/**
 * Fills and sends the help form (the ALTCHA widget solves itself on submit); returns the reference
 * shown. `fromFlow`: opened from a reset flow of this browser, the form shows the flow's user ID
 * (not typed again) and asks no CAPTCHA.
 */
async function sendHelp(
  p: Page,
  login: string | null,
  message: string,
  shot: string,
  fromFlow = false,
): Promise<string> {
  assert.equal(await h1(p), 'Contact your administrator');
  const loginField = p.getByLabel('User ID', { exact: true });
  if (fromFlow) {
    assert.equal(await loginField.inputValue(), login, 'the user ID typed at the reset is carried over');
    assert.equal(await loginField.getAttribute('readonly'), '', 'and is not typed again');
    assert.equal(await p.locator('altcha-widget').count(), 0, 'no second CAPTCHA within the flow');
  } else if (login !== null) await loginField.fill(login);
  await p.getByLabel('Message', { exact: true }).fill(message);
  await seen(p, 'help form', shot);
  const answer = await submit(p, 'Send request', '/help');
  assert.equal(answer.status(), 200);
  const sent = new URLSearchParams(answer.request().postData() ?? '');
  if (fromFlow) assert.equal(sent.get('altcha'), null, 'nothing to solve');
  else assert.ok((sent.get('altcha') ?? '').length > 20, 'the form carried the solved ALTCHA payload');
  assert.equal(await h1(p), 'Request sent');
  const reference = ((await p.locator('#help-reference').textContent()) ?? '').trim();
  assert.match(reference, REFERENCE, 'the reference code is shown');
  assert.match(await p.locator('main').innerText(), /If this user ID exists, we passed your request/);
  return reference;
}

/** Opens an assisted reset link, sets the password, and signs in with it. */
async function completeAssistedReset(link: string, login: string, password: string, label: string): Promise<void> {
  const person = await page();
  await person.goto(link);
  assert.equal(await h1(person), 'Reset your password');
  await seen(person, `${label}: link continue`);
  await Promise.all([person.waitForNavigation(), person.getByRole('button', { name: 'Continue' }).click()]);
  assert.match(person.url(), /\/reset\/assisted\/password$/);
  await seen(person, `${label}: new password`);
  await person.getByLabel('New password').fill(password);
  await person.getByLabel('Type it again').fill(password);
  await Promise.all([person.waitForNavigation(), person.getByRole('button', { name: 'Change password' }).click()]);
  assert.equal(await h1(person), 'Your password was changed');
  await seen(person, `${label}: done`);
  await signIn(person, login, password);
  assert.match(person.url(), /\/account$/, `${login} signs in with the new password`);
}

async function resetLinkFor(to: string, notIds: readonly string[]): Promise<string> {
  const mail = await s.waitForMessage({ to, channel: 'email', notIds, containing: '/reset/assisted?t=' });
  return /https?:\/\/\S+\/reset\/assisted\?t=[A-Za-z0-9_-]+/.exec(mail.text)![0];
}

test('(a) "Invalid Security Code" → Contact your administrator → an admin sends a reset link → the user resets', async () => {
  const user = await page();
  await user.goto(`${s.baseUrl}/reset`);
  await user.getByLabel('User ID', { exact: true }).fill(USER);
  await submit(user, 'Next', '/reset');
  const mail = await s.waitForMessage({ to: USER_EMAIL, channel: 'email' });
  const wrong = String((Number(codeIn(mail)) + 1) % 1_000_000).padStart(6, '0');
  await user.getByLabel('Security code', { exact: true }).fill(wrong);
  const answer = await submit(user, 'Verify', '/reset/flow/code');
  assert.equal(answer.status(), 400);
  assert.equal(await h1(user), INVALID_SECURITY_CODE.title);
  await seen(user, 'invalid security code');

  await Promise.all([
    user.waitForURL((u) => u.pathname === '/help'),
    user.getByRole('link', { name: 'Contact your administrator' }).click(),
  ]);
  const reference = await sendHelp(
    user,
    USER,
    'I typed the wrong code. Please call me on my desk phone, extension 4411.',
    'help-form',
    true,
  );
  await seen(user, 'help request sent', 'help-sent');
  const confirmation = await s.waitForMessage({ to: USER_EMAIL, channel: 'email', containing: reference });
  assert.match(confirmation.text, /administrators of your organisation/);
  const notice = await s.waitForMessage({ to: ADMIN, channel: 'email', containing: 'Help request from Casey User' });
  assert.match(notice.text, new RegExp(reference));

  const admin = await page();
  await signInOverHttp(s, admin.context(), ADMIN, s.account(ADMIN).password);
  await admin.goto(`${s.baseUrl}/admin/requests`);
  assert.equal(await h1(admin), 'Help requests');
  const card = admin.locator('article.help-request', { hasText: 'Casey User' });
  assert.equal(await card.count(), 1);
  assert.match(await card.innerText(), /extension 4411/);
  assert.match(await card.innerText(), new RegExp(reference));
  await seen(admin, 'console: help requests', 'console-requests');

  const before = (await s.outbox()).map((m) => m.id);
  await Promise.all([admin.waitForNavigation(), card.getByRole('button', { name: 'Send a reset link' }).click()]);
  assert.match((await admin.locator('.success').textContent()) ?? '', /one-time reset link was sent/);
  assert.equal(await admin.locator('article.help-request').count(), 0, 'no open request left');
  assert.match(await admin.locator('main').innerText(), /Reset link sent/);
  await seen(admin, 'console: help requests after answer');

  const link = await resetLinkFor(USER_EMAIL, before);
  await completeAssistedReset(link, USER, 'amber harbour velvet compass', 'user');

  const events = await s.app.store.audit.list({ type: 'help.resolved' });
  const adminId = (await s.app.store.directory.findAccountByLogin(ADMIN))!.id;
  assert.equal(events[0]?.actor, `admin:${adminId}`);
});

test('(b) the sole admin gets a support reference; an operator verifies and issues a link; the admin resets', async () => {
  assert.ok((await s.app.directory.disable({ login: ADMIN2, actor: 'e2e' })).ok, 'admin@ is now the only active admin');
  const added = await s.app.operators.add({
    login: 'sam.support',
    displayName: 'Sam Support',
    password: 'granite pelican orchard breeze',
    actor: 'e2e',
  });
  assert.ok(added.ok);

  const admin = await page();
  await admin.goto(`${s.baseUrl}/help`);
  const reference = await sendHelp(
    admin,
    ADMIN,
    'I am the only admin and my phone was stolen. Reach me on the office line.',
    'help-form-sole-admin',
  );
  await seen(admin, 'help request sent (sole admin)', 'help-sent-support');
  const confirmation = await s.waitForMessage({ to: ADMIN_EMAIL, channel: 'email', containing: reference });
  assert.match(confirmation.text, /Technical Support/);

  const operator = await page();
  await operator.goto(`${s.baseUrl}/support`);
  assert.match(operator.url(), /\/support\/signin$/);
  assert.equal(await h1(operator), 'Technical Support sign-in');
  await seen(operator, 'support sign-in', 'support-signin');
  await operator.getByLabel('Operator login').fill('sam.support');
  await operator.getByLabel('Password', { exact: true }).fill('granite pelican orchard breeze');
  await submit(operator, 'Sign in', '/support/signin');
  await passSecondStepInPage(s.app, operator, 'sam.support');
  assert.equal(await h1(operator), 'Support tickets');
  const row = operator.locator('tr', { hasText: reference });
  assert.match(await row.innerText(), /Contoso Demo/);
  assert.match(await row.innerText(), /Avery Admin/);
  await seen(operator, 'support tickets', 'support-tickets');

  await Promise.all([operator.waitForNavigation(), row.getByRole('link', { name: reference }).click()]);
  assert.equal(await h1(operator), `Ticket ${reference}`);
  assert.equal(
    await operator.getByRole('button', { name: "Issue a reset link to the requester's registered methods" }).count(),
    0,
    'no action before the verification',
  );
  await seen(operator, 'support ticket', 'support-ticket');
  await operator
    .getByLabel('How did you verify the requester?')
    .fill('Called back on the number in the HR system; confirmed the employee number.');
  await submit(operator, 'Record verification', `${new URL(operator.url()).pathname}/verify`);
  assert.match((await operator.locator('.success').textContent()) ?? '', /verification was recorded/);
  await seen(operator, 'support ticket verified', 'support-ticket-verified');

  const before = (await s.outbox()).map((m) => m.id);
  await Promise.all([
    operator.waitForNavigation(),
    operator.getByRole('button', { name: "Issue a reset link to the requester's registered methods" }).click(),
  ]);
  assert.match((await operator.locator('.success').textContent()) ?? '', /one-time reset link was sent/);
  assert.doesNotMatch(await operator.content(), /reset\/assisted\?t=/, 'the operator never sees the link');
  await seen(operator, 'support ticket resolved', 'support-ticket-resolved');

  const link = await resetLinkFor(ADMIN_EMAIL, before);
  await completeAssistedReset(link, ADMIN, 'cobalt meadow lantern ripple', 'sole admin');

  const operatorActor = `operator:${added.value.id}`;
  const trail = (await s.app.store.audit.list({ limit: 1000 })).filter((e) => e.actor === operatorActor);
  const types = trail.map((e) => e.type);
  for (const t of ['operator.signin', 'support.verified', 'support.resolved']) assert.ok(types.includes(t), t);
});

test('axe-core finds no violations on any page of the journeys', () => {
  assert.ok(scans.length >= 14, `scanned ${scans.length} pages`);
  const failing = scans.filter((x) => x.violations.length > 0);
  assert.deepEqual(
    failing.map((x) => formatViolations(`${x.label} (${x.url})`, x.violations)),
    [],
    'accessibility violations',
  );
});
