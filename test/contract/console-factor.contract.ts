import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConsoleOwner } from '../../src/ports/console-factor-store.ts';
import { T0, seed, sharedStore, uid, type OpenStore } from './contract-kit.ts';

/**
 * The ConsoleFactorRepo contract (pending console sign-ins, recovery codes) and operators'
 * authenticator apps (the authenticator contract's single-step rule over their own table).
 */
export function consoleFactorRepoContract(name: string, open: OpenStore): void {
  describe(`ConsoleFactorRepo contract: ${name}`, () => {
    const store = sharedStore(open);
    const owner = async (): Promise<ConsoleOwner> => ({
      kind: 'account',
      id: (await seed(store(), ['admin'])).accounts[0]!.id,
    });

    test('a pending sign-in: attempts counted up to max, ended once, then no attempt counts', async () => {
      const repo = store().consoleFactors;
      const o = await owner();
      const idHash = uid('pending');
      await repo.createPending({ idHash, owner: o, createdAt: T0, expiresAt: T0 + 600_000 });
      assert.deepEqual(await repo.getPending(idHash), {
        idHash,
        owner: o,
        createdAt: T0,
        expiresAt: T0 + 600_000,
        attempts: 0,
        doneAt: null,
      });
      assert.equal(await repo.countAttempt(idHash, 2), 1);
      assert.equal(await repo.countAttempt(idHash, 2), 2);
      assert.equal(await repo.countAttempt(idHash, 2), null, 'no attempt past max');
      const results = await Promise.all([repo.finish(idHash, T0 + 5), repo.finish(idHash, T0 + 6)]);
      assert.deepEqual(results.filter(Boolean).length, 1, 'ended exactly once');
      assert.equal((await repo.getPending(idHash))?.doneAt !== null, true);
      assert.equal(await repo.countAttempt(idHash, 9), null, 'an ended sign-in counts nothing');
      assert.equal(await repo.getPending(uid('other')), null);
    });

    test('recovery codes: each used once, only by its owner; a new set voids the old one', async () => {
      const repo = store().consoleFactors;
      const o = await owner();
      const other: ConsoleOwner = { kind: 'operator', id: o.id };
      await repo.replaceRecoveryCodes(o, ['h1', 'h2', 'h3'], T0);
      assert.equal(await repo.recoveryCodesLeft(o), 3);
      assert.equal(await repo.useRecoveryCode(other, 'h1', T0 + 1), false, 'another owner (same id, other kind)');
      const raced = await Promise.all([repo.useRecoveryCode(o, 'h1', T0 + 1), repo.useRecoveryCode(o, 'h1', T0 + 1)]);
      assert.equal(raced.filter(Boolean).length, 1, 'used exactly once');
      assert.equal(await repo.useRecoveryCode(o, 'h1', T0 + 2), false);
      assert.equal(await repo.useRecoveryCode(o, 'nope', T0 + 2), false);
      assert.equal(await repo.recoveryCodesLeft(o), 2);
      await repo.replaceRecoveryCodes(o, ['n1', 'n2'], T0 + 3);
      assert.equal(await repo.useRecoveryCode(o, 'h2', T0 + 4), false, 'the old set is void');
      assert.equal(await repo.recoveryCodesLeft(o), 2);
      await repo.removeRecoveryCodes(o);
      assert.equal(await repo.recoveryCodesLeft(o), 0);
    });

    test("operators' authenticator apps: their own table, each time step accepted once", async () => {
      const id = uid('op');
      const created = await store().operators.create({
        id,
        login: `${id}@support.example`,
        displayName: 'Op',
        passwordHash: 'x',
        createdAt: T0,
      });
      assert.ok(created.ok);
      const apps = store().operatorAuthenticators;
      const appId = uid('app');
      await apps.createPending({ id: appId, accountId: id, secretSealed: 's', sessionHash: 'h', createdAt: T0 });
      assert.equal((await apps.pending(id))?.accountId, id);
      assert.equal(await store().authenticators.pending(id), null, "not in the accounts' table");
      assert.equal(await apps.confirm(appId, 10, T0 + 1), true);
      const steps = await Promise.all([apps.acceptStep(appId, 11), apps.acceptStep(appId, 11)]);
      assert.equal(steps.filter(Boolean).length, 1);
      assert.equal(await apps.acceptStep(appId, 10), false);
      assert.equal((await apps.confirmed(id))?.lastStep, 11);
      assert.equal(await apps.remove(id), true);
      assert.equal(await apps.confirmed(id), null);
    });
  });
}
