import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { T0, seed, sharedStore, uid, type OpenStore } from './contract-kit.ts';

/**
 * The CallerCheckRepo contract (issue 13 items 5 and 6): verifications counted and confirmed once,
 * per actor; reverse checks found by their HMAC, confirmed once while open, flagged once when they
 * ended unconfirmed; approvals never by the operator who asked, and once.
 */
export function callerCheckRepoContract(name: string, open: OpenStore): void {
  describe(`CallerCheckRepo contract: ${name}`, () => {
    const store = sharedStore(open);
    const target = async () => {
      const { tenant, accounts } = await seed(store());
      return { tenantId: tenant.id, accountId: accounts[0]!.id };
    };

    test('a verification: attempts counted up to max, verified once, per actor', async () => {
      const t = await target();
      const repo = store().callerChecks;
      const id = uid('v');
      const v = { id, ...t, actor: 'admin:a', codeHash: 'h', createdAt: T0, expiresAt: T0 + 600_000 };
      await repo.createVerification(v);
      assert.deepEqual(await repo.latestVerification('admin:a', t.accountId), {
        ...v,
        way: 'code',
        ticketHash: null,
        ticketSealed: null,
        attempts: 0,
        verifiedAt: null,
      });
      assert.equal(await repo.latestVerification('admin:b', t.accountId), null, 'another actor has none');
      assert.equal(await repo.countAttempt(id, 2), 1);
      assert.equal(await repo.countAttempt(id, 2), 2);
      assert.equal(await repo.countAttempt(id, 2), null);
      assert.equal(await repo.lastVerifiedAt('admin:a', t.accountId), null);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store().transaction((tx) => tx.callerChecks.markVerified(id, T0 + 5))),
      );
      assert.equal(results.filter(Boolean).length, 1, 'verified once under parallel calls');
      assert.equal(await repo.lastVerifiedAt('admin:a', t.accountId), T0 + 5);
      assert.equal(await repo.lastVerifiedAt('admin:b', t.accountId), null);
      assert.equal(await repo.countAttempt(id, 9), null, 'no attempts on a verified one');
      const later = { ...v, id: uid('v'), createdAt: T0 + 10, codeHash: null };
      await repo.createVerification(later);
      assert.equal((await repo.latestVerification('admin:a', t.accountId))?.id, later.id);
    });

    test('the passkey way: found by its ticket hash only, the way kept; without a code or way it reads as the app', async () => {
      const t = await target();
      const repo = store().callerChecks;
      const base = { ...t, actor: 'admin:a', codeHash: null, createdAt: T0, expiresAt: T0 + 600_000 };
      const p = { ...base, id: uid('v'), way: 'passkey' as const, ticketHash: uid('t'), ticketSealed: 'sealed' };
      await repo.createVerification(p);
      assert.deepEqual(await repo.findByTicket(p.ticketHash), { ...p, attempts: 0, verifiedAt: null });
      assert.equal(await repo.findByTicket('nope'), null);
      const app = { ...base, id: uid('v'), createdAt: T0 + 1 };
      await repo.createVerification(app);
      assert.equal((await repo.getVerification(app.id))?.way, 'authenticator');
      assert.equal((await repo.getVerification(app.id))?.ticketHash, null);
      await assert.rejects(
        repo.createVerification({ ...p, id: uid('v') }),
        'a ticket hash is unique: the public page finds one verification',
      );
    });

    test('a reverse check: found by its hash, confirmed once while open, flagged once after', async () => {
      const t = await target();
      const repo = store().callerChecks;
      const c = {
        id: uid('c'),
        ...t,
        actor: 'admin:a',
        agentName: 'Ann',
        organisation: 'Org',
        phraseHash: uid('p'),
        createdAt: T0,
        expiresAt: T0 + 600_000,
      };
      await repo.createCallCheck(c);
      assert.deepEqual(await repo.findCallCheck(c.phraseHash), { ...c, confirmedAt: null, flaggedAt: null });
      assert.equal(await repo.findCallCheck('nope'), null);
      assert.equal(await repo.confirmCallCheck(c.id, T0 + 600_000), false, 'not at its end');
      assert.equal(await repo.confirmCallCheck(c.id, T0 + 1), true);
      assert.equal(await repo.confirmCallCheck(c.id, T0 + 2), false, 'once');
      const d = { ...c, id: uid('c'), phraseHash: uid('p') };
      await repo.createCallCheck(d);
      assert.equal((await repo.latestCallCheck('admin:a', t.accountId))?.actor, 'admin:a');
      const due = (await repo.unconfirmedCallChecks(T0 + 600_000, 100)).map((x) => x.id);
      assert.ok(due.includes(d.id) && !due.includes(c.id), 'only the unconfirmed one is due');
      assert.equal((await repo.unconfirmedCallChecks(T0 + 599_999, 100)).filter((x) => x.id === d.id).length, 0);
      assert.equal(await repo.flagCallCheck(d.id, T0 + 600_000), true);
      assert.equal(await repo.flagCallCheck(d.id, T0 + 600_001), false);
      assert.ok(!(await repo.unconfirmedCallChecks(T0 + 700_000, 100)).some((x) => x.id === d.id));
    });

    test('an approval: never by the one who asked, once', async () => {
      const t = await target();
      const repo = store().callerChecks;
      const a = { id: uid('a'), ...t, requestedBy: 'operator:1', createdAt: T0 };
      await repo.createApproval(a);
      assert.ok((await repo.openApprovals(T0, 100)).some((x) => x.id === a.id));
      assert.equal(await repo.approve(a.id, 'operator:1', T0 + 1), false, 'not one’s own');
      assert.equal(await repo.lastApprovedAt('operator:1', t.accountId), null);
      const results = await Promise.all(
        ['operator:2', 'operator:3'].map((op) =>
          store().transaction((tx) => tx.callerChecks.approve(a.id, op, T0 + 2)),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await repo.lastApprovedAt('operator:1', t.accountId), T0 + 2);
      assert.ok(!(await repo.openApprovals(T0, 100)).some((x) => x.id === a.id));
      assert.deepEqual((await repo.getApproval(a.id))?.requestedBy, 'operator:1');
    });
  });
}
