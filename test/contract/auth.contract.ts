import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { T0, checkSigninGuard, seed, sharedStore, uid, type OpenStore } from './contract-kit.ts';

/** The AuthRepo contract (sign-in throttling, one session's revocation) with the directory's session methods. */
export function authRepoContract(name: string, open: OpenStore): void {
  describe(`AuthRepo and sessions contract: ${name}`, () => {
    const store = sharedStore(open);

    test('sign-in guard: failures count up, in parallel too; per account; cleared', async () => {
      const { accounts } = await seed(store(), ['user', 'user']);
      await checkSigninGuard(store().auth, accounts[0]!.id, accounts[1]!.id);
    });

    test('sessions: create, get, touch moves lastSeenAt; unknown → null', async () => {
      const { accounts } = await seed(store());
      const s = {
        idHash: uid('sess'),
        accountId: accounts[0]!.id,
        createdAt: T0,
        lastSeenAt: T0,
        expiresAt: T0 + 3_600_000,
      };
      await store().directory.createSession(s);
      assert.deepEqual(await store().directory.getSession(s.idHash), { ...s, revokedAt: null });
      await store().directory.touchSession(s.idHash, T0 + 60_000);
      assert.equal((await store().directory.getSession(s.idHash))?.lastSeenAt, T0 + 60_000);
      assert.equal(await store().directory.getSession('no-such-session'), null);
    });

    test('revokeSession revokes one live session: true once, false after and for an unknown one; others stay live', async () => {
      const { accounts } = await seed(store());
      const make = async () => {
        const s = {
          idHash: uid('sess'),
          accountId: accounts[0]!.id,
          createdAt: T0,
          lastSeenAt: T0,
          expiresAt: T0 + 9e6,
        };
        await store().directory.createSession(s);
        return s.idHash;
      };
      const [a, b] = [await make(), await make()];
      const raced = await Promise.all([store().auth.revokeSession(a, T0 + 1), store().auth.revokeSession(a, T0 + 2)]);
      assert.deepEqual(raced.sort(), [false, true]);
      assert.ok((await store().directory.getSession(a))?.revokedAt !== null);
      assert.equal((await store().directory.getSession(b))?.revokedAt, null);
      assert.equal(await store().auth.revokeSession('no-such-session', T0), false);
      assert.equal(await store().directory.revokeSessions(accounts[0]!.id, T0 + 3), 1, 'only b was still live');
      assert.equal((await store().directory.getSession(b))?.revokedAt, T0 + 3);
    });
  });
}
