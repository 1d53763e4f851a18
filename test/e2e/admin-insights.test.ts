import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FlowHandle } from '../../src/service/reset-service.ts';
import type { RequestContext } from '../../src/service/request-context.ts';
import {
  axeViolations,
  codeIn,
  formatViolations,
  launchBrowser,
  newContext,
  screenshot,
  startE2eServer,
  type E2eServer,
  releaseContexts,
  signInOverHttp,
} from './harness.ts';
import { passSecondStepInPage } from '../helpers/console-factor-kit.ts';

// The audit log viewer and usage & insights in Debian's Chromium against a real server, after
// real resets: axe-core on both pages, no CSP violation (the charts are inline SVG without style
// attributes), the filters through the form, the charts drawn. Screenshots with SSPR_SCREENSHOTS=1.

const ADMIN = 'admin@contoso.example';
const USER = 'user@contoso.example';
const USER_EMAIL = 'user@personal.example';

let browser: Browser;
let s: E2eServer;
const contexts: BrowserContext[] = [];

async function reset(wrong: number, complete: boolean, rc: RequestContext): Promise<void> {
  const seen = (await s.outbox()).map((m) => m.id);
  const started = await s.app.reset.start(USER, rc);
  assert.ok(started.ok);
  let handle: FlowHandle = started.value;
  const code = codeIn(
    await s.waitForMessage({ to: USER_EMAIL, channel: 'email', notIds: seen, containing: 'Your password reset code' }),
  );
  for (let i = 0; i < wrong; i++) {
    const r = await s.app.reset.submitCode(handle, String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0'), rc);
    assert.equal(r.ok, false);
  }
  if (!complete) return;
  const passed = await s.app.reset.submitCode(handle, code, rc);
  assert.ok(passed.ok);
  handle = { flowId: handle.flowId, secret: passed.value.secret };
  const pw = `harbour violet comet ${rc.ip?.split('.').pop()} tangerine`;
  const done = await s.app.reset.setPassword(handle, pw, pw, rc);
  assert.ok(done.ok, done.ok ? '' : done.error);
}

before(async () => {
  browser = await launchBrowser();
  s = await startE2eServer();
  // some history: completed and failed resets, a user ID nobody has
  await reset(1, true, { ip: '203.0.113.10', userAgent: 'Mozilla/5.0 (e2e)' });
  await reset(2, false, { ip: '203.0.113.11', userAgent: 'Mozilla/5.0 (e2e)' });
  await reset(0, true, { ip: '203.0.113.12', userAgent: 'Mozilla/5.0 (e2e)' });
  assert.ok((await s.app.reset.start('nobody@contoso.example', { ip: '198.51.100.3', userAgent: 'curl' })).ok);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await s?.close();
});
// every journey's browsers, cleared, for the next journey's (harness.ts releaseContexts)
afterEach(() => releaseContexts(contexts));

/**
 * A fresh browser signed in as the demo admin; CSP reports collected in `csp`. `through`: the
 * sign-in pages in the browser (their CSP checked too: the audit log's test), or over HTTP
 * (harness.ts signInOverHttp: the same pages once more would check nothing new).
 */
async function signedInAdmin(through: 'page' | 'http'): Promise<{ page: Page; csp: string[] }> {
  const context = await newContext(browser);
  contexts.push(context);
  const page = await context.newPage();
  const csp: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) csp.push(m.text());
  });
  if (through === 'http') {
    await signInOverHttp(s, context, ADMIN, s.account(ADMIN).password);
    return { page, csp };
  }
  await page.goto(`${s.baseUrl}/signin`);
  await page.getByLabel('User ID').fill(ADMIN);
  await page.getByLabel('Password').fill(s.account(ADMIN).password);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
  await passSecondStepInPage(s.app, page, ADMIN);
  await page.waitForURL(/\/account/);
  return { page, csp };
}

test('audit log in Chromium: filters through the form, readable rows, axe clean, no CSP violation', async () => {
  const { page, csp } = await signedInAdmin('page');
  // what `sspr audit verify` records, shown in the page's tamper-evidence section
  const verdicts = await s.app.auditChain.verify(undefined, 'cli', { ip: null, userAgent: null });
  assert.ok(verdicts.length > 0 && verdicts.every((v) => v.result.ok));
  const res = await page.goto(`${s.baseUrl}/admin/audit`);
  assert.equal(res?.status(), 200);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Audit log');
  assert.match(
    (await page.locator('#chain-status').textContent()) ?? '',
    /^Chain last verified at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC: intact\.$/,
  );
  const rows = page.locator('table.audit-table tbody tr');
  assert.ok((await rows.count()) > 10);
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], formatViolations('/admin/audit', violations));
  await screenshot(page, 'console-audit');

  await page.getByLabel('Event type').selectOption('code.rejected');
  await page.getByLabel('Outcome').fill('mismatch');
  await Promise.all([
    page.waitForURL(/type=code\.rejected/),
    page.getByRole('button', { name: 'Apply filters' }).click(),
  ]);
  assert.equal(await rows.count(), 3, 'three wrong codes');
  for (const text of await rows.allTextContents())
    assert.match(text, /code\.rejected.*mismatch.*user@contoso\.example/);
  const filtered = await axeViolations(page);
  assert.deepEqual(filtered, [], formatViolations('/admin/audit (filtered)', filtered));

  // the export link carries the filters and downloads a file
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'CSV (spreadsheet)' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^audit-\d{4}-\d{2}-\d{2}\.csv$/);
  assert.deepEqual(csp, [], 'no CSP violation');
});

test('usage & insights in Chromium: four SVG charts drawn with their tables, axe clean, no CSP violation', async () => {
  const { page, csp } = await signedInAdmin('http');
  const res = await page.goto(`${s.baseUrl}/admin/insights?period=7`);
  assert.equal(res?.status(), 200);
  const charts = page.getByRole('img');
  assert.equal(await page.locator('svg[role="img"]').count(), 4);
  const resets = page.getByRole('img', { name: /^Resets per day by outcome/ });
  const box = await resets.boundingBox();
  assert.ok(box && box.width > 600 && box.height > 150, `the daily chart is drawn (${JSON.stringify(box)})`);
  assert.ok((await charts.count()) >= 4);
  // the same numbers as a table: 2 completed, 1 failed today
  const today = new Date().toISOString().slice(0, 10);
  const row = page.locator('table', { hasText: 'Resets per day by outcome' }).locator('tr', { hasText: today });
  assert.deepEqual(await row.locator('td').allTextContents(), ['2', '1', '0', '3']);
  const failures = page.getByRole('img', { name: /^Failures by reason/ });
  assert.ok((await failures.boundingBox())!.height > 100);
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], formatViolations('/admin/insights', violations));
  await screenshot(page, 'console-insights');

  await page.getByLabel('Period').selectOption('90');
  await Promise.all([page.waitForURL(/period=90/), page.getByRole('button', { name: 'Show' }).click()]);
  assert.equal(await page.locator('table', { hasText: 'Resets per day by outcome' }).locator('tbody tr').count(), 90);
  const ninety = await axeViolations(page);
  assert.deepEqual(ninety, [], formatViolations('/admin/insights?period=90', ninety));
  assert.deepEqual(csp, [], 'no CSP violation');
});
