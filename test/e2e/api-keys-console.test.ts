import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext } from 'playwright-core';
import { API_KEY_PATTERN } from '../../src/service/api-key-service.ts';
import {
  axeViolations,
  formatViolations,
  launchBrowser,
  newContext,
  releaseContexts,
  signInOverHttp,
  screenshot,
  startE2eServer,
  type E2eServer,
} from './harness.ts';

// The console's API keys page in Debian's Chromium: an admin creates a key (shown once), uses it
// against the admin API, and revokes it. Each state of the page is scanned with axe-core.

const ADMIN = 'admin@contoso.example';

let browser: Browser;
let s: E2eServer;
let context: BrowserContext | undefined;

before(async () => {
  browser = await launchBrowser();
  s = await startE2eServer();
});

after(async () => {
  await context?.close().catch(() => {});
  await browser?.close();
  await s?.close();
});
// the journey's browser, cleared, for a later journey's (harness.ts releaseContexts)
afterEach(async () => {
  if (context) await releaseContexts([context]);
  context = undefined;
});

test('API keys page: create a key, copy it once, call the API with it, revoke it; no axe violations', async () => {
  context = await newContext(browser);
  // signed in over HTTP, the second step included: the sign-in page is not what this is about
  await signInOverHttp(s, context, ADMIN, s.account(ADMIN).password);
  const p = await context.newPage();

  await p.goto(`${s.baseUrl}/admin/api-keys`);
  assert.equal(await p.locator('h1').textContent(), 'API keys');
  const scans = [{ label: 'API keys (empty)', violations: await axeViolations(p) }];

  await p.getByLabel('Name', { exact: true }).fill('HR sync');
  await p.getByRole('checkbox', { name: /users:read/ }).check();
  await p.getByRole('checkbox', { name: /resets:write/ }).check();
  await p.getByLabel('Expires after').selectOption('30');
  await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Create key' }).click()]);
  assert.equal(await p.locator('h1').textContent(), 'Copy your new API key now');
  assert.match((await p.getByRole('alert').textContent()) ?? '', /only time the key is shown/);
  const key = await p.getByLabel('Your new API key').inputValue();
  assert.match(key, API_KEY_PATTERN);
  scans.push({ label: 'API key created', violations: await axeViolations(p) });
  await screenshot(p, 'console-api-key-created');

  // the key works against the admin API
  const users = await fetch(`${s.baseUrl}/api/v1/admin/users`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(users.status, 200);
  assert.ok(((await users.json()) as { users: unknown[] }).users.length > 0);

  await Promise.all([p.waitForNavigation(), p.getByRole('link', { name: 'Back to API keys' }).click()]);
  assert.equal(await p.getByRole('rowheader', { name: 'HR sync' }).count(), 1);
  assert.ok(!(await p.content()).includes(key.slice(-43)), 'the list never shows the secret');
  scans.push({ label: 'API keys (one key)', violations: await axeViolations(p) });
  await screenshot(p, 'console-api-keys');

  await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Revoke the key “HR sync”' }).click()]);
  assert.match((await p.getByRole('status').textContent()) ?? '', /The key was revoked/);
  scans.push({ label: 'API keys (revoked)', violations: await axeViolations(p) });
  const revoked = await fetch(`${s.baseUrl}/api/v1/admin/users`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(revoked.status, 401);

  for (const { label, violations } of scans) assert.deepEqual(violations, [], formatViolations(label, violations));
});
