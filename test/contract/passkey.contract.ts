import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NewPasskey, NewPasskeyChallenge } from '../../src/ports/passkey-store.ts';
import { T0, seed, sharedStore, uid, type OpenStore } from './contract-kit.ts';

function key(accountId: string, over: Partial<NewPasskey> = {}): NewPasskey {
  return {
    id: uid('pk'),
    accountId,
    credentialId: uid('cred').replace(/[^A-Za-z0-9_-]/g, ''),
    publicKey: 'pQECAyYgASFYIA',
    counter: 0,
    transports: ['internal', 'hybrid'],
    name: 'Laptop',
    createdAt: T0,
    ...over,
  };
}

function challenge(over: Partial<NewPasskeyChallenge> = {}): NewPasskeyChallenge {
  return {
    id: uid('ch'),
    challengeHash: uid('hash'),
    purpose: 'reset',
    binding: uid('flow'),
    accountId: null,
    createdAt: T0,
    expiresAt: T0 + 300_000,
    ...over,
  };
}

/** The PasskeyRepo contract: public keys per account, the counter compare-and-set, challenges taken once. */
export function passkeyRepoContract(name: string, open: OpenStore): void {
  describe(`PasskeyRepo contract: ${name}`, () => {
    const store = sharedStore(open);

    test('passkeys are stored per account, found by credential id, removed only by their account', async () => {
      const { accounts } = await seed(store(), ['user', 'user']);
      const [a, b] = [accounts[0]!.id, accounts[1]!.id];
      const repo = store().passkeys;
      const first = key(a);
      const second = key(a, { createdAt: T0 + 1, transports: [] });
      await repo.add(second);
      await repo.add(first);
      await repo.add(key(b));
      assert.deepEqual(await repo.list(a), [
        { ...first, lastUsedAt: null },
        { ...second, lastUsedAt: null },
      ]);
      assert.deepEqual(await repo.byCredentialId(first.credentialId), { ...first, lastUsedAt: null });
      assert.equal(await repo.byCredentialId('nope'), null);
      await assert.rejects(repo.add(key(b, { credentialId: first.credentialId })), 'a credential id is unique');
      assert.equal(await repo.remove(b, first.id), false, 'not the account of it');
      assert.equal(await repo.remove(a, first.id), true);
      assert.equal(await repo.remove(a, first.id), false);
      assert.deepEqual(
        (await repo.list(a)).map((k) => k.id),
        [second.id],
      );
    });

    test('advanceCounter is compare-and-set: one of two callers with the same stored counter wins', async () => {
      const { accounts } = await seed(store());
      const repo = store().passkeys;
      const k = key(accounts[0]!.id, { counter: 4 });
      await repo.add(k);
      assert.equal(await repo.advanceCounter(k.id, 3, 9, T0 + 1), false, 'not the stored value');
      const both = await Promise.all([
        repo.advanceCounter(k.id, 4, 5, T0 + 2),
        repo.advanceCounter(k.id, 4, 5, T0 + 2),
      ]);
      assert.deepEqual(both.sort(), [false, true]);
      const now = await repo.byCredentialId(k.credentialId);
      assert.equal(now?.counter, 5);
      assert.equal(now?.lastUsedAt, T0 + 2);
    });

    test('a challenge is taken once, only with its purpose and binding, only while it lives; a new one replaces it', async () => {
      const repo = store().passkeys;
      const c = challenge();
      await repo.createChallenge(c);
      assert.equal(await repo.takeChallenge(c.challengeHash, 'register', c.binding, T0 + 1), null, 'other purpose');
      assert.equal(await repo.takeChallenge(c.challengeHash, 'reset', uid('other'), T0 + 1), null, 'other binding');
      assert.equal(await repo.takeChallenge(c.challengeHash, 'reset', c.binding, c.expiresAt), null, 'expired');
      const taken = await Promise.all([
        repo.takeChallenge(c.challengeHash, 'reset', c.binding, T0 + 2),
        repo.takeChallenge(c.challengeHash, 'reset', c.binding, T0 + 2),
      ]);
      assert.equal(taken.filter((x) => x !== null).length, 1, 'one of two parallel takers');
      assert.deepEqual(
        taken.find((x) => x !== null),
        { ...c, usedAt: T0 + 2 },
      );
      assert.equal(await repo.takeChallenge(c.challengeHash, 'reset', c.binding, T0 + 3), null, 'used');

      const older = challenge({ binding: 'session-x', purpose: 'register' });
      const newer = challenge({
        binding: 'session-x',
        purpose: 'register',
        createdAt: T0 + 10,
        expiresAt: T0 + 300_010,
      });
      await repo.createChallenge(older);
      await repo.createChallenge(newer);
      assert.equal(await repo.takeChallenge(older.challengeHash, 'register', 'session-x', T0 + 11), null, 'replaced');
      assert.ok(await repo.takeChallenge(newer.challengeHash, 'register', 'session-x', T0 + 11));
    });

    test("operators' passkeys: their own table and owner; an operator's challenge is taken only there, an account's only among accounts'", async () => {
      const { accounts } = await seed(store(), ['admin']);
      const accountId = accounts[0]!.id;
      const operatorId = uid('op');
      assert.ok(
        (
          await store().operators.create({
            id: operatorId,
            login: `${operatorId}@support.example`,
            displayName: 'Op',
            passwordHash: 'x',
            createdAt: T0,
          })
        ).ok,
      );
      const ops = store().operatorPasskeys;
      const mine = key(operatorId);
      await ops.add(mine);
      assert.deepEqual(await ops.list(operatorId), [{ ...mine, lastUsedAt: null }]);
      assert.deepEqual(await ops.byCredentialId(mine.credentialId), { ...mine, lastUsedAt: null });
      assert.equal(await store().passkeys.byCredentialId(mine.credentialId), null, "not among accounts' passkeys");
      const theirs = key(accountId);
      await store().passkeys.add(theirs);
      assert.equal(await ops.byCredentialId(theirs.credentialId), null, "an account's passkey is not an operator's");
      assert.equal(await ops.advanceCounter(mine.id, 0, 3, T0 + 1), true);
      assert.equal(await ops.advanceCounter(mine.id, 0, 4, T0 + 2), false, 'compare-and-set');
      assert.equal((await ops.list(operatorId))[0]!.counter, 3);

      // a sign-in challenge for each, bound to the same value: each taken only through its own repo
      const forOperator = challenge({ purpose: 'signin', binding: 'pending-1', accountId: operatorId });
      await ops.createChallenge(forOperator);
      assert.equal(
        await store().passkeys.takeChallenge(forOperator.challengeHash, 'signin', 'pending-1', T0 + 1),
        null,
      );
      assert.deepEqual(await ops.takeChallenge(forOperator.challengeHash, 'signin', 'pending-1', T0 + 1), {
        ...forOperator,
        usedAt: T0 + 1,
      });
      const forAccount = challenge({ purpose: 'signin', binding: 'pending-2', accountId });
      await store().passkeys.createChallenge(forAccount);
      assert.equal(await ops.takeChallenge(forAccount.challengeHash, 'signin', 'pending-2', T0 + 1), null);
      assert.ok(await store().passkeys.takeChallenge(forAccount.challengeHash, 'signin', 'pending-2', T0 + 1));

      assert.equal(await ops.remove(accountId, mine.id), false, 'only by its operator');
      assert.equal(await ops.remove(operatorId, mine.id), true);
      assert.deepEqual(await ops.list(operatorId), []);
    });
  });
}
