import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NewHelpRequest } from '../../src/ports/help-store.ts';
import { T0, seed, sharedStore, uid, type OpenStore } from './contract-kit.ts';

function request(over: Partial<NewHelpRequest> = {}): NewHelpRequest {
  return {
    id: uid('help'),
    reference: uid('SUP'),
    tenantId: null,
    accountId: null,
    queue: 'none',
    status: 'void',
    messageSealed: null,
    now: T0,
    ...over,
  };
}

/** The HelpRepo contract: help requests and support tickets, and error pages' references. */
export function helpRepoContract(name: string, open: OpenStore): void {
  describe(`HelpRepo contract: ${name}`, () => {
    const store = sharedStore(open);

    test('create, get, referenceExists, findByReference round-trip; unknown → null / false', async () => {
      const { tenant, accounts } = await seed(store());
      const r = request({
        tenantId: tenant.id,
        accountId: accounts[0]!.id,
        queue: 'admins',
        status: 'open',
        messageSealed: 'sealed',
      });
      await store().help.create(r);
      const record = {
        id: r.id,
        reference: r.reference,
        tenantId: tenant.id,
        accountId: accounts[0]!.id,
        queue: 'admins',
        status: 'open',
        messageSealed: 'sealed',
        createdAt: T0,
        verifiedAt: null,
        verifiedBy: null,
        verificationNote: null,
        resolvedAt: null,
        resolvedBy: null,
        resolution: null,
        resolutionNote: null,
      };
      assert.deepEqual(await store().help.get(r.id), record);
      assert.deepEqual(await store().help.findByReference(r.reference), record);
      assert.equal(await store().help.referenceExists(r.reference), true);
      assert.equal(await store().help.referenceExists('SUP-NONE-0000'), false);
      assert.equal(await store().help.findByReference('SUP-NONE-0000'), null);
      assert.equal(await store().help.get('no-such-request'), null);
      const voidOne = request();
      await store().help.create(voidOne);
      assert.equal(
        (await store().help.findByReference(voidOne.reference))?.status,
        'void',
        "an error page's reference",
      );
    });

    test('list filters by tenant, queue, statuses, account and since; newest first; limit', async () => {
      const { tenant, accounts } = await seed(store(), ['user', 'user']);
      const [a, b] = accounts.map((x) => x.id);
      const mk = (over: Partial<NewHelpRequest>) =>
        request({ tenantId: tenant.id, queue: 'admins', status: 'open', ...over });
      const r1 = mk({ accountId: a!, now: T0 });
      const r2 = mk({ accountId: b!, now: T0 + 10, queue: 'support' });
      const r3 = mk({ accountId: a!, now: T0 + 20, status: 'resolved' });
      for (const r of [r1, r2, r3]) await store().help.create(r);
      await store().help.create(
        request({ tenantId: (await seed(store())).tenant.id, queue: 'admins', status: 'open' }),
      );
      const ids = async (filter: Parameters<ReturnType<typeof store>['help']['list']>[0]) =>
        (await store().help.list(filter)).map((r) => r.id);
      assert.deepEqual(await ids({ tenantId: tenant.id }), [r3.id, r2.id, r1.id]);
      assert.deepEqual(await ids({ tenantId: tenant.id, queue: 'support' }), [r2.id]);
      assert.deepEqual(await ids({ tenantId: tenant.id, statuses: ['open'] }), [r2.id, r1.id]);
      assert.deepEqual(await ids({ tenantId: tenant.id, accountId: a! }), [r3.id, r1.id]);
      assert.deepEqual(await ids({ tenantId: tenant.id, since: T0 + 10 }), [r3.id, r2.id], 'since is inclusive');
      assert.deepEqual(await ids({ tenantId: tenant.id, limit: 1 }), [r3.id]);
      assert.deepEqual(await ids({ tenantId: 'no-such-tenant' }), []);
    });

    test('recordVerification applies only while open; close: one of two racing closes wins, then nothing more applies', async () => {
      const r = request({ queue: 'support', status: 'open' });
      await store().help.create(r);
      assert.equal(await store().help.recordVerification(r.id, 'operator:o1', 'called back', T0 + 1), true);
      const close = (by: string) =>
        store().help.close(r.id, { status: 'resolved', resolution: 'reset_link', by, note: null, now: T0 + 2 });
      assert.deepEqual((await Promise.all([close('operator:o1'), close('operator:o2')])).sort(), [false, true]);
      const closed = await store().help.get(r.id);
      assert.equal(closed?.status, 'resolved');
      assert.equal(closed?.resolution, 'reset_link');
      assert.equal(closed?.resolvedAt, T0 + 2);
      assert.equal(closed?.verifiedBy, 'operator:o1');
      assert.equal(closed?.verificationNote, 'called back');
      assert.equal(await store().help.recordVerification(r.id, 'operator:o2', 'late', T0 + 3), false);
      const dismissed = request({ queue: 'admins', status: 'open' });
      await store().help.create(dismissed);
      assert.equal(
        await store().help.close(dismissed.id, {
          status: 'dismissed',
          resolution: 'dismissed',
          by: 'admin:x',
          note: 'spam',
          now: T0,
        }),
        true,
      );
      assert.equal((await store().help.get(dismissed.id))?.resolutionNote, 'spam');
      assert.equal(
        await store().help.close('no-such-request', {
          status: 'dismissed',
          resolution: 'dismissed',
          by: 'x',
          note: null,
          now: T0,
        }),
        false,
      );
    });
  });
}
