import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPagesKit, h1, type PagesKit, type TestBrowser } from './reset-pages-kit.ts';
import {
  ADMIN,
  addFabrikam,
  FABRIKAM_ADMIN,
  FABRIKAM_PASSWORD,
  runReset,
  signIn,
  USER,
  USER_EMAIL,
} from './insights-kit.ts';

// Usage & insights against a real App (SQLite) after real resets in two tenants.

let kit: PagesKit;
let admin: TestBrowser;

before(async () => {
  kit = await createPagesKit();
  await runReset(kit.app, USER, USER_EMAIL, { wrong: 1, complete: true }); // completed (one mismatch on the way)
  await runReset(kit.app, USER, USER_EMAIL, { wrong: 2 }); // failed
  await kit.app.reset.start('nobody@contoso.example', { ip: '192.0.2.1', userAgent: 'typo' }); // unknown user ID
  await addFabrikam(kit.app); // two mismatches and an email-only user in another tenant
  admin = await signIn(kit, ADMIN);
});

after(async () => {
  await kit?.close();
});

/** The `<section>` whose heading has this id. */
function section(html: string, headingId: string): string {
  const start = html.indexOf(`aria-labelledby="${headingId}"`);
  assert.ok(start >= 0, `section ${headingId}`);
  return html.slice(start, html.indexOf('</section>', start));
}

test('insights: resets per day by outcome, as a chart and as a table, only this tenant counted', async () => {
  const res = await admin.get('/admin/insights?period=7');
  assert.equal(res.statusCode, 200);
  assert.equal(h1(res.body), 'Usage &amp; insights');
  assert.match(res.body, /<a href="\/admin\/insights" aria-current="page">Usage &amp; insights<\/a>/);
  const today = new Date().toISOString().slice(0, 10);
  const resets = section(res.body, 'resets-heading');
  assert.match(resets, /<svg[^>]*role="img"/);
  // the second reset is failed, the first completed; neither Fabrikam's nor the unknown user's count
  assert.match(resets, new RegExp(`<th scope="row">${today}</th><td>1</td><td>1</td><td>0</td><td>2</td>`));
  assert.match(resets, /<th scope="row">All days<\/th><td>1<\/td><td>1<\/td><td>0<\/td><td>2<\/td>/);
  assert.match(
    resets,
    /<desc id="chart-resets-desc">2 resets in the last 7 days: 1 completed, 1 failed, 0 abandoned\./,
  );
  assert.equal((resets.match(/<tbody>[\s\S]*?<\/tbody>/)![0].match(/<tr>/g) ?? []).length, 7);
});

test('insights: failures by reason, methods used and registration coverage', async () => {
  const res = await admin.get('/admin/insights?period=30');
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /<option value="30" selected>Last 30 days<\/option>/);
  const failures = section(res.body, 'failures-heading');
  assert.match(failures, /<th scope="row">Code did not match<\/th><td>3<\/td>/, 'Contoso’s three, not Fabrikam’s two');
  assert.match(failures, /<th scope="row">Unknown user ID<\/th><td>1<\/td>/);
  assert.match(failures, /<th scope="row">All reasons<\/th><td>4<\/td>/);
  const methods = section(res.body, 'methods-heading');
  assert.match(methods, /<th scope="row">Email code<\/th><td>1<\/td>/);
  assert.match(methods, /<th scope="row">SMS code<\/th><td>0<\/td>/);
  const coverage = section(res.body, 'coverage-heading');
  // demo: one user and two admins, all with both methods; Fabrikam's email-only user is not here
  assert.match(coverage, /<th scope="row">Users<\/th><td>1<\/td><td>0<\/td><td>0<\/td><td>1<\/td>/);
  assert.match(coverage, /<th scope="row">Administrators<\/th><td>2<\/td><td>0<\/td><td>0<\/td><td>2<\/td>/);
  assert.doesNotMatch(res.body, /\sstyle=/);

  // Fabrikam's admin sees Fabrikam's numbers
  const boss = await signIn(kit, FABRIKAM_ADMIN, FABRIKAM_PASSWORD);
  const own = await boss.get('/admin/insights?period=30');
  assert.match(section(own.body, 'failures-heading'), /<th scope="row">Code did not match<\/th><td>2<\/td>/);
  assert.match(section(own.body, 'coverage-heading'), /<th scope="row">Users<\/th><td>0<\/td><td>1<\/td><td>0<\/td>/);
  assert.match(section(own.body, 'resets-heading'), /<th scope="row">All days<\/th><td>0<\/td><td>1<\/td><td>0<\/td>/);
});

test('insights: an unknown period falls back to 30 days; the page works with a CSP that forbids inline style', async () => {
  const res = await admin.get('/admin/insights?period=365');
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /<option value="30" selected>/);
  const csp = String(res.headers['content-security-policy']);
  assert.match(csp, /style-src 'self'/);
  assert.doesNotMatch(res.body, /\sstyle=|<style/);
});

test('insights: an admin without both methods gets the 403 that says why', async () => {
  const removed = await kit.app.store.directory.removeMethod(
    (await kit.app.store.directory.findAccountByLogin('admin2@contoso.example'))!.id,
    'phone',
  );
  assert.ok(removed);
  const b = await signIn(kit, 'admin2@contoso.example');
  for (const url of ['/admin/insights', '/admin/audit']) {
    const res = await b.get(url);
    assert.equal(res.statusCode, 403, url);
    assert.match(res.body, /need both an alternate email and a mobile phone registered/);
  }
});

test('service: the export is bounded, operators and keys without audit:read are refused', async () => {
  const account = (await kit.app.store.directory.findAccountByLogin(ADMIN))!;
  const rc = { ip: null, userAgent: null };
  const bounded = await kit.app.insights.auditExport({ kind: 'admin', account }, {}, 'csv', rc, 5);
  assert.ok(bounded.ok);
  let n = 0;
  for await (const _ of bounded.value) n++;
  assert.equal(n, 5);
  const operator = await kit.app.insights.report({ kind: 'operator', operatorId: 'o1', login: 'op@example' }, 7);
  assert.deepEqual(operator.ok ? null : operator.error, 'not_allowed');
  const key = { kind: 'api_key' as const, keyId: 'k1', tenantId: account.tenantId };
  const noScope = await kit.app.insights.auditPage({ ...key, scopes: ['users:read'] }, {}, null);
  assert.equal(noScope.ok ? null : noScope.error, 'scope_missing');
  const scoped = await kit.app.insights.auditPage({ ...key, scopes: ['audit:read'] }, {}, null, 3);
  assert.ok(scoped.ok);
  assert.equal(scoped.value.rows.length, 3);
  assert.ok(scoped.value.rows.every((r) => r.tenantId === account.tenantId));
  assert.equal(scoped.value.nextCursor, scoped.value.rows[2]!.id);
});
