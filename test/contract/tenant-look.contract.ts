import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EMPTY_LOOK, type TenantLook } from '../../src/core/tenant-look.ts';
import { T0, seed, sharedStore, type OpenStore } from './contract-kit.ts';

const LOOK: TenantLook = {
  displayName: 'Contoso 株式会社',
  primaryColour: '#0b57d0',
  host: 'reset.contoso.example',
  startNotes: { en: 'Call 1234.\nWe answer.', ar: 'اتصل بـ 1234' },
  logo: null,
  defaultLocale: 'pt-BR',
  timeZone: 'America/Sao_Paulo',
};

/** The TenantLookRepo contract: a tenant's look and words, its logo bytes, the host index. */
export function tenantLookRepoContract(name: string, open: OpenStore): void {
  describe(`TenantLookRepo contract: ${name}`, () => {
    const store = sharedStore(open);

    test('a tenant without a look has EMPTY_LOOK; save, read back, find by host; update keeps the logo', async () => {
      const { tenant } = await seed(store());
      assert.deepEqual(await store().looks.getLook(tenant.id), EMPTY_LOOK);
      const look = { ...LOOK, host: `reset.${tenant.id}.example` };
      assert.deepEqual(await store().looks.saveLook(tenant.id, look, T0), { ok: true, value: undefined });
      assert.deepEqual(await store().looks.getLook(tenant.id), look);
      assert.deepEqual(await store().looks.findByHost(look.host), { tenantId: tenant.id, look });
      assert.equal(await store().looks.findByHost('nobody.example'), null);

      const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
      await store().looks.setLogo(tenant.id, { hash: 'a'.repeat(64), width: 120, height: 40, png }, T0 + 1);
      const withLogo = await store().looks.getLook(tenant.id);
      assert.deepEqual(withLogo.logo, { hash: 'a'.repeat(64), width: 120, height: 40 });
      assert.equal(withLogo.displayName, look.displayName);
      const stored = await store().looks.getLogo(tenant.id, 'a'.repeat(64));
      assert.deepEqual(stored && [...stored.png], [...png]);
      assert.equal(await store().looks.getLogo(tenant.id, 'b'.repeat(64)), null, 'another hash: nothing');

      // saving the words again keeps the logo; removing the logo keeps the words
      await store().looks.saveLook(tenant.id, { ...look, displayName: 'Contoso', logo: null }, T0 + 2);
      assert.deepEqual((await store().looks.getLook(tenant.id)).logo, withLogo.logo);
      await store().looks.setLogo(tenant.id, null, T0 + 3);
      const after = await store().looks.getLook(tenant.id);
      assert.equal(after.logo, null);
      assert.equal(after.displayName, 'Contoso');
      assert.equal(await store().looks.getLogo(tenant.id, 'a'.repeat(64)), null);
    });

    test('the default language and time zone are saved, changed and cleared with the words (0018)', async () => {
      const { tenant } = await seed(store());
      await store().looks.saveLook(tenant.id, { ...EMPTY_LOOK, defaultLocale: 'ja', timeZone: 'Asia/Tokyo' }, T0);
      const saved = await store().looks.getLook(tenant.id);
      assert.equal(saved.defaultLocale, 'ja');
      assert.equal(saved.timeZone, 'Asia/Tokyo');
      // the logo's own write keeps them
      await store().looks.setLogo(
        tenant.id,
        { hash: 'd'.repeat(64), width: 1, height: 1, png: new Uint8Array([1]) },
        T0,
      );
      assert.equal((await store().looks.getLook(tenant.id)).timeZone, 'Asia/Tokyo');
      await store().looks.saveLook(tenant.id, { ...saved, defaultLocale: 'ar', timeZone: null }, T0 + 1);
      const changed = await store().looks.getLook(tenant.id);
      assert.equal(changed.defaultLocale, 'ar');
      assert.equal(changed.timeZone, null);
      await store().looks.saveLook(tenant.id, { ...changed, defaultLocale: null }, T0 + 2);
      assert.equal((await store().looks.getLook(tenant.id)).defaultLocale, null);
    });

    test('a logo set before any words makes a row with empty words', async () => {
      const { tenant } = await seed(store());
      await store().looks.setLogo(
        tenant.id,
        { hash: 'c'.repeat(64), width: 1, height: 1, png: new Uint8Array([1]) },
        T0,
      );
      assert.deepEqual(await store().looks.getLook(tenant.id), {
        ...EMPTY_LOOK,
        logo: { hash: 'c'.repeat(64), width: 1, height: 1 },
      });
    });

    test('one host, one tenant: host_taken, also inside a transaction (which goes on)', async () => {
      const a = await seed(store());
      const b = await seed(store());
      const host = `shared.${a.tenant.id}.example`;
      assert.equal((await store().looks.saveLook(a.tenant.id, { ...EMPTY_LOOK, host }, T0)).ok, true);
      assert.deepEqual(await store().looks.saveLook(b.tenant.id, { ...EMPTY_LOOK, host }, T0), {
        ok: false,
        error: 'host_taken',
      });
      // the tenant that has it saves again freely; many tenants have no host
      assert.equal((await store().looks.saveLook(a.tenant.id, { ...EMPTY_LOOK, host, displayName: 'A' }, T0)).ok, true);
      assert.equal((await store().looks.saveLook(b.tenant.id, EMPTY_LOOK, T0)).ok, true);
      const c = await seed(store());
      assert.equal((await store().looks.saveLook(c.tenant.id, EMPTY_LOOK, T0)).ok, true);
      const inTx = await store().transaction(async (tx) => {
        const r = await tx.looks.saveLook(b.tenant.id, { ...EMPTY_LOOK, host }, T0);
        await tx.looks.saveLook(b.tenant.id, { ...EMPTY_LOOK, displayName: 'B' }, T0);
        return r;
      });
      assert.equal(inTx.ok, false);
      assert.equal((await store().looks.getLook(b.tenant.id)).displayName, 'B');
      assert.equal((await store().looks.findByHost(host))?.tenantId, a.tenant.id);
    });
  });
}
