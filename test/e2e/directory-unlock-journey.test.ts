// Browser journey (Chromium) against a real slapd with ppolicy (pwdMaxFailure 3): a person mistypes
// their password three times at sspr's sign-in, the directory locks the account, and the right
// password is refused with a hint that names the way out; they follow it to /reset, pass the email
// gate, choose "Unlock my account, keep my password", and sign in with the password they had — the
// directory still holds it, unlocked. Every page the person reads is scanned with axe-core.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext } from 'playwright-core';
import { translate } from '../../src/core/i18n.ts';
import { RESET_PAGE_TEXT, UNLOCK_TEXT } from '../../src/core/ui-text.ts';
import { ACCOUNT_TEXT } from '../../src/http/account/account-views.tsx';
import {
  addDirectoryAccount,
  addDirectoryTenant,
  entryOf,
  type DirectoryTenant,
} from '../directories/directory-reset-kit.ts';
import { addLdapPerson, ldapSettings } from '../directories/directory-kit.ts';
import { SERVICE_PASSWORD, startSlapd, type Slapd } from '../directories/slapd.ts';
import { launchBrowser, startE2eServer, type E2eServer, releaseContexts } from './harness.ts';
import { axeClean, h1, mainText, newPage, passEmailGate, signIn, submit } from './directory-journey-kit.ts';

const BIND_ENV = 'SSPR_DIRECTORY_TEST_E2E_UNLOCK_BIND';
let browser: Browser;
let s: E2eServer;
let slapd: Slapd;
let d: DirectoryTenant | undefined;
const contexts: BrowserContext[] = [];

before(async () => {
  process.env[BIND_ENV] = SERVICE_PASSWORD;
  slapd = await startSlapd();
  browser = await launchBrowser();
  s = await startE2eServer();
});
after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await s?.close();
  await d?.directory.close();
  await slapd?.stop();
  delete process.env[BIND_ENV];
});
// every journey's browsers, cleared, for the next journey's (harness.ts releaseContexts)
afterEach(() => releaseContexts(contexts));

test('OpenLDAP: locked after three wrong passwords, the person unlocks the account through the reset gates and signs in with the same password', async () => {
  const password = 'Willow-Beacon-Marble-36';
  addLdapPerson(slapd, { uid: 'lena', name: 'Lena Locked', password });
  d = await addDirectoryTenant(s.app, 'ldapunlock', ldapSettings(slapd, BIND_ENV));
  const entry = await entryOf(d, 'lena');
  const email = 'lena@home.example';
  const lena = await addDirectoryAccount(s.app, d, entry, { email });
  const p = await newPage(browser, contexts);

  for (let i = 0; i < 3; i++) {
    const r = await signIn(s, p, lena.login, `Willow-Beacon-Marble-${40 + i}`);
    assert.equal(r.status(), 400);
  }
  const locked = await d.directory.getById(entry.id);
  assert.ok(locked.ok && locked.value?.locked, 'the directory locked the account');

  // the right password is refused like a wrong one, and the page says how to unlock
  assert.equal((await signIn(s, p, lena.login, password)).status(), 400);
  assert.equal(await h1(p), ACCOUNT_TEXT.signin.title);
  const refused = await mainText(p);
  assert.ok(refused.includes(ACCOUNT_TEXT.problems.invalid_credentials.title), refused);
  assert.ok(refused.includes(translate('en', 'account.signin.lockedHint').slice(0, 40)), refused);
  await axeClean(p, 'sign-in refused with the unlock hint');
  await p.getByRole('link', { name: translate('en', 'account.signin.lockedHintLink'), exact: true }).click();
  await p.waitForURL(`${s.baseUrl}/reset`);

  // the reset's gate: user ID, CAPTCHA, the email's code
  await passEmailGate(s, p, lena.login, email);

  // the new-password step offers the other way out
  assert.equal(await h1(p), RESET_PAGE_TEXT.newPassword.title);
  const step = await mainText(p);
  assert.ok(step.includes(UNLOCK_TEXT.offerTitle), step);
  assert.ok(step.includes(UNLOCK_TEXT.offer));
  await axeClean(p, 'new password with the unlock offer');
  assert.equal((await submit(p, UNLOCK_TEXT.button, '/reset/flow/unlock')).status(), 303);
  assert.equal(await h1(p), UNLOCK_TEXT.doneTitle);
  assert.ok((await mainText(p)).includes(UNLOCK_TEXT.doneMessage));
  await axeClean(p, 'unlocked');

  const after = await d.directory.getById(entry.id);
  assert.ok(after.ok && after.value && !after.value.locked, 'the lock is gone');
  assert.ok((await d.directory.verifyPassword(entry, password)).ok, 'the password is the one it was');

  await p.getByRole('link', { name: UNLOCK_TEXT.signIn, exact: true }).click();
  await p.waitForURL(`${s.baseUrl}/signin`);
  assert.equal((await signIn(s, p, lena.login, password)).status(), 303);
  assert.equal(await h1(p), ACCOUNT_TEXT.home.title, 'signed in with the same password');
  const notice = await s.waitForMessage({ to: email, channel: 'email', containing: 'unlocked' });
  assert.match(notice.text, /password was not changed/);
});
