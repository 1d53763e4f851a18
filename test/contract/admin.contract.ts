import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NewAssistedLink } from '../../src/ports/admin-store.ts';
import { T0, seed, sharedStore, uid, type OpenStore } from './contract-kit.ts';

/** The AdminRepo contract: assisted reset links, temporary passwords, account statuses. */
export function adminRepoContract(name: string, open: OpenStore): void {
  describe(`AdminRepo contract: ${name}`, () => {
    const store = sharedStore(open);

    async function link(over: Partial<NewAssistedLink> = {}): Promise<NewAssistedLink> {
      const { tenant, accounts } = await seed(store());
      return {
        id: uid('link'),
        tenantId: tenant.id,
        accountId: accounts[0]!.id,
        tokenHash: uid('token'),
        actor: 'admin:someone',
        passwordHashAtIssue: accounts[0]!.passwordHash,
        createdAt: T0,
        expiresAt: T0 + 86_400_000,
        ...over,
      };
    }

    test('issueLink stores it and supersedes the earlier unused link of the account; found by token hash', async () => {
      const first = await link();
      await store().admin.issueLink(first, T0);
      assert.deepEqual(await store().admin.findLinkByTokenHash(first.tokenHash), {
        ...first,
        usedAt: null,
        grantHash: null,
        grantExpiresAt: null,
        completedAt: null,
        supersededAt: null,
      });
      const second = { ...first, id: uid('link'), tokenHash: uid('token'), createdAt: T0 + 1 };
      await store().admin.issueLink(second, T0 + 1);
      assert.equal((await store().admin.findLinkByTokenHash(first.tokenHash))?.supersededAt, T0 + 1);
      assert.equal((await store().admin.findLinkByTokenHash(second.tokenHash))?.supersededAt, null);
      assert.equal(await store().admin.findLinkByTokenHash('no-such-token'), null);
    });

    test('consumeLink: true for one caller while live, stores the grant (found by grant hash); never once expired or superseded', async () => {
      const l = await link();
      await store().admin.issueLink(l, T0);
      const raced = await Promise.all([
        store().admin.consumeLink(l.id, 'grant-a', T0 + 900_000, T0 + 1),
        store().admin.consumeLink(l.id, 'grant-b', T0 + 900_000, T0 + 1),
      ]);
      assert.deepEqual(raced.sort(), [false, true]);
      const used = await store().admin.findLinkByTokenHash(l.tokenHash);
      assert.equal(used?.usedAt, T0 + 1);
      assert.deepEqual(await store().admin.findLinkByGrantHash(used!.grantHash!), used);
      assert.equal(await store().admin.findLinkByGrantHash('no-such-grant'), null);

      const expired = await link({ expiresAt: T0 + 10 });
      await store().admin.issueLink(expired, T0);
      assert.equal(await store().admin.consumeLink(expired.id, 'g', T0 + 900_000, T0 + 10), false, 'at expiresAt');
      const old = await link();
      await store().admin.issueLink(old, T0);
      await store().admin.issueLink({ ...old, id: uid('link'), tokenHash: uid('token') }, T0 + 1);
      assert.equal(await store().admin.consumeLink(old.id, 'g2', T0 + 900_000, T0 + 2), false, 'superseded');
    });

    test('completeLink is true once; endLinks ends the live links of the account and counts them', async () => {
      const l = await link();
      await store().admin.issueLink(l, T0);
      assert.equal(await store().admin.completeLink(l.id, T0 + 5), true);
      assert.equal(await store().admin.completeLink(l.id, T0 + 6), false);
      assert.equal((await store().admin.findLinkByTokenHash(l.tokenHash))?.completedAt, T0 + 5);
      const live = await link();
      await store().admin.issueLink(live, T0);
      assert.equal(await store().admin.endLinks(live.accountId, T0 + 7), 1);
      assert.equal((await store().admin.findLinkByTokenHash(live.tokenHash))?.supersededAt, T0 + 7);
      assert.equal(await store().admin.endLinks(live.accountId, T0 + 8), 0, 'nothing live is left');
      assert.equal(await store().admin.completeLink(live.id, T0 + 9), false, 'an ended link cannot complete');
    });

    test('temporary password: set, replaced by a second set, read, cleared; none → null', async () => {
      const id = (await seed(store())).accounts[0]!.id;
      assert.equal(await store().admin.getTempPassword(id), null);
      await store().admin.setTempPassword({ accountId: id, passwordHash: 'h1', createdAt: T0, expiresAt: T0 + 10 });
      const second = { accountId: id, passwordHash: 'h2', createdAt: T0 + 1, expiresAt: T0 + 20 };
      await store().admin.setTempPassword(second);
      assert.deepEqual(await store().admin.getTempPassword(id), second);
      await store().admin.clearTempPassword(id);
      assert.equal(await store().admin.getTempPassword(id), null);
    });

    test("accountStatuses: verified methods and blocks of the tenant's accounts that have any; others and other tenants absent", async () => {
      const { tenant, accounts } = await seed(store(), ['user', 'user', 'user', 'user']);
      const [both, unverified, blocked, none] = accounts.map((a) => a.id);
      await store().directory.setMethod(both!, 'email', 'a@alt.example', T0, T0);
      await store().directory.setMethod(both!, 'phone', '+15555550100', T0, T0);
      await store().directory.setMethod(unverified!, 'email', 'b@alt.example', null, T0);
      await store().lockouts.block(blocked!, T0 + 3);
      const other = await seed(store());
      await store().directory.setMethod(other.accounts[0]!.id, 'email', 'c@alt.example', T0, T0);
      const rows = (await store().admin.accountStatuses(tenant.id)).sort((a, b) =>
        a.accountId.localeCompare(b.accountId),
      );
      assert.deepEqual(
        rows,
        [
          { accountId: both!, emailVerified: true, phoneVerified: true, blockedAt: null },
          { accountId: blocked!, emailVerified: false, phoneVerified: false, blockedAt: T0 + 3 },
        ].sort((a, b) => a.accountId.localeCompare(b.accountId)),
      );
      assert.ok(!rows.some((r) => r.accountId === none || r.accountId === unverified));
    });
  });
}
