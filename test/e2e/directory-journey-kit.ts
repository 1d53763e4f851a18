// What the browser journeys against real directories (directory-journeys, -openldap, -ad and
// directory-unlock-journey) share: a page of its own per person, the real sync, the person's steps
// through the reset, sign-in and console pages in Chromium, an axe check that fails the test, and
// the directory's answer to a bind with a password.
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { translate } from '../../src/core/i18n.ts';
import { RESET_PAGE_TEXT } from '../../src/core/ui-text.ts';
import { ACCOUNT_TEXT } from '../../src/http/account/account-views.tsx';
import type { DirectoryEntry } from '../../src/ports/external-directory.ts';
import type { FlowHandle } from '../../src/service/reset-service.ts';
import type { DirectoryTenant } from '../directories/directory-reset-kit.ts';
import { axeViolations, codeIn, formatViolations, newContext, type E2eServer } from './harness.ts';
import { passSecondStepInPage } from '../helpers/console-factor-kit.ts';

/** A page in a new browser context of its own (a person of their own), closed by the file's after() through `contexts`. */
export async function newPage(browser: Browser, contexts: BrowserContext[]): Promise<Page> {
  const c = await newContext(browser);
  contexts.push(c);
  return c.newPage();
}

/** Brings the tenant's people into sspr by the real directory sync: it succeeds and creates `created` accounts. */
export async function syncAll(s: E2eServer, d: DirectoryTenant, created: number): Promise<void> {
  const r = await s.app.directorySync.syncTenant(d.tenantId, 'cli');
  assert.ok(r.ok, !r.ok ? `${r.error} ${r.detail}` : '');
  assert.equal(r.value.failure, null);
  assert.equal(r.value.created, created, JSON.stringify(r.value.skipped));
}

export async function h1(p: Page): Promise<string> {
  return ((await p.locator('h1').first().textContent()) ?? '').trim();
}

/** The text of the page's main region, white space collapsed. */
export async function mainText(p: Page): Promise<string> {
  return (await p.locator('main').innerText()).replace(/\s+/g, ' ');
}

export async function axeClean(p: Page, label: string): Promise<void> {
  const violations = await axeViolations(p);
  assert.equal(violations.length, 0, formatViolations(label, violations));
}

/** Clicks a button and waits for the page its POST produced (re-rendered or redirected to); returns the POST's answer. */
export async function submit(p: Page, button: string, pathname: string): Promise<Response> {
  const response = p.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === pathname);
  // the `load` awaited below must be the answer's: the page's own load (a page a click opened just
  // before may still be loading) comes first
  await p.waitForLoadState('load');
  const loaded = p.waitForEvent('load');
  await p.getByRole('button', { name: button, exact: true }).click();
  const answer = await response;
  await loaded;
  return answer;
}

/** /reset → user ID → CAPTCHA (the widget solves it) → Next → the email's code: ends on the page after the email gate. */
export async function passEmailGate(s: E2eServer, p: Page, login: string, email: string): Promise<void> {
  const seen = (await s.outbox()).map((m) => m.id);
  await p.goto(`${s.baseUrl}/reset`);
  await p.getByLabel('User ID', { exact: true }).fill(login);
  const widget = p.locator('altcha-widget');
  const auto = (await widget.getAttribute('auto')) ?? 'off';
  if (auto === 'off') await widget.locator('label').first().click();
  if (auto !== 'onsubmit') await p.locator('input[name="altcha"][value]').first().waitFor({ state: 'attached' });
  assert.equal((await submit(p, 'Next', '/reset')).status(), 303);
  assert.equal(await h1(p), RESET_PAGE_TEXT.emailCode.title);
  const message = await s.waitForMessage({ to: email, channel: 'email', containing: 'reset code', notIds: seen });
  await p.getByLabel('Security code', { exact: true }).fill(codeIn(message));
  assert.equal((await submit(p, 'Verify', '/reset/flow/code')).status(), 303);
}

/**
 * The administrator's second gate, from the phone-number page: the full number, then the SMS's code
 * (the dev outbox stands in for the SMS provider); ends on the new-password page.
 */
export async function passSmsGate(s: E2eServer, p: Page, phone: string): Promise<void> {
  assert.equal(await h1(p), RESET_PAGE_TEXT.phoneNumber.title, 'an administrator needs a second gate');
  assert.ok((await mainText(p)).includes(`••${phone.slice(-2)}`), `the masked phone: ${await mainText(p)}`);
  assert.equal(
    await p.getByRole('button', { name: RESET_PAGE_TEXT.phoneNumber.backToEmail }).count(),
    0,
    'administrators cannot skip the email gate',
  );
  await p.getByLabel('Mobile phone number', { exact: true }).fill(phone);
  assert.equal((await submit(p, 'Send code', '/reset/flow/phone')).status(), 303);
  assert.equal(await h1(p), RESET_PAGE_TEXT.smsCode.title);
  const sms = await s.waitForMessage({ to: phone, channel: 'sms' });
  await p.getByLabel('Security code', { exact: true }).fill(codeIn(sms));
  assert.equal((await submit(p, 'Verify', '/reset/flow/code')).status(), 303);
  assert.equal(await h1(p), RESET_PAGE_TEXT.newPassword.title);
}

export async function typePassword(p: Page, password: string): Promise<Response> {
  await p.getByLabel('New password', { exact: true }).fill(password);
  await p.getByLabel('Type it again', { exact: true }).fill(password);
  return submit(p, 'Change password', '/reset/flow/password');
}

export async function signIn(s: E2eServer, p: Page, login: string, password: string): Promise<Response> {
  await p.goto(`${s.baseUrl}/signin`);
  await p.getByLabel('User ID').fill(login);
  await p.getByLabel('Password', { exact: true }).fill(password);
  const answer = await submit(p, 'Sign in', '/signin');
  await passSecondStepInPage(s.app, p, login);
  return answer;
}

/**
 * In the console, an administrator sets a temporary password for the user (confirm page, then the
 * page that shows it once); returns it.
 */
export async function setTemporaryPassword(
  s: E2eServer,
  admin: Page,
  user: { readonly id: string; readonly displayName: string },
): Promise<string> {
  await admin.goto(`${s.baseUrl}/admin/users/${user.id}`);
  assert.equal(await h1(admin), user.displayName);
  await admin.getByRole('link', { name: 'Set a temporary password…' }).click();
  await admin.waitForURL(/\/temp-password$/);
  await axeClean(admin, 'console: temporary password, confirm');
  const shown = await submit(admin, 'Yes, set a temporary password', `/admin/users/${user.id}/temp-password`);
  assert.equal(shown.status(), 200, await mainText(admin));
  const temp = ((await admin.locator('#temp-password').textContent()) ?? '').trim();
  assert.match(temp, /^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3,}$/);
  await axeClean(admin, 'console: temporary password, shown once');
  return temp;
}

/**
 * The person signs in at /signin with the temporary password, is sent to the forced change (which
 * says why: their organisation's directory asks for a new password), and chooses `next`: ends on
 * the account page with the change confirmed.
 */
export async function forcedChange(s: E2eServer, p: Page, login: string, temp: string, next: string): Promise<void> {
  assert.equal((await signIn(s, p, login, temp)).status(), 303);
  assert.equal(new URL(p.url()).pathname, '/account/password', 'sent to the forced change');
  assert.equal(await h1(p), ACCOUNT_TEXT.password.title);
  const forced = await mainText(p);
  assert.ok(
    forced.includes(translate('en', 'account.password.forcedDirectory')),
    `the directory asks for it: ${forced}`,
  );
  assert.ok(!forced.includes(ACCOUNT_TEXT.password.forced), `not 'your administrator set': ${forced}`);
  await axeClean(p, 'forced change');
  await p.getByLabel('Current password').fill(temp);
  await p.getByLabel('New password').fill(next);
  await p.getByLabel('Type it again').fill(next);
  const changed = await submit(p, 'Change password', '/account/password');
  assert.equal(changed.status(), 303, await mainText(p));
  assert.match(p.url(), /\/account\?changed=1$/);
  assert.ok((await mainText(p)).includes(ACCOUNT_TEXT.password.done), await mainText(p));
}

/** The reset this browser holds (its `sspr_flow` cookie: flow id and secret). */
export async function flowOf(p: Page): Promise<FlowHandle> {
  const cookie = (await p.context().cookies()).find((c) => c.name === 'sspr_flow');
  assert.ok(cookie, 'the reset is bound to this browser');
  const [flowId = '', secret = ''] = cookie.value.split('.');
  return { flowId, secret };
}

/** What the directory answers to a bind as the entry with this password: `ok` or the adapter's error. */
export async function binds(d: DirectoryTenant, entry: DirectoryEntry, password: string): Promise<string> {
  const r = await d.directory.verifyPassword(entry, password);
  return r.ok ? 'ok' : r.error;
}

/** Runs a journey and records its wall time in `timings`. */
export async function timed(timings: string[], label: string, body: () => Promise<void>): Promise<void> {
  const started = performance.now();
  await body();
  timings.push(`${label} ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
