import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
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

// The console's Directory page in Debian's Chromium: a global administrator fills in the settings,
// runs the check before saving (the report table and its verdict), saves, and removes. Each state
// of the page is scanned with axe-core. No directory server: a closed port stands for one that
// does not answer (test/directories/ checks real ones).

const ADMIN = 'admin@contoso.example';

let browser: Browser;
let s: E2eServer;
let context: BrowserContext | undefined;
let closedUrl = '';

before(async () => {
  browser = await launchBrowser();
  s = await startE2eServer();
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closedUrl = `ldaps://127.0.0.1:${(server.address() as { port: number }).port}`;
  await new Promise((r) => server.close(r));
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

test('Directory page: fill in, run the check before saving, save, remove; no axe violations', async () => {
  context = await newContext(browser);
  // signed in over HTTP, the second step included: the sign-in page is not what this is about
  await signInOverHttp(s, context, ADMIN, s.account(ADMIN).password);
  const p = await context.newPage();

  await p.goto(`${s.baseUrl}/admin/directory`);
  assert.equal(await p.locator('h1').textContent(), 'Directory');
  assert.match((await p.locator('#directory-status').textContent()) ?? '', /kept in sspr itself/);
  const scans = [{ label: 'Directory (builtin)', violations: await axeViolations(p) }];

  const tenant = await s.app.directory.getTenantByName('Contoso Demo');
  assert.ok(tenant.ok);
  const envName = `SSPR_DIRECTORY_${tenant.value.id.replace(/-/g, '').toUpperCase()}_BIND`;
  await p.getByLabel('Active Directory (or Samba AD)').check();
  await p.getByLabel('Server addresses').fill(closedUrl);
  await p.getByLabel('Service account (bind DN)').fill('CN=svc-sspr,OU=Services,DC=contoso,DC=example');
  await p.getByLabel('Where the service account’s password is').fill(`env:${envName}`);
  await p.getByLabel('Base DN of the accounts').fill('OU=People,DC=contoso,DC=example');
  await p.getByLabel('Test account').fill('jdoe');
  await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Run check' }).click()]);
  assert.match((await p.locator('#verdict').textContent()) ?? '', /Not ready/);
  assert.equal(await p.locator('table.directory-check tbody tr').count(), 1);
  assert.match((await p.locator('table.directory-check').textContent()) ?? '', /is not set for the sspr process/);
  assert.equal(await p.getByLabel('Server addresses').inputValue(), closedUrl, 'the form keeps what was typed');
  assert.equal(await s.app.store.directory.getTenantDirectory(tenant.value.id), null, 'nothing saved by the check');
  scans.push({ label: 'Directory (check report)', violations: await axeViolations(p) });
  await screenshot(p, 'console-directory-check');

  await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Save' }).click()]);
  assert.match((await p.getByRole('status').first().textContent()) ?? '', /The directory settings were saved/);
  assert.match(
    (await p.locator('#directory-status').textContent()) ?? '',
    /Passwords are reset in your Active Directory/,
  );
  scans.push({ label: 'Directory (saved)', violations: await axeViolations(p) });
  await screenshot(p, 'console-directory');

  await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Remove the directory' }).click()]);
  assert.match((await p.getByRole('status').first().textContent()) ?? '', /The directory was removed/);
  assert.equal(await s.app.store.directory.getTenantDirectory(tenant.value.id), null);

  for (const { label, violations } of scans) assert.deepEqual(violations, [], formatViolations(label, violations));
});
