import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ManualClock } from '../helpers/manual-clock.ts';
import {
  addVirtualAuthenticator,
  axeViolations,
  codeIn,
  formatViolations,
  launchBrowser,
  newContext,
  releaseContexts,
  signInOverHttp,
  passCaptcha,
  screenshot,
  startE2eServer,
  submit,
  type AxeViolationSummary,
  type E2eServer,
} from './harness.ts';
import { seedConsoleFactor } from '../helpers/console-factor-kit.ts';

// Caller verification and the reverse check in Debian's Chromium (issue 13 items 5 and 6): an
// admin verifies a caller (a wrong code, the right one, then 10 minutes later it has expired and
// the actions are disabled again) and gives a check phrase that the person called confirms on
// /verify-call; a phrase never confirmed is flagged in the audit log. The server's clock is moved
// by the test. An admin verifies another admin's caller and resets their console second factor,
// whose next sign-in registers a new one. Technical Support acting on an administrator needs a
// second operator: operator A asks, A is offered no approval of their own request, B approves,
// then A sends a reset link and (on a second ticket) resets the admin's second factor. Then the passkey
// way: the person registers a passkey (a virtual authenticator through the DevTools protocol), the
// admin asks for it, the person types the console's ticket on /caller-passkey and signs, and the
// console shows verified. Every page is scanned with axe-core; SSPR_SCREENSHOTS=1 writes
// docs/screenshots/caller-passkey*.png among others.

const ADMIN = 'admin@contoso.example';
const USER = 'user@contoso.example';
const USER_EMAIL = 'user@personal.example';
const ADMIN2 = 'admin2@contoso.example';
const ADMIN2_EMAIL = 'admin2@personal.example';

let browser: Browser;
let s: E2eServer;
const clock = new ManualClock(Date.now());
const contexts: BrowserContext[] = [];
const scans: { label: string; violations: readonly AxeViolationSummary[] }[] = [];
/** The admin's and the person's pages of the first journey, used again by the passkey way's. */
let adminPage: Page;
let personPage: Page;

before(async () => {
  browser = await launchBrowser();
  s = await startE2eServer({}, { clock, callerVerification: true });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await s?.close();
});
// every journey's browsers, cleared, for a later journey's (harness.ts releaseContexts), but the first
// journey's admin and person, whose pages the passkey way's journey uses again
afterEach(async () => {
  const kept = new Set([adminPage?.context(), personPage?.context()]);
  const done = contexts.filter((c) => !kept.has(c));
  contexts.splice(0, contexts.length, ...contexts.filter((c) => kept.has(c)));
  await releaseContexts(done);
});

async function page(): Promise<Page> {
  const c = await newContext(browser);
  contexts.push(c);
  return c.newPage();
}

async function seen(p: Page, label: string, shot?: string): Promise<void> {
  scans.push({ label, violations: await axeViolations(p) });
  if (shot) await screenshot(p, shot);
}

/** The console sign-in's first step: user ID and password (the second step follows). */
async function passwordSignIn(p: Page, login: string): Promise<void> {
  await p.goto(`${s.baseUrl}/signin`);
  await p.getByLabel('User ID').fill(login);
  await p.getByLabel('Password', { exact: true }).fill(s.account(login).password);
  await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Sign in' }).click()]);
}

const state = async (p: Page) => ((await p.locator('#caller-state').textContent()) ?? '').trim();
const mainTextOf = async (p: Page) => (await p.locator('main').innerText()).replace(/\s+/g, ' ');
const sendLink = (p: Page) => p.getByRole('button', { name: 'Send a reset link' });

test('caller verification: fails, succeeds, expires; the reverse check is confirmed, or flagged when not', async () => {
  const admin = await page();
  adminPage = admin;
  await signInOverHttp(s, admin.context(), ADMIN, s.account(ADMIN).password);
  const user = (await s.app.store.directory.findAccountByLogin(USER))!;
  const base = `/admin/users/${user.id}`;
  await admin.goto(`${s.baseUrl}${base}`);
  assert.match(await state(admin), /Caller not verified/);
  assert.equal(await sendLink(admin).isDisabled(), true, 'no reset link before the caller is verified');
  await seen(admin, 'user page, caller not verified', 'caller-not-verified');

  // "Verify caller": a code goes to the person's registered methods
  const before = (await s.outbox()).map((m) => m.id);
  await submit(admin, 'Verify caller', `${base}/verify-caller`);
  const mail = await s.waitForMessage({ to: USER_EMAIL, channel: 'email', notIds: before, containing: 'help desk' });
  const code = codeIn(mail);
  assert.match(await state(admin), /A code was sent/);
  await seen(admin, 'user page, code sent', 'caller-code-sent');

  // the caller reads a wrong code: not verified, the actions stay disabled
  await admin.getByLabel('Code the caller reads to you').fill(code === '000000' ? '111111' : '000000');
  const wrong = await submit(admin, 'Check the code', `${base}/verify-caller/confirm`);
  assert.equal(wrong.status(), 400);
  assert.match((await admin.locator('#problem, .error').first().textContent()) ?? '', /Caller not verified/);
  assert.equal(await sendLink(admin).isDisabled(), true);
  await seen(admin, 'user page, wrong code');

  // the right code: verified for 10 minutes, the reset link can be sent
  await admin.getByLabel('Code the caller reads to you').fill(code);
  await submit(admin, 'Check the code', `${base}/verify-caller/confirm`);
  assert.match(await state(admin), /Caller verified, until/);
  assert.equal(await sendLink(admin).isDisabled(), false);
  await seen(admin, 'user page, caller verified', 'caller-verified');
  await submit(admin, 'Send a reset link', `${base}/reset-link`);
  assert.match((await admin.locator('.success').first().textContent()) ?? '', /one-time reset link was sent/);

  // 10 minutes later the verification has expired: disabled again
  clock.advance(10 * 60_000);
  await admin.goto(`${s.baseUrl}${base}`);
  assert.match(await state(admin), /expired or failed/);
  assert.equal(await sendLink(admin).isDisabled(), true, 'disabled again after 10 minutes');

  // the reverse check: the console shows a phrase, the person called confirms it on /verify-call
  await submit(admin, 'Show a check phrase', `${base}/call-check`);
  const phrase = ((await admin.locator('#call-phrase').textContent()) ?? '').trim();
  assert.match(phrase, /^\d{4} \d{4}$/);
  await seen(admin, 'user page, check phrase', 'caller-check-phrase');

  const person = await page();
  personPage = person;
  await person.goto(`${s.baseUrl}/verify-call`);
  assert.equal(await person.locator('h1').textContent(), 'Check a call from your help desk');
  await seen(person, '/verify-call', 'verify-call');
  const wrongPhrase = phrase.startsWith('0') ? '1234 5678' : '0123 4567';
  await person.getByLabel('Check phrase').fill(wrongPhrase);
  await passCaptcha(person);
  await submit(person, 'Check', '/verify-call');
  assert.equal(await person.locator('h1').textContent(), 'This is not a call from your help desk');
  assert.match((await person.locator('#verify-answer').textContent()) ?? '', /Hang up/);
  await seen(person, '/verify-call, not the help desk', 'verify-call-not-help-desk');
  await person.getByLabel('Check phrase').fill(phrase);
  await passCaptcha(person);
  await submit(person, 'Check', '/verify-call');
  assert.equal(await person.locator('h1').textContent(), 'This call is from your help desk');
  assert.match((await person.locator('#verify-answer').textContent()) ?? '', /Avery Admin \(admin@contoso\.example\)/);
  await seen(person, '/verify-call, confirmed', 'verify-call-confirmed');
  const tenantId = user.tenantId;
  const confirmed = await s.app.store.audit.list({ tenantId, type: 'caller.call_confirmed', accountId: user.id });
  assert.equal(confirmed.length, 1);

  // a second phrase nobody confirms: once its 10 minutes are over, the purge run flags the call
  await submit(admin, 'Show a check phrase', `${base}/call-check`);
  clock.advance(10 * 60_000);
  await s.app.purge.runOnce();
  const flagged = await s.app.store.audit.list({ tenantId, type: 'caller.call_unconfirmed', accountId: user.id });
  assert.equal(flagged.length, 1, 'the unconfirmed call is flagged');
  assert.equal(flagged[0]!.outcome, 'flagged');
  await s.app.purge.runOnce();
  assert.equal(
    (await s.app.store.audit.list({ tenantId, type: 'caller.call_unconfirmed', accountId: user.id })).length,
    1,
    'flagged once',
  );
});

test('an admin verifies the caller and resets another admin’s second factor; their next sign-in registers a new one', async () => {
  await seedConsoleFactor(s.app, ADMIN2);
  const admin2 = (await s.app.store.directory.findAccountByLogin(ADMIN2))!;
  const p = await page();
  await signInOverHttp(s, p.context(), ADMIN, s.account(ADMIN).password);
  const base = `/admin/users/${admin2.id}`;
  await p.goto(`${s.baseUrl}${base}`);
  const resetFactor = () => p.getByRole('button', { name: 'Reset the second factor' });
  assert.equal(await resetFactor().isDisabled(), true, 'disabled before the caller is verified');

  const before = (await s.outbox()).map((m) => m.id);
  await submit(p, 'Verify caller', `${base}/verify-caller`);
  const mail = await s.waitForMessage({ to: ADMIN2_EMAIL, channel: 'email', notIds: before, containing: 'help desk' });
  await p.getByLabel('Code the caller reads to you').fill(codeIn(mail));
  await submit(p, 'Check the code', `${base}/verify-caller/confirm`);
  assert.match(await state(p), /Caller verified, until/);
  assert.equal(await resetFactor().isDisabled(), false);
  await seen(p, 'admin page, second factor reset ready', 'console-factor-reset');
  await submit(p, 'Reset the second factor', `${base}/second-factor/reset`);
  assert.match((await p.locator('.success').first().textContent()) ?? '', /The second factor was reset/);
  assert.equal(await s.app.store.authenticators.confirmed(admin2.id), null);
  const notice = await s.waitForMessage({ to: ADMIN2_EMAIL, channel: 'email', containing: 'second factor was reset' });
  assert.match(
    notice.text,
    /Avery Admin \(admin@contoso\.example\) reset the second factor of admin2@contoso\.example/,
  );

  // admin2, in a new browser session: the password, then the registration of a new factor
  await p.context().clearCookies();
  await passwordSignIn(p, ADMIN2);
  assert.equal(new URL(p.url()).pathname, '/signin/second-factor/setup');
  assert.equal(await p.locator('h1').textContent(), 'Set up the second step');
  await seen(p, 'second step setup after the reset');
});

/** A new browser of an operator, signed in over HTTP, the second step included (harness.ts signInOverHttp). */
async function operatorSignIn(login: string): Promise<Page> {
  const p = await page();
  await signInOverHttp(s, p.context(), login, 'granite pelican orchard breeze', 'operator');
  return p;
}

test('Technical Support on an administrator: verified caller, then a second operator approves, then the link', async () => {
  assert.ok((await s.app.directory.disable({ login: ADMIN2, actor: 'e2e' })).ok);
  for (const [login, displayName] of [
    ['sam.support', 'Sam Support'],
    ['kim.support', 'Kim Support'],
  ] as const) {
    const added = await s.app.operators.add({
      login,
      displayName,
      password: 'granite pelican orchard breeze',
      actor: 'e2e',
    });
    assert.ok(added.ok);
  }
  const help = await s.app.help.submit(ADMIN, 'Locked out, the only admin.', { ip: null, userAgent: null });
  assert.ok(help.ok);
  const ticket = (await s.app.support.listTickets('open')).find((x) => x.reference === help.value.reference)!;
  const path = `/support/tickets/${ticket.id}`;

  const sam = await operatorSignIn('sam.support');
  await sam.goto(`${s.baseUrl}${path}`);
  await sam.getByLabel('How did you verify the requester?').fill('Called back on the number in the HR system.');
  await submit(sam, 'Record verification', `${path}/verify`);
  const issue = () => sam.getByRole('button', { name: "Issue a reset link to the requester's registered methods" });
  assert.equal(await issue().isDisabled(), true, 'disabled before the caller is verified');
  const before = (await s.outbox()).map((m) => m.id);
  await submit(sam, 'Verify caller', `${path}/verify-caller`);
  const mail = await s.waitForMessage({
    to: 'admin@personal.example',
    channel: 'email',
    notIds: before,
    containing: 'help desk',
  });
  await sam.getByLabel('Code the caller reads to you').fill(codeIn(mail));
  await submit(sam, 'Check the code', `${path}/verify-caller/confirm`);
  assert.match(await state(sam), /Caller verified/);
  assert.equal(await issue().isDisabled(), true, 'an administrator: still needs a second operator');
  await submit(sam, 'Ask a second operator', `${path}/approval`);
  assert.match(await mainTextOf(sam), /Waiting for a second operator/);
  await seen(sam, 'support ticket, waiting for approval', 'support-caller-approval');

  // Sam cannot approve his own request: the approvals page offers him no button
  await sam.goto(`${s.baseUrl}/support/approvals`);
  assert.equal(await sam.getByRole('button', { name: /^Approve/ }).count(), 0);
  const kim = await operatorSignIn('kim.support');
  await kim.goto(`${s.baseUrl}/support/approvals`);
  assert.equal(await kim.locator('h1').textContent(), 'Approvals');
  await seen(kim, 'support approvals', 'support-approvals');
  const approveButton = kim.getByRole('button', { name: /^Approve/ });
  assert.equal(await approveButton.count(), 1);
  await Promise.all([kim.waitForNavigation(), approveButton.click()]);
  assert.match(await mainTextOf(kim), /Approved/);

  await sam.goto(`${s.baseUrl}${path}`);
  assert.equal(await issue().isDisabled(), false, 'verified and approved');
  await Promise.all([sam.waitForNavigation(), issue().click()]);
  assert.match((await sam.locator('.success').first().textContent()) ?? '', /one-time reset link was sent/);
  const approved = await s.app.store.audit.list({ type: 'caller.approved' });
  assert.equal(approved.length, 1);
  assert.match(approved[0]!.details.requestedBy as string, /^operator:/);

  // a second ticket of the same admin ("and my phone is gone"): within the same 10 minutes the
  // verification and the approval still hold, so Sam resets the admin's console second factor
  const admin = (await s.app.store.directory.findAccountByLogin(ADMIN))!;
  assert.ok(await s.app.store.authenticators.confirmed(admin.id), 'the admin has an authenticator app');
  const again = await s.app.help.submit(ADMIN, 'My phone is gone too: no authenticator app.', {
    ip: null,
    userAgent: null,
  });
  assert.ok(again.ok);
  const second = (await s.app.support.listTickets('open')).find((x) => x.reference === again.value.reference)!;
  const path2 = `/support/tickets/${second.id}`;
  await sam.goto(`${s.baseUrl}${path2}`);
  await sam.getByLabel('How did you verify the requester?').fill('Same call, same verified caller.');
  await submit(sam, 'Record verification', `${path2}/verify`);
  const resetFactor = sam.getByRole('button', { name: 'Reset the second factor' });
  assert.equal(await resetFactor.isDisabled(), false, 'verified and approved');
  await seen(sam, 'support ticket, second factor reset ready', 'support-factor-reset');
  await Promise.all([sam.waitForNavigation(), resetFactor.click()]);
  assert.match(
    (await sam.locator('.success').first().textContent()) ?? '',
    /console second factor was reset and the ticket is resolved/,
  );
  assert.equal(await s.app.store.authenticators.confirmed(admin.id), null);
  const reset = await s.app.store.audit.list({ type: 'admin.second_factor_reset', accountId: admin.id });
  assert.equal(reset.length, 1);
  assert.equal(reset[0]!.actor, approved[0]!.details.requestedBy, 'by the operator who asked, not the approver');
  const sms = await s.waitForMessage({ to: '+15555550101', channel: 'sms', containing: 'help desk just reset' });
  assert.ok(sms);
});

test('caller verification by passkey: the agent asks, the caller signs on the public page, the console shows verified', async () => {
  // the person's browser gets a platform authenticator (DevTools protocol, as passkey-journey does)
  const person = personPage;
  await addVirtualAuthenticator(person);
  // they register a passkey in My security info
  await signInOverHttp(s, person.context(), USER, s.account(USER).password);
  await person.goto(`${s.baseUrl}/account/security/passkeys`);
  await person.getByLabel('Name (optional)').fill('My phone');
  assert.equal((await submit(person, 'Create a passkey', '/account/security/passkeys')).status(), 303);
  assert.match((await person.getByRole('status').first().textContent()) ?? '', /Your passkey is registered/);
  // a passkey added beside an email and a phone waits out its cooling-off (a day) before it proves anything
  clock.advance(24 * 3_600_000 + 60_000);

  const admin = adminPage;
  await signInOverHttp(s, admin.context(), ADMIN, s.account(ADMIN).password);
  const user = (await s.app.store.directory.findAccountByLogin(USER))!;
  const base = `/admin/users/${user.id}`;
  await admin.goto(`${s.baseUrl}${base}`);
  assert.equal(await sendLink(admin).isDisabled(), true);
  await submit(admin, 'Ask for their passkey', `${base}/verify-caller/passkey`);
  assert.match(await state(admin), /Waiting for the caller to confirm with their passkey/);
  const ticket = ((await admin.locator('#caller-ticket').textContent()) ?? '').trim();
  assert.match(ticket, /^\d{4} \d{4} \d{4}$/);
  assert.equal(await sendLink(admin).isDisabled(), true, 'still disabled while the caller has not signed');
  await seen(admin, 'user page, passkey ticket', 'caller-passkey-ticket');

  // the caller opens the public page, types the ticket, and signs with their passkey
  await person.goto(`${s.baseUrl}/caller-passkey`);
  assert.equal(await person.locator('h1').textContent(), 'Confirm it is you with your passkey');
  await person.getByLabel('Code from your help desk').fill(ticket);
  await passCaptcha(person);
  assert.equal((await submit(person, 'Continue', '/caller-passkey')).status(), 200);
  assert.match(await mainTextOf(person), /The help desk of Contoso Demo asks you to confirm with your passkey/);
  await seen(person, '/caller-passkey, asking for the passkey', 'caller-passkey');
  assert.equal((await submit(person, 'Use passkey', '/caller-passkey/answer')).status(), 200);
  assert.equal(await person.locator('h1').textContent(), 'You confirmed it is you');
  await seen(person, '/caller-passkey, confirmed', 'caller-passkey-confirmed');

  // the agent checks again: verified, the reset link is enabled
  await Promise.all([admin.waitForNavigation(), admin.getByRole('button', { name: 'Check again' }).click()]);
  assert.match(await state(admin), /Caller verified, until/);
  assert.equal(await sendLink(admin).isDisabled(), false);
  const verified = await s.app.store.audit.list({ type: 'caller.verified', accountId: user.id });
  assert.equal(verified[0]!.details.via, 'passkey');
});

test('axe-core finds no violations on the pages of the journeys', () => {
  assert.ok(scans.length >= 10, `scanned ${scans.length} pages`);
  const failures = scans.filter((x) => x.violations.length > 0);
  assert.equal(failures.length, 0, failures.map((x) => formatViolations(x.label, x.violations)).join('\n'));
});
