import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chainHash, ChainWalker, GENESIS_HASH, type ChainRow } from '../../src/core/audit-chain.ts';
import type { SqlStore } from '../../src/adapters/sql/sql-store.ts';
import type { AuditEventInput } from '../../src/ports/store.ts';
import { T0, seed, sharedStore, type OpenStore } from './contract-kit.ts';

function event(tenantId: string | null, i: number): AuditEventInput {
  return {
    at: T0 + i,
    tenantId,
    accountId: null,
    actor: 'system',
    type: 'reset.requested',
    outcome: 'ok',
    ip: null,
    userAgent: 'agent',
    details: { i, note: 'x' },
  };
}

/** Every chained row of `chain`, read in pages of 3 (place, then id). */
async function allRows(store: SqlStore, chain: string): Promise<ChainRow[]> {
  const rows: ChainRow[] = [];
  for (;;) {
    const last = rows.at(-1);
    const page = await store.auditChain.page(chain, last ? { seq: last.seq!, id: last.id } : null, 3);
    rows.push(...page);
    if (page.length < 3) return rows;
  }
}

/** Asserts that the chain is one line 1…n from the genesis, each link the hash before, each hash its content's. */
function assertLinear(rows: readonly ChainRow[], n: number): void {
  assert.deepEqual(
    rows.map((r) => r.seq),
    Array.from({ length: n }, (_, i) => i + 1),
  );
  let prev = GENESIS_HASH;
  for (const r of rows) {
    assert.equal(r.prevHash, prev, `event ${r.seq} links to the one before`);
    assert.equal(r.hash, chainHash(prev, r.event), `event ${r.seq} hashes its content`);
    prev = r.hash!;
  }
}

/** The audit chain contract: appends chain per tenant, stay linear under concurrency, verification's record, checkpoints. */
export function auditChainRepoContract(name: string, open: OpenStore): void {
  describe(`AuditChainRepo contract: ${name}`, () => {
    const store = sharedStore(open);

    test('appends form one chain per tenant (and one for no tenant); the head is the newest event', async () => {
      const s = store();
      const { tenant: a } = await seed(s);
      const { tenant: b } = await seed(s);
      for (let i = 0; i < 7; i++) {
        await s.transaction(async (tx) => {
          await tx.audit.append(event(a.id, i));
          if (i % 2 === 0) await tx.audit.append(event(b.id, i));
        });
      }
      await s.audit.append(event(a.id, 100)); // outside a transaction: chained all the same
      await s.audit.append(event(null, 1));
      const rowsA = await allRows(s, a.id);
      assertLinear(rowsA, 8);
      assert.deepEqual(rowsA.at(-1)!.event, event(a.id, 100));
      assertLinear(await allRows(s, b.id), 4);
      const none = await allRows(s, '');
      assert.ok(none.length >= 1 && none.every((r) => r.event.tenantId === null));
      const head = await s.auditChain.head(a.id);
      assert.deepEqual(head, {
        chain: a.id,
        seq: 8,
        hash: rowsA.at(-1)!.hash,
        verifiedAt: null,
        verifiedSeq: null,
        verifyBreak: null,
      });
      const chains = await s.auditChain.chains();
      assert.ok(chains.includes('') && chains.includes(a.id) && chains.includes(b.id));
      assert.deepEqual(await s.auditChain.unchained(a.id), { legacy: 0, firstInserted: null });

      const w = new ChainWalker({ seq: 0, hash: GENESIS_HASH });
      w.push(rowsA);
      assert.equal(w.finish(head).ok, true);
    });

    test('a rolled-back append leaves neither an event nor a moved head', async () => {
      const s = store();
      const { tenant } = await seed(s);
      await s.audit.append(event(tenant.id, 1));
      const before = await s.auditChain.head(tenant.id);
      await assert.rejects(
        s.transaction(async (tx) => {
          await tx.audit.append(event(tenant.id, 2));
          throw new Error('boom');
        }),
      );
      assert.deepEqual(await s.auditChain.head(tenant.id), before);
      await s.audit.append(event(tenant.id, 3));
      assertLinear(await allRows(s, tenant.id), 2);
    });

    test('20 transactions appending at once (plus slow work inside each) keep one linear chain', async () => {
      const s = store();
      const { tenant } = await seed(s);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          s.transaction(async (tx) => {
            await tx.audit.append(event(tenant.id, i));
            await new Promise((resolve) => setTimeout(resolve, 2));
            await tx.audit.append(event(tenant.id, 1000 + i));
          }),
        ),
      );
      const rows = await allRows(s, tenant.id);
      assertLinear(rows, 40);
      // each transaction's two events are neighbours: the head stayed locked in between
      for (let k = 0; k < 40; k += 2) {
        assert.equal((rows[k + 1]!.event.details.i as number) - (rows[k]!.event.details.i as number), 1000);
      }
      assert.equal((await s.auditChain.head(tenant.id))?.seq, 40);
    });

    test('the verification is kept on the head; a checkpoint removes the oldest events and is read back', async () => {
      const s = store();
      const { tenant } = await seed(s);
      for (let i = 0; i < 6; i++) await s.audit.append(event(tenant.id, i));
      const brk = {
        kind: 'edited',
        reason: 'content_changed',
        eventId: 1,
        seq: 1,
        at: T0,
        type: 'reset.requested',
      } as const;
      await s.auditChain.recordVerification(tenant.id, T0 + 50, 6, brk);
      assert.deepEqual((await s.auditChain.head(tenant.id))?.verifyBreak, brk);
      await s.auditChain.recordVerification(tenant.id, T0 + 60, 6, null);
      const head = await s.auditChain.head(tenant.id);
      assert.deepEqual([head?.verifiedAt, head?.verifiedSeq, head?.verifyBreak, head?.seq], [T0 + 60, 6, null, 6]);
      await s.auditChain.recordVerification('no-such-chain', T0, 0, null);
      assert.equal((await s.auditChain.head('no-such-chain'))?.verifiedAt, T0);

      const oldest = (await s.auditChain.page(tenant.id, null, 4)).map((r) => ({ seq: r.seq!, hash: r.hash! }));
      assert.equal(await s.auditChain.latestCheckpoint(tenant.id), null);
      const cp = { chain: tenant.id, seq: 4, hash: oldest[3]!.hash, removed: 4, at: T0 + 70, mac: 'm'.repeat(64) };
      assert.equal(await s.transaction((tx) => tx.auditChain.removeThrough(cp)), 4);
      assert.deepEqual(await s.auditChain.latestCheckpoint(tenant.id), cp);
      const rest = await allRows(s, tenant.id);
      assert.deepEqual(
        rest.map((r) => r.seq),
        [5, 6],
      );
      assert.equal(rest[0]!.prevHash, cp.hash, 'the chain goes on from the checkpoint');
    });
  });
}
