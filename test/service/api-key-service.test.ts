import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Actor } from '../../src/core/admin-rules.ts';
import type { Account, Tenant } from '../../src/core/directory-model.ts';
import type { Clock } from '../../src/ports/clock.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import {
  API_KEY_HMAC_PURPOSE,
  API_KEY_PATTERN,
  API_KEY_TOUCH_INTERVAL_MS,
  ApiKeyService,
  bearerToken,
  parseScopes,
  type CreateApiKeyInput,
} from '../../src/service/api-key-service.ts';
import { setupDemo } from '../../src/service/demo.ts';
import { withMigratedPostgresDatabase } from '../helpers/databases.ts';
import { createTestApp } from '../helpers/test-app.ts';

/** Admin API keys: lifecycle, storage (HMAC only), authentication, expiry, tenant walls; SQLite and PostgreSQL. */

interface Fixture {
  readonly app: App;
  readonly contoso: Tenant;
  readonly fabrikam: Tenant;
  readonly contosoAdmin: Account;
  readonly fabrikamAdmin: Account;
  /** The raw `api_keys` row, read straight from the database (not through our code). */
  rawRow(id: string): Promise<Record<string, unknown> | undefined>;
}

async function fixture(app: App, rawRow: Fixture['rawRow']): Promise<Fixture> {
  await setupDemo(app.directory, app.random, 'test');
  const fab = await app.directory.createTenant({ name: 'Fabrikam', domains: ['fabrikam.example'], actor: 'test' });
  assert.ok(fab.ok);
  const fabAdmin = await app.directory.addUser({
    login: 'boss@fabrikam.example',
    displayName: 'Fab Boss',
    role: 'global_admin',
    actor: 'test',
  });
  assert.ok(fabAdmin.ok);
  const contoso = (await app.directory.getTenantByName('Contoso Demo')) as { ok: true; value: Tenant };
  const contosoAdmin = await app.store.directory.findAccountByLogin('admin2@contoso.example');
  assert.ok(contoso.ok && contosoAdmin);
  return {
    app,
    contoso: contoso.value,
    fabrikam: fab.value,
    contosoAdmin,
    fabrikamAdmin: fabAdmin.value,
    rawRow,
  };
}

const admin = (account: Account): Actor => ({ kind: 'admin', account });

async function lifecycle(f: Fixture): Promise<void> {
  const { app, contoso } = f;
  const created = await app.apiKeys.create({
    tenantId: contoso.id,
    name: '  HR sync  ',
    scopes: ['users:read', 'resets:write', 'users:read'],
    expiresAt: null,
    by: admin(f.contosoAdmin),
    rc: { ip: '192.0.2.7', userAgent: 'test' },
  });
  assert.ok(created.ok, JSON.stringify(created));
  const { token, key } = created.value;
  const m = API_KEY_PATTERN.exec(token);
  assert.ok(m, `the key has the form sspr_<id>_<secret>: ${token}`);
  const [, id, secret] = m as unknown as [string, string, string];
  assert.equal(id, key.id);
  assert.equal(Buffer.from(secret, 'base64url').length, 32, 'the secret is 256 bits');
  assert.equal(key.name, 'HR sync');
  assert.deepEqual(key.scopes, ['users:read', 'resets:write'], 'scopes deduplicated, in catalogue order');
  assert.equal(key.status, 'active');
  assert.equal(key.createdBy, `admin:${f.contosoAdmin.id}`);
  assert.equal(key.hint, `sspr_${id}_…`);

  // the database holds only the HMAC of the secret
  const row = await f.rawRow(id);
  assert.ok(row, 'the row exists');
  const rowText = JSON.stringify(row);
  assert.ok(!rowText.includes(secret), 'the secret is not in the row');
  assert.ok(!rowText.includes(token), 'the key is not in the row');
  assert.equal(row.secret_hash, app.keyring.hmac(API_KEY_HMAC_PURPOSE, `${id}.${secret}`));
  assert.match(String(row.secret_hash), /^[0-9a-f]{64}$/);
  assert.equal(row.tenant_id, contoso.id);

  // list: every field but the secret
  const listed = await app.apiKeys.list(contoso.id);
  assert.deepEqual(
    listed.map((k) => k.id),
    [id],
  );
  const listText = JSON.stringify(listed);
  assert.ok(!listText.includes(secret) && !listText.includes(String(row.secret_hash)), 'list shows no secret or hash');
  assert.deepEqual(await app.apiKeys.list(f.fabrikam.id), [], "Fabrikam does not see Contoso's key");

  // authenticate: the exact key only
  const actor = await app.apiKeys.authenticate(`Bearer ${token}`);
  assert.deepEqual(actor, { kind: 'api_key', keyId: id, tenantId: contoso.id, scopes: ['users:read', 'resets:write'] });
  assert.ok(await app.apiKeys.authenticate(`bearer ${token}`), 'the scheme is case-insensitive');
  assert.ok((await app.apiKeys.list(contoso.id))[0]!.lastUsedAt !== null, 'last use recorded');
  const flipped = secret[0] === 'A' ? `B${secret.slice(1)}` : `A${secret.slice(1)}`;
  for (const bad of [
    undefined,
    '',
    token,
    `Basic ${token}`,
    `Bearer sspr_${id}_${flipped}`,
    `Bearer sspr_${'0'.repeat(24)}_${secret}`,
    `Bearer ${token}x`,
    `Bearer ${token.toUpperCase()}`,
  ]) {
    assert.equal(await app.apiKeys.authenticate(bad), null, `rejected: ${String(bad).slice(0, 20)}…`);
  }

  // another tenant's admin can neither see nor revoke it; an API key cannot revoke keys
  const foreign = await app.apiKeys.revoke({ keyId: id, by: admin(f.fabrikamAdmin) });
  assert.deepEqual(foreign, { ok: false, error: 'key_not_found' });
  assert.equal(await app.apiKeys.get(id, f.fabrikam.id), null);
  const byKey = await app.apiKeys.revoke({ keyId: id, by: actor! });
  assert.deepEqual(byKey, { ok: false, error: 'key_not_found' });
  assert.ok(await app.apiKeys.authenticate(`Bearer ${token}`), 'still live after refused revocations');

  // revoke: for good
  const revoked = await app.apiKeys.revoke({ keyId: id, by: 'cli' });
  assert.ok(revoked.ok);
  assert.equal(revoked.value.status, 'revoked');
  assert.equal(revoked.value.revokedBy, 'cli');
  assert.equal(await app.apiKeys.authenticate(`Bearer ${token}`), null, 'a revoked key does not authenticate');
  assert.deepEqual(await app.apiKeys.revoke({ keyId: id, by: 'cli' }), { ok: false, error: 'already_revoked' });
  assert.deepEqual(await app.apiKeys.revoke({ keyId: 'nope', by: 'cli' }), { ok: false, error: 'key_not_found' });
  assert.equal((await app.apiKeys.list(contoso.id))[0]!.status, 'revoked');

  // both changes are in the audit trail with who did them, and no secret
  const events = await app.store.audit.list({ tenantId: contoso.id });
  const createdEvent = events.find((e) => e.type === 'api_key.created');
  const revokedEvent = events.find((e) => e.type === 'api_key.revoked');
  assert.ok(createdEvent && revokedEvent);
  assert.equal(createdEvent.actor, `admin:${f.contosoAdmin.id}`);
  assert.equal(createdEvent.ip, '192.0.2.7');
  assert.deepEqual(createdEvent.details, {
    keyId: id,
    name: 'HR sync',
    scopes: 'users:read resets:write',
    expiresAt: null,
  });
  assert.equal(revokedEvent.actor, 'cli');
  assert.equal(revokedEvent.details.keyId, id);
  assert.ok(!JSON.stringify(events).includes(secret), 'no secret in the audit trail');
}

test('API keys on SQLite: created once, stored as an HMAC only, listed without secrets, revoked for good', async () => {
  const { app, dataDir, cleanup } = await createTestApp();
  const raw = new Database(path.join(dataDir, 'sspr.db'), { readonly: true, fileMustExist: true });
  try {
    const f = await fixture(
      app,
      async (id) => raw.prepare('select * from api_keys where id = ?').get(id) as Record<string, unknown> | undefined,
    );
    await lifecycle(f);
  } finally {
    raw.close();
    await cleanup();
  }
});

test('API keys on PostgreSQL: the same lifecycle', async () => {
  await withMigratedPostgresDatabase(async (url) => {
    const { app, cleanup } = await createTestApp({ SSPR_DATABASE_URL: url });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const f = await fixture(app, async (id) => {
        const r = await client.query('select * from api_keys where id = $1', [id]);
        return r.rows[0] as Record<string, unknown> | undefined;
      });
      await lifecycle(f);
    } finally {
      await client.end();
      await cleanup();
    }
  });
});

test('API keys expire at their expiry time (t - 1 ms works, t does not); last use is written at most once a minute', async () => {
  const { app, cleanup } = await createTestApp();
  try {
    const f = await fixture(app, async () => undefined);
    let now = 1_800_000_000_000;
    const clock: Clock = { now: () => now };
    const keys = new ApiKeyService({ store: app.store, keyring: app.keyring, random: app.random, clock });
    const expiresAt = now + 30 * 86_400_000;
    const created = await keys.create({
      tenantId: f.contoso.id,
      name: 'Short-lived',
      scopes: ['audit:read'],
      expiresAt,
      by: 'cli',
    });
    assert.ok(created.ok);
    const header = `Bearer ${created.value.token}`;

    now = expiresAt - 10_000;
    assert.ok(await keys.authenticate(header));
    assert.equal((await keys.get(created.value.key.id))!.lastUsedAt, now);
    const firstUse = now;
    now = expiresAt - 1; // within a minute of the last write: not written again
    assert.ok(await keys.authenticate(header), 'works until the last millisecond');
    assert.equal((await keys.get(created.value.key.id))!.lastUsedAt, firstUse);

    now = expiresAt;
    assert.equal(await keys.authenticate(header), null, 'expired at its expiry time');
    assert.equal((await keys.list(f.contoso.id))[0]!.status, 'expired');
    now = expiresAt + API_KEY_TOUCH_INTERVAL_MS;
    assert.equal(await keys.authenticate(header), null);

    // an expiry must be in the future
    assert.deepEqual(
      await keys.create({ tenantId: f.contoso.id, name: 'x', scopes: ['audit:read'], expiresAt: now, by: 'cli' }),
      { ok: false, error: 'expiry_invalid', detail: 'the expiry must be in the future' },
    );
  } finally {
    await cleanup();
  }
});

test('creating a key: bad names, scopes, tenants and managers are refused and nothing is written', async () => {
  const { app, cleanup } = await createTestApp();
  try {
    const f = await fixture(app, async () => undefined);
    const base: CreateApiKeyInput = {
      tenantId: f.contoso.id,
      name: 'ok',
      scopes: ['users:read'],
      expiresAt: null,
      by: 'cli',
    };
    const cases: [Partial<CreateApiKeyInput>, string][] = [
      [{ name: '   ' }, 'name_invalid'],
      [{ name: 'x'.repeat(101) }, 'name_invalid'],
      [{ name: 'a\nb' }, 'name_invalid'],
      [{ scopes: [] }, 'scopes_missing'],
      [{ scopes: ['users:read', 'users:delete'] }, 'scope_unknown'],
      [{ scopes: ['admin'] }, 'scope_unknown'],
      [{ tenantId: 'no-such-tenant' }, 'tenant_not_found'],
      [{ by: admin(f.fabrikamAdmin) }, 'not_allowed'],
      [{ by: { kind: 'api_key', keyId: 'k', tenantId: f.contoso.id, scopes: ['users:write'] } }, 'not_allowed'],
      [{ by: { kind: 'operator', operatorId: 'op', login: 'op@support' } }, 'not_allowed'],
    ];
    for (const [patch, error] of cases) {
      const r = await app.apiKeys.create({ ...base, ...patch });
      assert.equal(r.ok ? 'ok' : r.error, error, JSON.stringify(patch).slice(0, 80));
    }
    const user = await app.store.directory.findAccountByLogin('user@contoso.example');
    const r = await app.apiKeys.create({ ...base, by: admin(user!) });
    assert.equal(r.ok ? 'ok' : r.error, 'not_allowed', 'a plain user may not create keys');
    assert.deepEqual(await app.apiKeys.list(f.contoso.id), []);
    assert.equal((await app.store.audit.list({ type: 'api_key.created' })).length, 0);

    // helpers
    assert.deepEqual(parseScopes(['help:write help:read', 'audit:read,users:read']), {
      ok: true,
      value: ['users:read', 'help:read', 'help:write', 'audit:read'],
    });
    assert.equal(bearerToken('Bearer  abc '), 'abc');
    assert.equal(bearerToken('Bearer a b'), null);
    assert.equal(bearerToken(`Bearer ${'a'.repeat(300)}`), null);
  } finally {
    await cleanup();
  }
});
