import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN_API_PREFIX } from '../../src/http/api/admin-api-plugin.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { createPagesKit } from './reset-pages-kit.ts';

test('admin API: the gate policy per audience, impossible policies refused in the caller’s language, the coverage (a new app counts only after its cooling-off)', async () => {
  const clock = new ManualClock();
  const kit = await createPagesKit({}, { clock });
  try {
    const found = await kit.app.directory.getTenantByName('Contoso Demo');
    assert.ok(found.ok);
    const tenant = found.value;
    const token = async (scopes: ('policy:read' | 'policy:write')[]) => {
      const r = await kit.app.apiKeys.create({
        tenantId: tenant.id,
        name: 'gates',
        scopes,
        expiresAt: null,
        by: 'cli',
      });
      assert.ok(r.ok);
      return r.value.token;
    };
    const writer = await token(['policy:read', 'policy:write']);
    const reader = await token(['policy:read']);
    const call = (method: 'GET' | 'PUT', path: string, body?: unknown, headers: Record<string, string> = {}) =>
      kit.server.inject({
        method,
        url: `${ADMIN_API_PREFIX}/policy/gates${path}`,
        headers: {
          authorization: `Bearer ${method === 'GET' ? reader : writer}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body ? { payload: JSON.stringify(body) } : {}),
      });

    // refused, each problem named after its field; in German for a German caller; nothing saved
    const bad = await call('PUT', '', { admins: { count: 1 }, users: { methods: ['totp'] } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'invalid_request');
    assert.match(bad.json().error.message, /- userMethods: The alternate email must count/);
    assert.match(bad.json().error.message, /- adminGates: Administrators must pass 2 steps of different kinds/);
    const de = await call('PUT', '', { admins: { methods: ['email'] } }, { 'accept-language': 'de' });
    assert.match(de.json().error.message, /- adminMethods: Administratoren mit 2 Schritten brauchen/);
    assert.equal((await call('PUT', '', { users: { methods: ['fax'] } })).statusCode, 400, 'not a method');
    assert.equal((await call('GET', '')).json().admins.count, 2, 'nothing saved');

    // saved: users pass the email then the authenticator app; admins must use a passkey
    const saved = await call('PUT', '', {
      users: { count: 2, methods: ['totp', 'email'] },
      admins: { passkeyRequired: true },
    });
    assert.equal(saved.statusCode, 200);
    assert.deepEqual(saved.json(), {
      users: { methods: ['email', 'totp'], count: 2, passkeyRequired: false },
      admins: { methods: ['email', 'sms', 'totp', 'passkey'], count: 2, passkeyRequired: true },
      userGates: 2,
      adminsRequirePasskey: true,
    });
    const audit = await kit.app.store.audit.list({ tenantId: tenant.id, type: 'admin.policy_updated', limit: 1 });
    assert.equal(audit[0]!.details.userMethods, 'email sms totp passkey → email totp');
    assert.equal(audit[0]!.details.userGates, '1 → 2');

    // the coverage: the demo's user has email and phone, no app; neither admin has a passkey
    const coverage = await call('GET', '/coverage');
    assert.equal(coverage.statusCode, 200);
    const body = coverage.json();
    assert.deepEqual(body.users, { total: 1, cannot: 1 });
    assert.deepEqual(body.admins, { total: 2, cannot: 2 });
    assert.deepEqual(
      body.adminsWhoCannot.map((a: { login: string }) => a.login),
      ['admin2@contoso.example', 'admin@contoso.example'],
    );
    assert.equal(body.adminsNotListed, 0);
    assert.deepEqual(body.gates.users.methods, ['email', 'totp']);

    // the user adds an authenticator app beside the email: during its cooling-off (24 hours by
    // default, core coolingOffUntil) it opens no gate, so the coverage still counts the user out
    const user = await kit.app.store.directory.findAccountByLogin('user@contoso.example');
    assert.ok(user);
    await kit.app.store.authenticators.createPending({
      id: 'app-user',
      accountId: user.id,
      secretSealed: 'sealed',
      sessionHash: 'session',
      createdAt: clock.now(),
    });
    await kit.app.store.authenticators.confirm('app-user', 1, clock.now());
    const users = async () => (await call('GET', '/coverage')).json().users;
    assert.deepEqual(await users(), { total: 1, cannot: 1 }, 'a new app in its cooling-off');
    clock.advance(24 * 3_600_000 - 1);
    assert.deepEqual(await users(), { total: 1, cannot: 1 }, 'one millisecond before its cooling-off ends');
    clock.advance(1);
    assert.deepEqual(await users(), { total: 1, cannot: 0 }, 'the app after its cooling-off');
  } finally {
    await kit.close();
  }
});
