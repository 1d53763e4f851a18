import assert from 'node:assert/strict';
import test from 'node:test';
import type { FlowRecord } from '../../src/ports/flow-store.ts';
import { withPostgresDatabase } from '../helpers/databases.ts';
import { queryRecorder, type RecordStep } from '../helpers/query-recorder.ts';
import { createResetHarness, RC, STRONG, type ResetHarness } from '../helpers/reset-harness.ts';

/**
 * Round trips per step on PostgreSQL (issue 14, item 1). Each statement the store sends is one
 * round trip; `onQuery` sees them as sent (src/adapters/sql/pg-write-batching.ts merges writes
 * whose callers read nothing back into the next statement). The bounds are today's counts: a
 * change that adds a round trip to a step fails here. Before the batching: start 17 (with the
 * memory limiter, no CAPTCHA, no host), verify 15, set password 32; with it 9, 14, 30; with the
 * audit append in one statement (the chain head's upsert in its `WITH`) 8, 13, 29; with the block
 * and the sending-limit count of a start read in one statement 7, 13, 29; with the audit append
 * held and the held writes sent with the commit 6, 13, 29.
 */
const MAX_ROUND_TRIPS = { start: 6, verify: 13, setPassword: 29 };

async function withRecordedHarness(fn: (h: ResetHarness, record: RecordStep) => Promise<void>): Promise<void> {
  await withPostgresDatabase(async (url) => {
    const { onQuery, record } = queryRecorder();
    const h = await createResetHarness({ databaseUrl: url, onQuery });
    try {
      await fn(h, record);
    } finally {
      await h.close();
    }
  });
}

test('round trips: start, verify and set password each send at most their count of statements (PostgreSQL)', async () => {
  await withRecordedHarness(async (h, record) => {
    // warm: the tenant's decoy domains are read once per five minutes, whoever starts first
    assert.ok((await h.reset.start('warm-up@contoso.example', RC)).ok);
    const start = await record(() => h.reset.start('user@contoso.example', RC));
    assert.ok(start.value.ok);
    const handle = { flowId: start.value.value.flowId, secret: start.value.value.secret };
    const code = await h.lastCode('uma.home@personal.example');
    const verify = await record(() => h.reset.submitCode(handle, code, RC));
    assert.ok(verify.value.ok, JSON.stringify(verify.value));
    const next = { flowId: handle.flowId, secret: verify.value.value.secret };
    const set = await record(() => h.reset.setPassword(next, STRONG, STRONG, RC));
    assert.ok(set.value.ok, JSON.stringify(set.value));
    const counts = { start: start.sent.length, verify: verify.sent.length, setPassword: set.sent.length };
    console.log(`[round trips] PostgreSQL per step: ${JSON.stringify(counts)}`);
    for (const [step, max] of Object.entries(MAX_ROUND_TRIPS))
      assert.ok(
        counts[step as keyof typeof counts] <= max,
        `${step}: ${counts[step as keyof typeof counts]} round trips, at most ${max}\n${(step === 'start' ? start : step === 'verify' ? verify : set).sent.join('\n')}`,
      );
    // the start's writes travel with later statements, and all of them landed
    assert.ok(start.sent.some((q) => /^with sspr_later_1 as \(update "flow_codes"/.test(q)));
    assert.ok(start.sent.some((q) => /^with sspr_later_1 as \(insert into "flow_codes"/.test(q)));
    // the audit row: the chain head's upsert and the event in one statement, which the held code and
    // outbox inserts travel with, and all of them with the commit (the chain's head is not held over
    // a trip back to the client); no insert of its own
    assert.match(
      start.sent.at(-1)!,
      /^with sspr_later_1 as .*head as \(\s*insert into audit_chain_heads.*insert into audit_events.*; commit$/s,
    );
    assert.ok(!start.sent.some((q) => /^insert into "?audit_events/.test(q)), start.sent.join('\n'));
    // the block and the account's code emails: one read, after the guard's lock
    const lock = start.sent.findIndex((q) => /pg_advisory_xact_lock/.test(q));
    assert.match(start.sent[lock + 1] ?? '', /account_blocks.*count\(\*\) from outbox/s, start.sent.join('\n'));
    const flow = await h.store.flows.get(handle.flowId);
    assert.equal(flow?.state, 'completed');
    const types = (await h.auditTypes()).map((e) => e.type);
    assert.ok(types.includes('reset.requested') && types.includes('password.changed'), types.join(','));
  });
});

test('round trips: a held write is sent before a statement that reads its table, never merged into it (PostgreSQL)', async () => {
  await withRecordedHarness(async (h, record) => {
    const started = await h.reset.start('user@contoso.example', RC);
    assert.ok(started.ok);
    const base = (await h.store.flows.get(started.value.flowId))!;
    const copy: FlowRecord = { ...base, id: 'batching-test-flow-1', version: 0 };
    const { sent } = await record(() =>
      h.store.transaction(async (tx) => {
        await tx.flows.create(copy);
        // reads the table the held insert writes: it must see the row
        assert.equal((await tx.flows.get(copy.id))?.id, copy.id);
      }),
    );
    assert.equal(sent.length, 4, sent.join('\n')); // begin, insert, select, commit
    assert.match(sent[1]!, /^insert into "flows"/);
    assert.match(sent[2]!, /^select \* from "flows"/);
  });
});

test('round trips: a held write travels with the next unrelated statement and commits with it; a rollback drops it (PostgreSQL)', async () => {
  await withRecordedHarness(async (h, record) => {
    const started = await h.reset.start('user@contoso.example', RC);
    assert.ok(started.ok);
    const base = (await h.store.flows.get(started.value.flowId))!;
    const tenantId = base.tenantId!;
    const merged = await record(() =>
      h.store.transaction(async (tx) => {
        await tx.flows.create({ ...base, id: 'batching-test-flow-2', version: 0 });
        await tx.looks.getLook(tenantId);
      }),
    );
    assert.equal(merged.sent.length, 3, merged.sent.join('\n')); // begin, insert + select, commit
    assert.match(merged.sent[1]!, /^with sspr_later_1 as \(insert into "flows" .*\) select .* from "tenant_looks"/s);
    assert.equal((await h.store.flows.get('batching-test-flow-2'))?.id, 'batching-test-flow-2');
    // held at commit: it travels with the commit, its values written as literals (quotes and
    // backslashes included), and is stored exactly
    const awkward = `O'Brien \\ "quoted" $1 -- not a comment; $2 'x'`;
    const atCommit = await record(() =>
      h.store.transaction(async (tx) =>
        tx.flows.create({ ...base, id: 'batching-test-flow-3', userAgent: awkward, version: 0 }),
      ),
    );
    assert.equal(atCommit.sent.length, 2, atCommit.sent.join('\n')); // begin, insert + commit
    assert.match(atCommit.sent[1]!, /^insert into "flows" .*; commit$/s);
    const stored = await h.store.flows.get('batching-test-flow-3');
    assert.equal(stored?.id, 'batching-test-flow-3');
    assert.equal(stored?.userAgent, awkward);
    // a transaction that fails: the held write never runs
    await assert.rejects(
      h.store.transaction(async (tx) => {
        await tx.flows.create({ ...base, id: 'batching-test-flow-4', version: 0 });
        throw new Error('step failed');
      }),
      /step failed/,
    );
    assert.equal(await h.store.flows.get('batching-test-flow-4'), null);
    // outside a transaction a "later" write runs at once
    await h.store.flows.create({ ...base, id: 'batching-test-flow-5', version: 0 });
    assert.equal((await h.store.flows.get('batching-test-flow-5'))?.id, 'batching-test-flow-5');
  });
});

test('round trips: an error in a held write fails the step and nothing of it is stored (PostgreSQL)', async () => {
  await withRecordedHarness(async (h) => {
    const started = await h.reset.start('user@contoso.example', RC);
    assert.ok(started.ok);
    const base = (await h.store.flows.get(started.value.flowId))!;
    await assert.rejects(
      h.store.transaction(async (tx) => {
        await tx.flows.create({ ...base, id: 'batching-test-flow-6', version: 0 });
        // the same id again: the primary key refuses it when the batch is sent (with the next statement)
        await tx.flows.create({ ...base, id: base.id, version: 0 });
        await tx.looks.getLook(base.tenantId!);
      }),
      /duplicate key/,
    );
    assert.equal(await h.store.flows.get('batching-test-flow-6'), null);
    // the same when the failing write travels with the commit: the commit does not run
    await assert.rejects(
      h.store.transaction(async (tx) => {
        await tx.flows.create({ ...base, id: 'batching-test-flow-7', version: 0 });
        await tx.looks.getLook(base.tenantId!);
        await tx.flows.create({ ...base, id: base.id, version: 0 });
      }),
      /duplicate key/,
    );
    assert.equal(await h.store.flows.get('batching-test-flow-7'), null);
    // and the pooled connections still work
    assert.equal((await h.store.flows.get(base.id))?.id, base.id);
  });
});
