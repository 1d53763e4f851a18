import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import type { ApiScope } from '../../src/core/admin-rules.ts';
import type { Tenant } from '../../src/core/directory-model.ts';
import { tenantSecretPlaces } from '../../src/core/directory-admin-rules.ts';
import { translate } from '../../src/core/i18n.ts';
import { ADMIN_API_PREFIX } from '../../src/http/api/admin-api-plugin.ts';
import { LANGUAGE_COOKIE } from '../../src/http/i18n-plugin.ts';
import { createPagesKit, h1, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

/**
 * A tenant's directory settings over HTTP: the admin API (`/api/v1/admin/directory`, scopes
 * directory:read and directory:write) and the console's Directory page (global admins change,
 * admins look and check the saved settings; CSRF). No directory server: a closed port stands for
 * an unreachable one (test/directories/ checks real ones).
 */
let kit: PagesKit;
let contoso: Tenant;
let closedUrl = '';
let secretDir = '';
let secretRef = '';
const SECRET = 'Service-Account-Secret-77';

before(async () => {
  kit = await createPagesKit();
  const c = await kit.app.directory.getTenantByName('Contoso Demo');
  assert.ok(c.ok);
  contoso = c.value;
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closedUrl = `ldaps://127.0.0.1:${(s.address() as { port: number }).port}`;
  await new Promise((r) => s.close(r));
  // the tenant's own place for its secret: a folder named after its id
  secretDir = mkdtempSync(path.join(tmpdir(), 'sspr-dir-secret-'));
  mkdirSync(path.join(secretDir, contoso.id));
  const file = path.join(secretDir, contoso.id, 'bind-password');
  writeFileSync(file, SECRET, { mode: 0o600 });
  secretRef = `file:${file}`;
});
after(async () => {
  await kit.close();
  rmSync(secretDir, { recursive: true, force: true });
});

const settings = () => ({
  kind: 'ldap',
  urls: [closedUrl],
  bindDn: 'cn=sspr,ou=services,dc=contoso,dc=example',
  bindPassword: secretRef,
  baseDn: 'ou=people,dc=contoso,dc=example',
  testLogin: 'alice',
  timeoutMs: 1000,
});

async function key(scopes: ApiScope[]) {
  const r = await kit.app.apiKeys.create({ tenantId: contoso.id, name: 'dir', scopes, expiresAt: null, by: 'cli' });
  assert.ok(r.ok);
  return { token: r.value.token, id: r.value.key.id };
}

function call(
  token: string | null,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
): Promise<LightMyRequestResponse> {
  return kit.server.inject({
    method,
    url: `${ADMIN_API_PREFIX}${url}`,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

function assertError(res: LightMyRequestResponse, status: number, code: string): string {
  assert.equal(res.statusCode, status, res.body.slice(0, 400));
  const e = (res.json() as { error: { code: string; message: string } }).error;
  assert.equal(e.code, code);
  return e.message;
}

async function pendingNotices(): Promise<string[]> {
  const pending = await kit.app.store.outbox.list({ status: 'pending', limit: 1000 });
  const ids = pending.filter((m) => m.template === 'admin.directory_notice').map((m) => m.accountId ?? '');
  const names = [];
  for (const id of ids) names.push((await kit.app.store.directory.getAccount(id))?.login ?? id);
  return names.sort();
}

async function signIn(login: string): Promise<TestBrowser> {
  const b = new TestBrowser(kit.server);
  await b.get('/signin');
  const password = kit.demo.accounts.find((a) => a.login === login)!.password;
  const res = await passSecondStep(kit.app, b, await b.post('/signin', { login, password, next: '/account' }), login);
  assert.equal(res.statusCode, 303, `${login} signs in`);
  return b;
}

describe('admin API: /directory', () => {
  test('a key needs directory:read to look and check, directory:write to change; no key is 401', async () => {
    assertError(await call(null, 'GET', '/directory'), 401, 'unauthorized');
    const users = await key(['users:read']);
    assertError(await call(users.token, 'GET', '/directory'), 403, 'scope_missing');
    const read = await key(['directory:read']);
    const view = await call(read.token, 'GET', '/directory');
    assert.equal(view.statusCode, 200);
    assert.deepEqual(view.json(), {
      kind: 'builtin',
      settings: null,
      updatedAt: null,
      secretPlaces: tenantSecretPlaces(contoso.id),
    });
    assertError(await call(read.token, 'PUT', '/directory', settings()), 403, 'scope_missing');
    assertError(await call(read.token, 'DELETE', '/directory'), 403, 'scope_missing');
    assertError(await call(read.token, 'POST', '/directory/check'), 404, 'directory_not_configured');
  });

  test('PUT names every problem, refuses a secret outside the tenant’s place, saves, is audited and told; check; DELETE', async () => {
    const k = await key(['directory:read', 'directory:write']);
    const bad = assertError(
      await call(k.token, 'PUT', '/directory', { kind: 'ldap', urls: ['ldap://x.example'], userFilter: '(uid=x)' }),
      400,
      'invalid_directory_settings',
    );
    for (const setting of ['urls:', 'bindDn:', 'bindPassword:', 'baseDn:', 'userFilter:'])
      assert.ok(bad.includes(`- ${setting}`), `${setting} in ${bad}`);
    const stolen = assertError(
      await call(k.token, 'PUT', '/directory', { ...settings(), bindPassword: 'env:HOME' }),
      400,
      'invalid_directory_settings',
    );
    assert.match(
      stolen,
      new RegExp(`bindPassword: for this organisation, env:${tenantSecretPlaces(contoso.id).envPrefix}_`),
    );
    assert.equal((await call(k.token, 'GET', '/directory')).json().kind, 'builtin', 'nothing saved');

    const saved = await call(k.token, 'PUT', '/directory', settings());
    assert.equal(saved.statusCode, 200, saved.body);
    const body = saved.json() as {
      kind: string;
      created: boolean;
      changed: string[];
      settings: Record<string, unknown>;
    };
    assert.equal(body.kind, 'ldap');
    assert.equal(body.created, true);
    assert.ok(body.changed.includes('urls') && body.changed.includes('bindPassword'));
    assert.equal(body.settings['bindPassword'], secretRef);
    assert.ok(!saved.body.includes(SECRET));
    const again = await call(k.token, 'PUT', '/directory', { ...settings(), bindPassword: '' });
    assert.deepEqual((again.json() as { changed: string[] }).changed, [], 'an empty bindPassword keeps the saved one');

    const audit = await kit.app.store.audit.list({ tenantId: contoso.id, type: 'directory.settings_changed' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.actor, `api_key:${k.id}`);
    assert.ok(!JSON.stringify(audit[0]?.details).includes(SECRET));
    assert.deepEqual(await pendingNotices(), ['admin2@contoso.example', 'admin@contoso.example']);

    const check = await call(k.token, 'POST', '/directory/check');
    assert.equal(check.statusCode, 200, check.body);
    const report = check.json() as { verdict: string; steps: { id: string; status: string; fix?: string }[] };
    assert.equal(report.verdict, 'not_ready');
    assert.deepEqual(
      report.steps.map((s) => [s.id, s.status]),
      [['connect', 'fail']],
    );
    assert.ok(!check.body.includes(SECRET));

    const removed = await call(k.token, 'DELETE', '/directory');
    assert.deepEqual(removed.json(), { removed: true, directoryAccounts: 0 });
    assert.equal((await call(k.token, 'GET', '/directory')).json().kind, 'builtin');
    assert.deepEqual((await call(k.token, 'DELETE', '/directory')).json(), { removed: false, directoryAccounts: 0 });
  });
});

describe('console: /admin/directory', () => {
  test('an admin (not global) sees the page read-only, may check only the saved settings, and cannot save', async () => {
    const admin2 = await signIn('admin2@contoso.example');
    const page = await admin2.get('/admin/directory');
    assert.equal(page.statusCode, 200);
    assert.equal(h1(page.body), 'Directory');
    assert.match(page.body, /<a href="\/admin\/directory" aria-current="page">Directory<\/a>/);
    assert.match(page.body, /Only a global administrator can change these settings/);
    assert.match(
      page.body,
      /<fieldset disabled="" class="stack">|<fieldset class="stack" disabled="">|<fieldset disabled/,
    );
    assert.doesNotMatch(page.body, /value="save"/);
    const save = await admin2.post('/admin/directory', { action: 'save', ...flat(settings()) });
    assert.equal(save.statusCode, 403);
    assert.match(save.body, /Only a global administrator can do this/);
    await admin2.get('/admin/directory');
    const check = await admin2.post('/admin/directory', { action: 'check', ...flat(settings()) });
    assert.equal(check.statusCode, 404, 'the saved settings are checked: there are none');
    assert.match(check.body, /There is no directory to check/);
    const audit = await kit.app.store.audit.list({ tenantId: contoso.id, type: 'admin.denied' });
    assert.ok(audit.some((a) => (a.details as { action?: string }).action === 'directory.set'));
  });

  test('a global admin: problems named per field, a check before saving, save (others told), remove; CSRF required', async () => {
    const boss = await signIn('admin@contoso.example');
    const page = await boss.get('/admin/directory');
    assert.match(page.body, /value="save"/);
    assert.match(
      page.body,
      new RegExp(`env:${tenantSecretPlaces(contoso.id).envPrefix}_BIND`),
      'the hint names the place',
    );
    assert.match(page.body, /only env:|Not the password itself/);
    assert.match(page.body, /For a test lab only/);

    const bad = await boss.post('/admin/directory', { action: 'save', kind: 'ad', urls: 'ldap://dc.example' });
    assert.equal(bad.statusCode, 400);
    for (const field of ['urls', 'bindDn', 'bindPassword', 'baseDn'])
      assert.match(bad.body, new RegExp(`<a href="#${field}">`), field);

    const unsaved = { ...flat(settings()), bindPassword: `env:${tenantSecretPlaces(contoso.id).envPrefix}_BIND` };
    const check = await boss.post('/admin/directory', { action: 'check', ...unsaved });
    assert.equal(check.statusCode, 200, check.body.slice(0, 500));
    assert.match(check.body, /These are the settings in the form, not saved yet\./);
    assert.match(check.body, /Not ready: resets will not work\./);
    assert.match(check.body, /data-step="settings" data-status="fail"/);
    assert.match(check.body, /is not set for the sspr process/);
    assert.equal(await kit.app.store.directory.getTenantDirectory(contoso.id), null, 'the check saved nothing');

    const csrfless = await boss.post('/admin/directory', { _csrf: null, action: 'save', ...flat(settings()) });
    assert.equal(csrfless.statusCode, 403);
    assert.equal(await kit.app.store.directory.getTenantDirectory(contoso.id), null);

    await boss.get('/admin/directory');
    const before = (await pendingNotices()).length;
    const saved = await boss.post('/admin/directory', { action: 'save', ...flat(settings()) });
    const shown = await boss.follow(saved);
    assert.match(shown.body, /The directory settings were saved\./);
    assert.match(shown.body, /Passwords are reset in your LDAP directory/);
    assert.match(shown.body, new RegExp(`value="${secretRef.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`));
    assert.ok(!shown.body.includes(SECRET));
    const notices = await pendingNotices();
    assert.equal(notices.length - before, 1, 'the other admin is told, not the one who saved');

    const savedCheck = await boss.post('/admin/directory', { action: 'check', ...flat(settings()) });
    assert.match(savedCheck.body, /data-step="connect" data-status="fail"/);
    assert.doesNotMatch(savedCheck.body, /not saved yet/);

    await boss.get('/admin/directory');
    const removed = await boss.follow(await boss.post('/admin/directory/remove', {}));
    assert.match(removed.body, /The directory was removed/);
    assert.equal(await kit.app.store.directory.getTenantDirectory(contoso.id), null);
  });

  test('in Arabic: each problem in Arabic, linked to its field’s Arabic label; nothing saved', async () => {
    const boss = await signIn('admin@contoso.example');
    boss.cookies.set(LANGUAGE_COOKIE, 'ar');
    const page = await boss.get('/admin/directory');
    assert.match(page.body, /<html lang="ar" dir="rtl"/);
    const bad = await boss.post('/admin/directory', {
      action: 'save',
      kind: 'ldap',
      urls: 'ldap://dc.example',
      userFilter: '(uid=x)',
    });
    assert.equal(bad.statusCode, 400);
    const items = [...bad.body.matchAll(/<li><a href="#(\w+)">([^<]*)<\/a>: ([^<]*)<\/li>/g)].map((m) => ({
      field: m[1]!,
      label: m[2]!,
      words: decode(m[3]!),
    }));
    const expected = [
      ['urls', 'urlsPlain'],
      ['bindDn', 'bindDn'],
      ['bindPassword', 'bindPassword'],
      ['baseDn', 'baseDn'],
      ['userFilter', 'userFilterPlaceholder'],
    ] as const;
    for (const [field, id] of expected) {
      const item = items.find((i) => i.field === field);
      assert.ok(item, `${field} listed in ${JSON.stringify(items)}`);
      assert.equal(item.label, decode(translate('ar', `admin.directory.field.${field}`)));
      assert.equal(
        item.words,
        translate(
          'ar',
          `directory.settings.problem.${id}`,
          id === 'userFilterPlaceholder' ? { placeholder: '{login}' } : {},
        ),
      );
    }
    assert.doesNotMatch(bad.body, /at least one|the service account|where the accounts are|must contain/);
    assert.equal(await kit.app.store.directory.getTenantDirectory(contoso.id), null);
  });
});

/** The text of HTML (the entities a page uses). */
function decode(html: string): string {
  return html
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Settings as form fields (lists one per line, numbers as text). */
function flat(s: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Array.isArray(v) ? v.join('\n') : String(v)]));
}
