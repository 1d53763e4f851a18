import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NewPendingMethod } from '../../src/ports/security-info-store.ts';
import { T0, seed, sharedStore, uid, type OpenStore } from './contract-kit.ts';

function pending(accountId: string, sessionHash: string, over: Partial<NewPendingMethod> = {}): NewPendingMethod {
  return {
    id: uid('pending'),
    accountId,
    sessionHash,
    kind: 'email',
    value: 'new@elsewhere.example',
    purpose: 'change',
    codeHash: uid('code'),
    sentAt: T0,
    expiresAt: T0 + 600_000,
    createdAt: T0,
    ...over,
  };
}

/** The SecurityInfoRepo contract: pending registrations, cooling-off times, re-confirmation prompts. */
export function securityInfoRepoContract(name: string, open: OpenStore): void {
  describe(`SecurityInfoRepo contract: ${name}`, () => {
    const store = sharedStore(open);

    /** A fresh account with two live sessions (pending registrations and prompts belong to a session). */
    async function signedIn(): Promise<{ id: string; a: string; b: string }> {
      const id = (await seed(store())).accounts[0]!.id;
      const [a, b] = [uid('session'), uid('session')];
      for (const idHash of [a, b])
        await store().directory.createSession({
          idHash,
          accountId: id,
          createdAt: T0,
          lastSeenAt: T0,
          expiresAt: T0 + 9e6,
        });
      return { id, a, b };
    }

    test('createPending supersedes the live one of the same kind only; livePending is the newest live one, from any session', async () => {
      const { id, a, b } = await signedIn();
      const si = store().securityInfo;
      assert.equal(await si.livePending(id, 'email'), null);
      const first = pending(id, a);
      const phone = pending(id, a, { kind: 'phone', value: '+15555550100' });
      await si.createPending(first);
      await si.createPending(phone);
      assert.deepEqual(await si.livePending(id, 'email'), {
        ...first,
        attempts: 0,
        codesSent: 1,
        usedAt: null,
        supersededAt: null,
      });
      const second = pending(id, b, { createdAt: T0 + 1, sentAt: T0 + 1 });
      await si.createPending(second);
      assert.equal((await si.livePending(id, 'email'))?.id, second.id);
      assert.equal((await si.livePending(id, 'phone'))?.id, phone.id, 'the other kind stays live');
      assert.equal(await si.countAttempt(first.id, 5), null, 'the first one was superseded');
    });

    test('reissueCode applies only at the codes count read (a parallel resend loses): attempts back to 0', async () => {
      const { id, a } = await signedIn();
      const si = store().securityInfo;
      const p = pending(id, a);
      await si.createPending(p);
      assert.equal(await si.countAttempt(p.id, 5), 1);
      const raced = await Promise.all([
        si.reissueCode(p.id, 1, 'code-2', T0 + 60_000, T0 + 660_000),
        si.reissueCode(p.id, 1, 'code-3', T0 + 60_000, T0 + 660_000),
      ]);
      assert.deepEqual(raced.sort(), [false, true]);
      const live = await si.livePending(id, 'email');
      assert.equal(live?.codesSent, 2);
      assert.equal(live?.attempts, 0);
      assert.equal(live?.sentAt, T0 + 60_000);
      assert.equal(live?.expiresAt, T0 + 660_000);
      assert.ok(live?.codeHash === 'code-2' || live?.codeHash === 'code-3');
      assert.equal(await si.reissueCode('no-such-pending', 1, 'x', T0, T0), false);
    });

    test('countAttempt counts up to max then null (in parallel too); consume is true for one caller; a used one takes no attempt', async () => {
      const { id, a } = await signedIn();
      const si = store().securityInfo;
      const p = pending(id, a);
      await si.createPending(p);
      const counts = await Promise.all(Array.from({ length: 6 }, () => si.countAttempt(p.id, 3)));
      assert.deepEqual(counts.filter((n) => n !== null).sort(), [1, 2, 3]);
      const q = pending(id, a);
      await si.createPending(q);
      assert.deepEqual((await Promise.all([si.consume(q.id, T0 + 1), si.consume(q.id, T0 + 2)])).sort(), [false, true]);
      assert.equal(await si.countAttempt(q.id, 9), null);
      assert.equal(await si.livePending(id, 'email'), null, 'a used registration is not live');
      assert.equal(await si.consume('no-such-pending', T0), false);
    });

    test('endPending supersedes the live registrations of one kind, or of every kind', async () => {
      const { id, a } = await signedIn();
      const si = store().securityInfo;
      await si.createPending(pending(id, a));
      await si.createPending(pending(id, a, { kind: 'phone', value: '+15555550100' }));
      await si.endPending(id, T0 + 1, 'email');
      assert.equal(await si.livePending(id, 'email'), null);
      assert.notEqual(await si.livePending(id, 'phone'), null);
      await si.endPending(id, T0 + 2);
      assert.equal(await si.livePending(id, 'phone'), null);
    });

    test('setUsableFrom / usableFrom per method; null clears it; no-op without the method', async () => {
      const { id } = await signedIn();
      const si = store().securityInfo;
      await store().directory.setMethod(id, 'email', 'x@alt.example', T0, T0);
      assert.deepEqual(await si.usableFrom(id), {});
      await si.setUsableFrom(id, 'email', T0 + 86_400_000);
      await si.setUsableFrom(id, 'phone', T0 + 5); // no phone: nothing to set
      assert.deepEqual(await si.usableFrom(id), { email: T0 + 86_400_000 });
      await si.setUsableFrom(id, 'email', null);
      assert.deepEqual(await si.usableFrom(id), {});
    });

    test('markPrompted is true the first time only (in parallel too); wasPrompted per session', async () => {
      const { id, a, b } = await signedIn();
      const si = store().securityInfo;
      const session = a;
      assert.equal(await si.wasPrompted(session), false);
      assert.deepEqual(
        (await Promise.all([si.markPrompted(session, id, T0), si.markPrompted(session, id, T0)])).sort(),
        [false, true],
      );
      assert.equal(await si.wasPrompted(session), true);
      assert.equal(await si.wasPrompted(b), false);
    });
  });
}
