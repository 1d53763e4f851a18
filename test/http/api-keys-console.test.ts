import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { API_KEY_PATTERN } from '../../src/service/api-key-service.ts';
import { createPagesKit, h1, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

/** The console's API keys section, /admin/api-keys: list, create (shown once), revoke; tenant walls; CSRF. */

const FAB_ADMIN = 'boss@fabrikam.example';
const FAB_PASSWORD = 'quartz lantern meadow ferry';

async function signIn(kit: PagesKit, login: string, password?: string): Promise<TestBrowser> {
  const b = new TestBrowser(kit.server);
  await b.get('/signin');
  const pw = password ?? kit.demo.accounts.find((a) => a.login === login)!.password;
  const res = await passSecondStep(
    kit.app,
    b,
    await b.post('/signin', { login, password: pw, next: '/account' }),
    login,
  );
  assert.equal(res.statusCode, 303, `${login} signs in`);
  return b;
}

/** Posts the create form with repeated `scope` fields, as a browser sends ticked checkboxes. */
async function postCreate(
  kit: PagesKit,
  b: TestBrowser,
  fields: { name: string; scopes: string[]; expiry: string; csrf?: string | null },
): Promise<LightMyRequestResponse> {
  const body = new URLSearchParams();
  if (fields.csrf !== null) body.append('_csrf', fields.csrf ?? b.csrf());
  body.append('name', fields.name);
  for (const s of fields.scopes) body.append('scope', s);
  body.append('expiry_days', fields.expiry);
  const res = await kit.server.inject({
    method: 'POST',
    url: '/admin/api-keys',
    payload: body.toString(),
    headers: {
      accept: 'text/html',
      'content-type': 'application/x-www-form-urlencoded',
      cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    },
  });
  if (String(res.headers['content-type']).startsWith('text/html')) b.lastPage = res.body;
  return res;
}

async function addFabrikam(kit: PagesKit): Promise<void> {
  const { directory } = kit.app;
  assert.ok((await directory.createTenant({ name: 'Fabrikam', domains: ['fabrikam.example'], actor: 'test' })).ok);
  const added = await directory.addUser({
    login: FAB_ADMIN,
    displayName: 'Fab Boss',
    role: 'global_admin',
    password: FAB_PASSWORD,
    actor: 'test',
  });
  assert.ok(added.ok);
  assert.ok(
    (await directory.setMethod({ login: FAB_ADMIN, kind: 'email', value: 'boss@home.example', actor: 'test' })).ok,
  );
  assert.ok((await directory.setMethod({ login: FAB_ADMIN, kind: 'phone', value: '+15555550199', actor: 'test' })).ok);
}

test('/admin/api-keys: an admin creates a key (shown once, with a warning), sees it listed without its secret, and revokes it', async () => {
  const kit = await createPagesKit();
  try {
    const admin = await signIn(kit, 'admin2@contoso.example');
    const empty = await admin.get('/admin/api-keys');
    assert.equal(empty.statusCode, 200);
    assert.equal(h1(empty.body), 'API keys');
    assert.match(empty.body, /<a href="\/admin\/api-keys" aria-current="page">API keys<\/a>/);
    assert.match(empty.body, /No API keys yet\./);
    // the look has scopes of its own (issue 12 item 6), offered with their words
    assert.match(empty.body, /id="scope-look-read"/);
    assert.match(empty.body, /<code class="ltr">look:read<\/code> — See the look and words/);
    assert.match(empty.body, /<code class="ltr">look:write<\/code> — Change the look and words and the logo/);

    const created = await postCreate(kit, admin, {
      name: 'HR sync',
      scopes: ['users:read', 'resets:write'],
      expiry: '30',
    });
    assert.equal(created.statusCode, 200, created.body.slice(0, 300));
    assert.equal(h1(created.body), 'Copy your new API key now');
    assert.match(created.body, /This is the only time the key is shown/);
    assert.equal(created.headers['cache-control'], 'no-store');
    const token = /id="new-key"[^>]*value="(sspr_[^"]+)"|value="(sspr_[^"]+)"[^>]*id="new-key"/.exec(created.body);
    const key = token?.[1] ?? token?.[2];
    assert.ok(key && API_KEY_PATTERN.test(key), 'the page shows the full key');
    const [, keyId, secret] = API_KEY_PATTERN.exec(key)!;
    const actor = await kit.app.apiKeys.authenticate(`Bearer ${key}`);
    assert.deepEqual(actor?.scopes, ['users:read', 'resets:write']);
    const [view] = await kit.app.apiKeys.list(actor!.tenantId);
    const expiresIn = view!.expiresAt! - Date.now();
    assert.ok(Math.abs(expiresIn - 30 * 86_400_000) < 60_000, 'expires in 30 days');

    const listed = await admin.get('/admin/api-keys');
    assert.match(listed.body, /<th scope="row">HR sync<\/th>/);
    assert.match(listed.body, new RegExp(`sspr_${keyId}_…`));
    assert.ok(!listed.body.includes(secret!), 'the list never shows the secret');
    assert.match(listed.body, /users:read, resets:write/);

    // revoke
    const revoked = await admin.post(`/admin/api-keys/${keyId}/revoke`);
    assert.equal(revoked.statusCode, 303);
    const after = await admin.follow(revoked);
    assert.match(after.body, /The key was revoked/);
    assert.match(after.body, /Revoked/);
    assert.doesNotMatch(after.body, new RegExp(`/admin/api-keys/${keyId}/revoke`), 'no revoke button any more');
    assert.equal(await kit.app.apiKeys.authenticate(`Bearer ${key}`), null);

    const account = await kit.app.store.directory.findAccountByLogin('admin2@contoso.example');
    const events = await kit.app.store.audit.list({ tenantId: actor!.tenantId });
    for (const type of ['api_key.created', 'api_key.revoked']) {
      const e = events.find((x) => x.type === type);
      assert.equal(e?.actor, `admin:${account!.id}`, `${type} names the admin`);
      assert.equal(e?.details.keyId, keyId);
    }
  } finally {
    await kit.close();
  }
});

test('/admin/api-keys: bad input and missing CSRF change nothing; users and strangers are kept out', async () => {
  const kit = await createPagesKit();
  try {
    const anonymous = await new TestBrowser(kit.server).get('/admin/api-keys');
    assert.equal(anonymous.statusCode, 303);
    assert.match(String(anonymous.headers.location), /^\/signin\?next=/);
    const user = await signIn(kit, 'user@contoso.example');
    const forbidden = await user.get('/admin/api-keys');
    assert.equal(forbidden.statusCode, 403);
    await user.get('/account');
    const userPost = await postCreate(kit, user, { name: 'sneaky', scopes: ['users:read'], expiry: '30' });
    assert.equal(userPost.statusCode, 403);

    const admin = await signIn(kit, 'admin@contoso.example');
    await admin.get('/admin/api-keys');
    const noScope = await postCreate(kit, admin, { name: 'No scope', scopes: [], expiry: '30' });
    assert.equal(noScope.statusCode, 400);
    assert.match(noScope.body, /Tick at least one permission/);
    assert.match(noScope.body, /value="No scope"/, 'the form keeps what was typed');
    const badScope = await postCreate(kit, admin, { name: 'Bad', scopes: ['root'], expiry: '30' });
    assert.equal(badScope.statusCode, 400);
    const badExpiry = await postCreate(kit, admin, { name: 'Bad', scopes: ['users:read'], expiry: '7' });
    assert.equal(badExpiry.statusCode, 400);
    const noName = await postCreate(kit, admin, { name: '  ', scopes: ['users:read'], expiry: '0' });
    assert.equal(noName.statusCode, 400);
    const noCsrf = await postCreate(kit, admin, { name: 'Forged', scopes: ['users:read'], expiry: '0', csrf: null });
    assert.equal(noCsrf.statusCode, 403);
    assert.match(noCsrf.body, /This form has expired/);
    const tenant = await kit.app.directory.getTenantByName('Contoso Demo');
    assert.ok(tenant.ok);
    assert.deepEqual(await kit.app.apiKeys.list(tenant.value.id), [], 'nothing was created');
  } finally {
    await kit.close();
  }
});

test("/admin/api-keys: Fabrikam's admin neither sees nor revokes a Contoso key (404)", async () => {
  const kit = await createPagesKit();
  try {
    await addFabrikam(kit);
    const contoso = await signIn(kit, 'admin@contoso.example');
    await contoso.get('/admin/api-keys');
    const created = await postCreate(kit, contoso, {
      name: 'Contoso secret sync',
      scopes: ['audit:read'],
      expiry: '0',
    });
    const key = /value="(sspr_[^"]+)"/.exec(created.body)![1]!;
    const keyId = API_KEY_PATTERN.exec(key)![1]!;

    const fab = await signIn(kit, FAB_ADMIN, FAB_PASSWORD);
    const list = await fab.get('/admin/api-keys');
    assert.equal(list.statusCode, 200);
    assert.doesNotMatch(list.body, /Contoso secret sync/);
    assert.ok(!list.body.includes(keyId));
    const revoke = await fab.post(`/admin/api-keys/${keyId}/revoke`);
    assert.equal(revoke.statusCode, 404);
    await fab.get('/admin/api-keys');
    const unknown = await fab.post(`/admin/api-keys/${'0'.repeat(24)}/revoke`);
    assert.equal(unknown.statusCode, 404);
    assert.equal(
      revoke.body.replace(/name="_csrf" value="[^"]*"/g, ''),
      unknown.body.replace(/name="_csrf" value="[^"]*"/g, ''),
      "another tenant's key looks exactly like an unknown one",
    );
    assert.ok(await kit.app.apiKeys.authenticate(`Bearer ${key}`), 'the key still works');
  } finally {
    await kit.close();
  }
});
