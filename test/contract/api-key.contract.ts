import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NewApiKey } from '../../src/ports/api-key-store.ts';
import { T0, seed, sharedStore, uid, type OpenStore } from './contract-kit.ts';

function key(tenantId: string, over: Partial<NewApiKey> = {}): NewApiKey {
  return {
    id: uid('key'),
    tenantId,
    name: 'HR sync',
    scopes: ['users:read', 'users:write'],
    secretHash: uid('secret'),
    createdBy: 'cli',
    createdAt: T0,
    expiresAt: null,
    ...over,
  };
}

/** The ApiKeyRepo contract: tenants' admin API keys. */
export function apiKeyRepoContract(name: string, open: OpenStore): void {
  describe(`ApiKeyRepo contract: ${name}`, () => {
    const store = sharedStore(open);

    test('create and get round-trip (scopes kept in order); unknown → null', async () => {
      const { tenant } = await seed(store());
      const k = key(tenant.id, { expiresAt: T0 + 5 });
      await store().apiKeys.create(k);
      assert.deepEqual(await store().apiKeys.get(k.id), { ...k, lastUsedAt: null, revokedAt: null, revokedBy: null });
      assert.equal(await store().apiKeys.get('no-such-key'), null);
    });

    test('list: every key of the tenant, revoked ones too, newest first; other tenants absent', async () => {
      const { tenant } = await seed(store());
      const older = key(tenant.id, { createdAt: T0 });
      const newer = key(tenant.id, { createdAt: T0 + 10 });
      await store().apiKeys.create(older);
      await store().apiKeys.create(newer);
      await store().apiKeys.revoke(older.id, 'cli', T0 + 20);
      await store().apiKeys.create(key((await seed(store())).tenant.id));
      assert.deepEqual(
        (await store().apiKeys.list(tenant.id)).map((k) => k.id),
        [newer.id, older.id],
      );
      assert.deepEqual(await store().apiKeys.list('no-such-tenant'), []);
    });

    test('revoke: true once (in parallel too), records who and when; false for an unknown key', async () => {
      const k = key((await seed(store())).tenant.id);
      await store().apiKeys.create(k);
      const raced = await Promise.all([
        store().apiKeys.revoke(k.id, 'admin:a', T0 + 1),
        store().apiKeys.revoke(k.id, 'admin:b', T0 + 1),
      ]);
      assert.deepEqual(raced.sort(), [false, true]);
      const revoked = await store().apiKeys.get(k.id);
      assert.equal(revoked?.revokedAt, T0 + 1);
      assert.ok(revoked?.revokedBy === 'admin:a' || revoked?.revokedBy === 'admin:b');
      assert.equal(await store().apiKeys.revoke('no-such-key', 'cli', T0), false);
    });

    test('touch only moves lastUsedAt forward', async () => {
      const k = key((await seed(store())).tenant.id);
      await store().apiKeys.create(k);
      await store().apiKeys.touch(k.id, T0 + 100);
      await store().apiKeys.touch(k.id, T0 + 50);
      assert.equal((await store().apiKeys.get(k.id))?.lastUsedAt, T0 + 100);
      await store().apiKeys.touch('no-such-key', T0); // harmless
    });
  });
}
