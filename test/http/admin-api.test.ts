import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import type { ApiScope } from '../../src/core/admin-rules.ts';
import type { Account, Tenant } from '../../src/core/directory-model.ts';
import { createLogger } from '../../src/compose.ts';
import { ADMIN_API_PREFIX } from '../../src/http/api/admin-api-plugin.ts';
import { buildServer } from '../../src/http/server.ts';
import { setupDemo } from '../../src/service/demo.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { createPagesKit, newestMatch, type PagesKit } from './reset-pages-kit.ts';

/**
 * The admin API over HTTP: every endpoint, API key authentication (401 looks the same for every
 * bad key), scopes (403), the tenant wall (another tenant's ids are 404), the rules (a key never
 * resets an administrator) and the audit trail (`api_key:<id>`).
 */

let kit: PagesKit;
const clock = new ManualClock();
let contoso: Tenant;
let fabrikam: Tenant;
let user: Account;
let admin: Account;
let fabUser: Account;

before(async () => {
  kit = await createPagesKit({}, { clock });
  const { directory } = kit.app;
  const fab = await directory.createTenant({ name: 'Fabrikam', domains: ['fabrikam.example'], actor: 'test' });
  assert.ok(fab.ok);
  fabrikam = fab.value;
  const added = await directory.addUser({ login: 'pat@fabrikam.example', displayName: 'Pat Fab', actor: 'test' });
  assert.ok(added.ok);
  fabUser = added.value;
  assert.ok(
    (await directory.setMethod({ login: fabUser.login, kind: 'email', value: 'pat@home.example', actor: 't' })).ok,
  );
  const c = await directory.getTenantByName('Contoso Demo');
  assert.ok(c.ok);
  contoso = c.value;
  user = (await kit.app.store.directory.findAccountByLogin('user@contoso.example'))!;
  admin = (await kit.app.store.directory.findAccountByLogin('admin2@contoso.example'))!;
});
after(() => kit.close());

/** A fresh key of the tenant with these scopes: `{token, id}`. */
async function key(tenant: Tenant, scopes: ApiScope[], expiresAt: number | null = null) {
  const r = await kit.app.apiKeys.create({
    tenantId: tenant.id,
    name: `test ${scopes.join(' ')}`,
    scopes,
    expiresAt,
    by: 'cli',
  });
  assert.ok(r.ok);
  return { token: r.value.token, id: r.value.key.id };
}

function call(
  token: string | null,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<LightMyRequestResponse> {
  return kit.server.inject({
    method,
    url: `${ADMIN_API_PREFIX}${path}`,
    headers: {
      ...(token === null ? {} : { authorization: token.startsWith('sspr_') ? `Bearer ${token}` : token }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

function errorOf(res: LightMyRequestResponse): { code: string; message: string; requestId: string } {
  return (res.json() as { error: { code: string; message: string; requestId: string } }).error;
}

function assertError(res: LightMyRequestResponse, status: number, code: string, what: string): void {
  assert.equal(res.statusCode, status, `${what}: ${res.body.slice(0, 300)}`);
  const e = errorOf(res);
  assert.equal(e.code, code, what);
  assert.ok(e.message.length > 0 && e.requestId === res.headers['x-request-id'], `${what}: message and request id`);
}

async function auditOf(type: string, accountId?: string) {
  return kit.app.store.audit.list({ tenantId: contoso.id, type, ...(accountId ? { accountId } : {}) });
}

test('401: no key, a malformed, unknown, wrong, revoked or expired key all get the same answer', async () => {
  const good = await key(contoso, ['users:read']);
  const revoked = await key(contoso, ['users:read']);
  assert.ok((await kit.app.apiKeys.revoke({ keyId: revoked.id, by: 'cli' })).ok);
  const expired = await key(contoso, ['users:read'], clock.now() + 50);
  clock.advance(50);
  const secret = good.token.slice(-43);
  const wrongSecret = good.token.slice(0, -43) + (secret[0] === 'A' ? 'B' : 'A') + secret.slice(1);
  const attempts: [string | null, string][] = [
    [null, 'no header'],
    ['Bearer', 'empty bearer'],
    ['Basic dXNlcjpwYXNz', 'basic auth'],
    [`Bearer sspr_${'0'.repeat(24)}_${secret}`, 'unknown id'],
    ['Bearer not-a-key', 'malformed'],
    [wrongSecret, 'wrong secret'],
    [revoked.token, 'revoked'],
    [expired.token, 'expired'],
  ];
  const bodies = new Set<string>();
  for (const [token, what] of attempts) {
    const res = await call(token, 'GET', '/users');
    assertError(res, 401, 'unauthorized', what);
    assert.match(String(res.headers['www-authenticate']), /^Bearer /, what);
    assert.equal(res.headers['cache-control'], 'no-store');
    bodies.add(JSON.stringify({ ...errorOf(res), requestId: '' }));
  }
  assert.equal(bodies.size, 1, 'one answer for every bad key');
  // 401 comes first: nothing about the route or the body is revealed
  assertError(await call(null, 'PUT', `/users/${user.id}/methods/email`, { nonsense: 1 }), 401, 'unauthorized', 'put');
  assert.equal((await call(good.token, 'GET', '/users')).statusCode, 200, 'the good key works');
});

test('GET /users and /users/{id}: the key’s tenant only; methods masked; other tenants’ ids are 404', async () => {
  const k = await key(contoso, ['users:read']);
  const list = await call(k.token, 'GET', '/users');
  assert.equal(list.statusCode, 200);
  const users = (list.json() as { users: { id: string; login: string; maskedEmail: string | null }[] }).users;
  assert.deepEqual(users.map((u) => u.login).sort(), [
    'admin2@contoso.example',
    'admin@contoso.example',
    'user@contoso.example',
  ]);
  assert.ok(!list.body.includes('fabrikam'), 'nothing of Fabrikam');
  assert.ok(!list.body.includes('user@personal.example'), 'methods are masked');
  assert.equal(users.find((u) => u.login === 'user@contoso.example')?.maskedEmail, 'u••••@personal.example');

  const admins = (await call(k.token, 'GET', '/users?role=global_admin')).json() as { users: { login: string }[] };
  assert.deepEqual(
    admins.users.map((u) => u.login),
    ['admin@contoso.example'],
  );
  const searched = (await call(k.token, 'GET', '/users?search=CASEY')).json() as { users: { login: string }[] };
  assert.deepEqual(
    searched.users.map((u) => u.login),
    ['user@contoso.example'],
  );
  assert.equal(((await call(k.token, 'GET', '/users?limit=1')).json() as { users: unknown[] }).users.length, 1);
  assertError(await call(k.token, 'GET', '/users?limit=0'), 400, 'invalid_request', 'limit 0');
  assertError(await call(k.token, 'GET', '/users?role=root'), 400, 'invalid_request', 'unknown role');

  const one = await call(k.token, 'GET', `/users/${user.id}`);
  assert.equal(one.statusCode, 200);
  const detail = (one.json() as { user: Record<string, unknown> }).user;
  assert.equal(detail.login, 'user@contoso.example');
  assert.deepEqual((detail.methods as { kind: string; masked: string }[]).map((m) => [m.kind, m.masked]).sort(), [
    ['email', 'u••••@personal.example'],
    ['phone', '••• ••• ••03'],
  ]);
  assert.deepEqual(detail.permissions, { credentials: 'scope_missing', account: 'scope_missing' });
  assert.ok(!('recentEvents' in detail) && !('passwordHash' in detail), 'no events, no hash');
  assert.ok(!one.body.includes('+15555550103'), 'no phone number');

  const foreign = await call(k.token, 'GET', `/users/${fabUser.id}`);
  const unknown = await call(k.token, 'GET', '/users/00000000-0000-4000-8000-000000000000');
  assertError(foreign, 404, 'not_found', "Fabrikam's user");
  assertError(unknown, 404, 'not_found', 'unknown id');
  assert.equal(errorOf(foreign).message, errorOf(unknown).message, 'indistinguishable');
  assertError(await call(k.token, 'GET', '/users/..%2F..%2Fetc'), 400, 'invalid_request', 'malformed id');

  // and the other way round: a Fabrikam key sees only Fabrikam
  const fab = await key(fabrikam, ['users:read']);
  const fabList = (await call(fab.token, 'GET', '/users')).json() as { users: { login: string }[] };
  assert.deepEqual(
    fabList.users.map((u) => u.login),
    ['pat@fabrikam.example'],
  );
  assertError(await call(fab.token, 'GET', `/users/${user.id}`), 404, 'not_found', 'Contoso user from Fabrikam');
});

test('scopes hold: a users:read key can read but not reset, pre-fill, unblock, read help requests or the audit log', async () => {
  const k = await key(contoso, ['users:read']);
  const before = await kit.app.store.audit.list({ tenantId: contoso.id, limit: 1000 });
  const attempts: [LightMyRequestResponse, string][] = [
    [await call(k.token, 'POST', `/users/${user.id}/reset-link`), 'reset-link'],
    [await call(k.token, 'PUT', `/users/${user.id}/methods/email`, { value: 'x@example.com' }), 'pre-fill'],
    [await call(k.token, 'POST', `/users/${user.id}/unblock`), 'unblock'],
    [await call(k.token, 'GET', '/help-requests'), 'help list'],
    [await call(k.token, 'POST', '/help-requests/abc/resolve'), 'resolve'],
    [await call(k.token, 'POST', '/help-requests/abc/dismiss', { reason: 'x' }), 'dismiss'],
    [await call(k.token, 'GET', '/audit'), 'audit'],
  ];
  for (const [res, what] of attempts) assertError(res, 403, 'scope_missing', what);
  const resetOnly = await key(contoso, ['resets:write']);
  assertError(await call(resetOnly.token, 'GET', '/users'), 403, 'scope_missing', 'resets:write cannot list');
  const afterEvents = await kit.app.store.audit.list({ tenantId: contoso.id, limit: 1000 });
  assert.ok(
    !afterEvents.slice(0, afterEvents.length - before.length).some((e) => e.type.startsWith('admin.reset')),
    'nothing was reset',
  );
  assert.equal(
    (await kit.app.store.directory.listMethods(user.id)).find((m) => m.kind === 'email')?.value,
    'user@personal.example',
  );
});

test('POST /users/{id}/reset-link: sends a link to a user (202, audited as the key); never to an admin, nor across tenants', async () => {
  const k = await key(contoso, ['resets:write']);
  const res = await call(k.token, 'POST', `/users/${user.id}/reset-link`);
  assert.equal(res.statusCode, 202, res.body);
  const body = res.json() as { mode: string; expiresAt: number };
  assert.equal(body.mode, 'link');
  assert.equal(body.expiresAt, clock.now() + 24 * 3_600_000, 'valid 24 h');
  assert.doesNotMatch(res.body, /reset\/assisted|token/, 'the link is never returned');
  const mail = await newestMatch(kit.app, 'user@personal.example', /\/reset\/assisted\?t=([A-Za-z0-9_-]+)/);
  assert.ok(mail, 'the link went to the registered alternate email');
  const [event] = await auditOf('admin.reset_link_sent', user.id);
  assert.equal(event?.actor, `api_key:${k.id}`);

  const toAdmin = await call(k.token, 'POST', `/users/${admin.id}/reset-link`);
  assertError(toAdmin, 403, 'needs_global_admin', 'a key cannot reset an admin');
  const globalAdmin = (await kit.app.store.directory.findAccountByLogin('admin@contoso.example'))!;
  assertError(
    await call(k.token, 'POST', `/users/${globalAdmin.id}/reset-link`),
    403,
    'needs_global_admin',
    'nor a global admin',
  );
  const denied = await auditOf('admin.denied', admin.id);
  assert.ok(
    denied.some((e) => e.actor === `api_key:${k.id}`),
    'the refusal is audited with the key',
  );
  assertError(await call(k.token, 'POST', `/users/${fabUser.id}/reset-link`), 404, 'not_found', 'Fabrikam user');
  assert.equal((await kit.app.store.audit.list({ tenantId: fabrikam.id, type: 'admin.reset_link_sent' })).length, 0);
});

test('PUT /users/{id}/methods/{kind} and POST /users/{id}/unblock: users:write, audited as the key', async () => {
  const k = await key(contoso, ['users:write']);
  const put = await call(k.token, 'PUT', `/users/${user.id}/methods/phone`, { value: '+44 7700 900123' });
  assert.equal(put.statusCode, 200, put.body);
  const method = (put.json() as { method: { kind: string; masked: string; verifiedAt: number | null } }).method;
  assert.equal(method.kind, 'phone');
  assert.equal(method.masked, '••• ••• ••23');
  assert.ok(method.verifiedAt !== null);
  assert.equal(
    (await kit.app.store.directory.listMethods(user.id)).find((m) => m.kind === 'phone')?.value,
    '+447700900123',
  );
  const [prefilled] = await auditOf('admin.method_prefilled', user.id);
  assert.equal(prefilled?.actor, `api_key:${k.id}`);

  assertError(
    await call(k.token, 'PUT', `/users/${user.id}/methods/email`, { value: 'not an email' }),
    400,
    'email_invalid',
    'bad email',
  );
  assertError(
    await call(k.token, 'PUT', `/users/${user.id}/methods/fax`, { value: '1' }),
    400,
    'invalid_request',
    'kind',
  );
  assertError(await call(k.token, 'PUT', `/users/${user.id}/methods/email`, {}), 400, 'invalid_request', 'no value');
  assertError(
    await call(k.token, 'PUT', `/users/${admin.id}/methods/email`, { value: 'evil@example.com' }),
    403,
    'needs_global_admin',
    "an admin's methods",
  );
  assertError(
    await call(k.token, 'PUT', `/users/${fabUser.id}/methods/email`, { value: 'evil@example.com' }),
    404,
    'not_found',
    "Fabrikam's user",
  );
  assert.equal(
    (await kit.app.store.directory.listMethods(fabUser.id)).find((m) => m.kind === 'email')?.value,
    'pat@home.example',
  );
  const form = await kit.server.inject({
    method: 'PUT',
    url: `${ADMIN_API_PREFIX}/users/${user.id}/methods/email`,
    headers: { authorization: `Bearer ${k.token}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'value=x%40example.com',
  });
  assert.equal(form.statusCode, 415, 'JSON only');

  const unblock = await call(k.token, 'POST', `/users/${user.id}/unblock`);
  assert.equal(unblock.statusCode, 200);
  assert.deepEqual(unblock.json(), { id: user.id, blocked: false });
  const [unblocked] = await auditOf('admin.self_service_unblocked', user.id);
  assert.equal(unblocked?.actor, `api_key:${k.id}`);
  assertError(await call(k.token, 'POST', `/users/${fabUser.id}/unblock`), 404, 'not_found', 'Fabrikam unblock');
  assertError(await call(k.token, 'POST', `/users/${admin.id}/unblock`), 403, 'needs_global_admin', 'admin unblock');
});

test('help requests: list (help:read), resolve with a link (help:write + resets:write), dismiss with a reason; tenant wall', async () => {
  const rc = { ip: '192.0.2.1', userAgent: 'test' };
  assert.ok((await kit.app.help.submit('user@contoso.example', 'I lost my phone and my email', rc)).ok);
  const reader = await key(contoso, ['help:read']);
  const listed = await call(reader.token, 'GET', '/help-requests');
  assert.equal(listed.statusCode, 200, listed.body);
  const requests = (
    listed.json() as { requests: { id: string; status: string; message: string; requester: { login: string } }[] }
  ).requests;
  const mine = requests.find((r) => r.requester?.login === 'user@contoso.example');
  assert.ok(mine, 'the request is listed');
  assert.equal(mine.status, 'open');
  assert.equal(mine.message, 'I lost my phone and my email');

  const fabReader = await key(fabrikam, ['help:read', 'help:write', 'resets:write']);
  const fabList = (await call(fabReader.token, 'GET', '/help-requests')).json() as { requests: unknown[] };
  assert.deepEqual(fabList.requests, [], "Fabrikam sees none of Contoso's requests");
  assertError(
    await call(fabReader.token, 'POST', `/help-requests/${mine.id}/resolve`),
    404,
    'not_found',
    'Fabrikam resolve',
  );
  assertError(
    await call(fabReader.token, 'POST', `/help-requests/${mine.id}/dismiss`, { reason: 'no' }),
    404,
    'not_found',
    'Fabrikam dismiss',
  );

  const helpOnly = await key(contoso, ['help:write']);
  assertError(
    await call(helpOnly.token, 'POST', `/help-requests/${mine.id}/resolve`),
    403,
    'scope_missing',
    'resolve needs resets:write',
  );
  const writer = await key(contoso, ['help:write', 'resets:write']);
  const resolved = await call(writer.token, 'POST', `/help-requests/${mine.id}/resolve`);
  assert.equal(resolved.statusCode, 200, resolved.body);
  assert.deepEqual(resolved.json(), { id: mine.id, status: 'resolved' });
  assertError(await call(writer.token, 'POST', `/help-requests/${mine.id}/resolve`), 409, 'request_closed', 'twice');
  const [event] = await auditOf('help.resolved');
  assert.equal(event?.actor, `api_key:${writer.id}`);
  const closed = (await call(reader.token, 'GET', '/help-requests?status=closed')).json() as {
    requests: { id: string; resolvedBy: string; resolution: string }[];
  };
  assert.deepEqual(
    closed.requests.filter((r) => r.id === mine.id).map((r) => [r.resolvedBy, r.resolution]),
    [[`api_key:${writer.id}`, 'reset_link']],
  );

  // dismiss
  clock.advance(5);
  assert.ok((await kit.app.help.submit('user@contoso.example', 'Please help again', rc)).ok);
  const again = ((await call(reader.token, 'GET', '/help-requests')).json() as { requests: { id: string }[] })
    .requests[0]!;
  assertError(
    await call(helpOnly.token, 'POST', `/help-requests/${again.id}/dismiss`, { reason: '  ' }),
    400,
    'reason_missing',
    'blank',
  );
  assertError(
    await call(helpOnly.token, 'POST', `/help-requests/${again.id}/dismiss`, {}),
    400,
    'invalid_request',
    'no reason',
  );
  const dismissed = await call(helpOnly.token, 'POST', `/help-requests/${again.id}/dismiss`, {
    reason: 'Duplicate request',
  });
  assert.equal(dismissed.statusCode, 200, dismissed.body);
  assert.deepEqual(dismissed.json(), { id: again.id, status: 'dismissed' });
  const [dismissEvent] = await auditOf('help.dismissed');
  assert.equal(dismissEvent?.actor, `api_key:${helpOnly.id}`);
  assertError(
    await call(helpOnly.token, 'POST', '/help-requests/nope/resolve'),
    403,
    'scope_missing',
    'unknown id, scope first',
  );
  assertError(await call(writer.token, 'POST', '/help-requests/nope/resolve'), 404, 'not_found', 'unknown id');
});

test('GET /audit: the tenant’s events, filtered, with cursor pagination; keys appear as api_key:<id>', async () => {
  const k = await key(contoso, ['audit:read']);
  const first = await call(k.token, 'GET', '/audit?limit=3');
  assert.equal(first.statusCode, 200, first.body);
  const page1 = first.json() as { events: { id: number; actor: string; type: string }[]; nextCursor: number | null };
  assert.equal(page1.events.length, 3);
  assert.ok(page1.nextCursor !== null);
  const second = (await call(k.token, 'GET', `/audit?limit=3&cursor=${page1.nextCursor}`)).json() as typeof page1;
  assert.ok(second.events.length > 0);
  assert.ok(Math.max(...second.events.map((e) => e.id)) < Math.min(...page1.events.map((e) => e.id)), 'older page');

  const created = (await call(k.token, 'GET', '/audit?type=api_key.created&limit=500')).json() as typeof page1;
  assert.ok(created.events.length > 0 && created.events.every((e) => e.type === 'api_key.created'));
  const byKeys = (await call(k.token, 'GET', '/audit?type=admin.reset_link_sent')).json() as typeof page1;
  assert.ok(
    byKeys.events.some((e) => /^api_key:[0-9a-f]{24}$/.test(e.actor)),
    'API key actions are attributed to the key',
  );
  const account = (await call(k.token, 'GET', '/audit?account=user@contoso.example&limit=500')).json() as {
    events: { accountLogin: string | null }[];
  };
  assert.ok(account.events.length > 0 && account.events.every((e) => e.accountLogin === 'user@contoso.example'));
  const future = (await call(k.token, 'GET', `/audit?since=${clock.now() + 3_600_000}`)).json() as typeof page1;
  assert.deepEqual(future, { events: [], nextCursor: null });
  assertError(await call(k.token, 'GET', '/audit?cursor=abc'), 400, 'invalid_request', 'cursor');

  const fab = await key(fabrikam, ['audit:read']);
  const fabEvents = (await call(fab.token, 'GET', '/audit?limit=500')).json() as {
    events: { accountLogin: string | null }[];
  };
  assert.ok(fabEvents.events.length > 0, 'Fabrikam has its own events');
  assert.ok(!JSON.stringify(fabEvents).includes('contoso'), 'nothing of Contoso');
  const fabContoso = (await call(fab.token, 'GET', '/audit?account=user@contoso.example')).json() as typeof page1;
  assert.deepEqual(fabContoso.events, [], "Contoso's user is nobody in Fabrikam's log");
});

test('the API key never appears in the logs', async () => {
  let logs = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  const t = await createTestApp({ SSPR_LOG_LEVEL: 'info' }, { logger: createLogger({ log_level: 'info' }, sink) });
  const server = await buildServer(t.app);
  try {
    await setupDemo(t.app.directory, t.app.random, 'test');
    const c = await t.app.directory.getTenantByName('Contoso Demo');
    assert.ok(c.ok);
    const created = await t.app.apiKeys.create({
      tenantId: c.value.id,
      name: 'log',
      scopes: ['users:read'],
      expiresAt: null,
      by: 'cli',
    });
    assert.ok(created.ok);
    const token = created.value.token;
    assert.equal(
      (await server.inject({ url: `${ADMIN_API_PREFIX}/users`, headers: { authorization: `Bearer ${token}` } }))
        .statusCode,
      200,
    );
    const bad = await server.inject({
      url: `${ADMIN_API_PREFIX}/users?x=${token}`,
      headers: { authorization: `Bearer ${token}x` },
    });
    assert.equal(bad.statusCode, 401);
    assert.ok(logs.includes(ADMIN_API_PREFIX), 'requests were logged');
    assert.ok(!logs.includes(token.slice(5)), 'no key in the logs');
  } finally {
    await server.close();
    await t.cleanup();
  }
});
