import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NewAuthenticator } from '../../src/ports/authenticator-store.ts';
import { T0, seed, sharedStore, uid, type OpenStore } from './contract-kit.ts';

function app(accountId: string, over: Partial<NewAuthenticator> = {}): NewAuthenticator {
  return {
    id: uid('app'),
    accountId,
    secretSealed: uid('sealed'),
    sessionHash: uid('session'),
    createdAt: T0,
    ...over,
  };
}

/** The AuthenticatorRepo contract: one pending and one confirmed app per account, each time step accepted once. */
export function authenticatorRepoContract(name: string, open: OpenStore): void {
  describe(`AuthenticatorRepo contract: ${name}`, () => {
    const store = sharedStore(open);
    const account = async () => (await seed(store())).accounts[0]!.id;

    test('createPending replaces an earlier pending one; confirm turns it into the confirmed app once', async () => {
      const id = await account();
      const repo = store().authenticators;
      assert.equal(await repo.pending(id), null);
      const first = app(id);
      const second = app(id, { createdAt: T0 + 1 });
      await repo.createPending(first);
      await repo.createPending(second);
      const p = await repo.pending(id);
      assert.deepEqual(p, { ...second, confirmedAt: null, attempts: 0, lastStep: null });
      assert.equal(await repo.confirmed(id), null);
      assert.equal(await repo.confirm(first.id, 10, T0 + 5), false, 'the replaced registration is gone');
      assert.equal(await repo.confirm(second.id, 10, T0 + 5), true);
      assert.equal(await repo.confirm(second.id, 11, T0 + 6), false, 'confirmed once');
      assert.deepEqual(await repo.confirmed(id), { ...second, confirmedAt: T0 + 5, attempts: 0, lastStep: 10 });
      assert.equal(await repo.pending(id), null);
      // a new pending registration leaves the confirmed app alone
      await repo.createPending(app(id, { createdAt: T0 + 7 }));
      assert.equal((await repo.confirmed(id))?.id, second.id);
    });

    test('countAttempt counts up to max on a pending registration only', async () => {
      const id = await account();
      const repo = store().authenticators;
      const a = app(id);
      await repo.createPending(a);
      assert.equal(await repo.countAttempt(a.id, 2), 1);
      assert.equal(await repo.countAttempt(a.id, 2), 2);
      assert.equal(await repo.countAttempt(a.id, 2), null);
      const b = app(id);
      await repo.createPending(b);
      await repo.confirm(b.id, 1, T0);
      assert.equal(await repo.countAttempt(b.id, 5), null, 'a confirmed app has no registration attempts');
    });

    test('acceptStep takes a step later than the last one, once, also under parallel calls', async () => {
      const id = await account();
      const repo = store().authenticators;
      const a = app(id);
      await repo.createPending(a);
      assert.equal(await repo.acceptStep(a.id, 100), false, 'not before it is confirmed');
      await repo.confirm(a.id, 100, T0);
      assert.equal(await repo.acceptStep(a.id, 100), false, 'the confirming step is used');
      assert.equal(await repo.acceptStep(a.id, 99), false, 'an earlier step');
      const wins = await Promise.all(
        Array.from({ length: 20 }, () => store().transaction((tx) => tx.authenticators.acceptStep(a.id, 101))),
      );
      assert.equal(wins.filter(Boolean).length, 1);
      assert.equal((await repo.confirmed(id))?.lastStep, 101);
      assert.equal(await repo.acceptStep(a.id, 103), true, 'a later step');
    });

    test('remove deletes the app and any pending registration; true only when a confirmed one existed', async () => {
      const id = await account();
      const repo = store().authenticators;
      const a = app(id);
      await repo.createPending(a);
      assert.equal(await repo.remove(id), false);
      assert.equal(await repo.pending(id), null);
      await repo.createPending(a);
      await repo.confirm(a.id, 1, T0);
      await repo.createPending(app(id));
      assert.equal(await repo.remove(id), true);
      assert.equal(await repo.confirmed(id), null);
      assert.equal(await repo.pending(id), null);
    });
  });
}
