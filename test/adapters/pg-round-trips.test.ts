import assert from 'node:assert/strict';
import test from 'node:test';
import pg from 'pg';
import { AuditChainService } from '../../src/service/audit-chain-service.ts';
import type { FlowRecord } from '../../src/ports/flow-store.ts';
import { withMigratedPostgresDatabase } from '../helpers/databases.ts';
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
 * held and the held writes sent with the commit 6, 13, 29; with `begin` sent with the first
 * statement and the tenant's look read from the store's cache 4, 12, 27; with a start's attempt
 * guard taken in its lookup 3, 12, 27; with the reads after a held audit append sent ahead of it,
 * which then goes with the commit, 3, 11, 26; with a code check's live and replaced codes read in
 * one statement, 3, 10, 26; with a credential change's clearing of the guards, the sign-in
 * throttle and the temporary password and its history row held as "later" writes, 3, 10, 22.
 */
const MAX_ROUND_TRIPS = { start: 3, verify: 10, setPassword: 22 };

async function withRecordedHarness(fn: (h: ResetHarness, record: RecordStep) => Promise<void>): Promise<void> {
  await withMigratedPostgresDatabase(async (url) => {
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
    // the transaction opens with its first statement (relaxed: no wait for the WAL's sync at commit)
    assert.match(start.sent[0]!, /^begin; set local synchronous_commit = off; select\s/);
    // the start's writes all travel with the commit: the earlier flows ended (their codes found
    // through the flows' ids), the flow, its code, its message and the audit row — the chain head's
    // upsert and the event in one statement — so the chain's head is not held over a trip back to
    // the client; no insert of its own. Each is a statement of its own, in order, the audit row
    // last: the chain's head is locked only once the other writes are done
    assert.match(
      start.sent.at(-1)!,
      /^update "flow_codes" set "superseded_at" = \S+ where "flow_id" = any\(array\(\(select "id" from "flows" .*\)\)\).*; update "flows" .*; insert into "flows" .*; insert into "flow_codes" .*; insert into "outbox" .*; with head as \(\s*insert into audit_chain_heads.*insert into audit_events.*; commit$/s,
    );
    assert.ok(!start.sent.some((q) => /^insert into "?audit_events/.test(q)), start.sent.join('\n'));
    // verify: the reads after its audit append (the tenant, the account) go ahead of it, and the
    // append travels with the commit: the chain's head is not held over those round trips
    assert.match(
      verify.sent.at(-1)!,
      /^with head as \(\s*insert into audit_chain_heads.*insert into audit_events.*; commit$/s,
    );
    assert.ok(!verify.sent.slice(0, -1).some((q) => /audit_chain_heads/.test(q)), verify.sent.join('\n'));
    // the block and the account's code emails: one read, after the guard's lock (taken in the lookup)
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
    assert.equal(sent.length, 3, sent.join('\n')); // begin + insert, select, commit
    assert.match(sent[0]!, /^begin; insert into "flows"/);
    assert.match(sent[1]!, /^select \* from "flows"/);
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
        await tx.directory.getTenant(tenantId);
      }),
    );
    assert.equal(merged.sent.length, 2, merged.sent.join('\n')); // begin + insert + select, commit
    assert.match(
      merged.sent[0]!,
      /^begin; with sspr_later_1 as \(insert into "flows" .*\) select row_to_json\(t\) .* from tenants t/s,
    );
    assert.equal((await h.store.flows.get('batching-test-flow-2'))?.id, 'batching-test-flow-2');
    // held at commit: it travels with the commit, its values written as literals (quotes and
    // backslashes included), and is stored exactly
    const awkward = `O'Brien \\ "quoted" $1 -- not a comment; $2 'x'`;
    const atCommit = await record(() =>
      h.store.transaction(async (tx) =>
        tx.flows.create({ ...base, id: 'batching-test-flow-3', userAgent: awkward, version: 0 }),
      ),
    );
    assert.equal(atCommit.sent.length, 1, atCommit.sent.join('\n')); // begin + insert + commit
    assert.match(atCommit.sent[0]!, /^begin; insert into "flows" .*; commit$/s);
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
        await tx.directory.getTenant(base.tenantId!);
      }),
      /duplicate key/,
    );
    assert.equal(await h.store.flows.get('batching-test-flow-6'), null);
    // the same when the failing write travels with the commit: the commit does not run
    await assert.rejects(
      h.store.transaction(async (tx) => {
        await tx.flows.create({ ...base, id: 'batching-test-flow-7', version: 0 });
        await tx.directory.getTenant(base.tenantId!);
        await tx.flows.create({ ...base, id: base.id, version: 0 });
      }),
      /duplicate key/,
    );
    assert.equal(await h.store.flows.get('batching-test-flow-7'), null);
    // and the pooled connections still work
    assert.equal((await h.store.flows.get(base.id))?.id, base.id);
  });
});

test('round trips: begin travels with the first statement; a transaction that sent nothing needs no round trip (PostgreSQL)', async () => {
  await withRecordedHarness(async (h, record) => {
    const started = await h.reset.start('user@contoso.example', RC);
    assert.ok(started.ok);
    const tenantId = (await h.store.flows.get(started.value.flowId))!.tenantId!;
    // nothing sent: neither the begin nor the commit (or the rollback) reaches the server
    assert.deepEqual((await record(() => h.store.transaction(async () => 1))).sent, []);
    await assert.rejects(
      record(() =>
        h.store.transaction(async () => {
          throw new Error('nothing done');
        }),
      ),
      /nothing done/,
    );
    // full durability (the default): begin alone in front of the statement, no setting
    const full = await record(() => h.store.transaction((tx) => tx.directory.getTenant(tenantId)));
    assert.equal(full.value?.id, tenantId);
    assert.equal(full.sent.length, 2, full.sent.join('\n'));
    assert.match(full.sent[0]!, new RegExp(`^begin; select row_to_json\\(t\\) .* where t.id = '${tenantId}'`, 's'));
    assert.equal(full.sent[1], 'commit');
    // relaxed: the setting travels with the begin
    const relaxed = await record(() =>
      h.store.transaction((tx) => tx.directory.getTenant(tenantId), { durability: 'relaxed' }),
    );
    assert.match(relaxed.sent[0]!, /^begin; set local synchronous_commit = off; select row_to_json\(t\)/);
    // a first statement whose values cannot be written as literals (bytes) goes after a begin of its own
    const png = new Uint8Array([137, 80, 78, 71, 0, 39, 92]);
    const logo = await record(() =>
      h.store.transaction((tx) => tx.looks.setLogo(tenantId, { hash: 'h1', width: 1, height: 1, png }, 1)),
    );
    assert.deepEqual(logo.sent.slice(0, 1), ['begin']);
    assert.match(logo.sent[1]!, /^insert into "tenant_looks"/);
    assert.deepEqual((await h.store.looks.getLogo(tenantId, 'h1'))?.png, png);
  });
});

test('round trips: the tenant look is read once and kept; a change through the store shows at once (PostgreSQL)', async () => {
  await withRecordedHarness(async (h, record) => {
    const started = await h.reset.start('user@contoso.example', RC);
    assert.ok(started.ok);
    const tenantId = (await h.store.flows.get(started.value.flowId))!.tenantId!;
    const again = await record(() => h.reset.start('user@contoso.example', { ...RC, host: 'reset.contoso.example' }));
    assert.ok(again.value.ok);
    const host = await record(() => h.reset.start('user@contoso.example', { ...RC, host: 'reset.contoso.example' }));
    // the look was read by the first start and the host by the second: the third reads neither
    assert.ok(
      again.sent.some((q) => /from "tenant_looks" where "host"/.test(q)),
      again.sent.join('\n'),
    );
    assert.ok(!host.sent.some((q) => /tenant_looks/.test(q)), host.sent.join('\n'));
    const look = await h.store.looks.getLook(tenantId);
    const saved = await h.store.looks.saveLook(
      tenantId,
      { ...look, defaultLocale: 'de', host: 'reset.contoso.example' },
      1,
    );
    assert.ok(saved.ok);
    assert.equal((await h.store.looks.getLook(tenantId)).defaultLocale, 'de');
    assert.equal((await h.store.looks.findByHost('reset.contoso.example'))?.tenantId, tenantId);
  });
});

test('round trips: a start takes the attempt guard in its lookup, of the account or of the unknown login, and waits for it (PostgreSQL)', async () => {
  await withMigratedPostgresDatabase(async (url) => {
    const { onQuery, record } = queryRecorder();
    const h = await createResetHarness({ databaseUrl: url, onQuery });
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      const tenantId = (await h.store.directory.findTenantByDomain('contoso.example'))!.id;
      const accountId = (await h.store.directory.findAccountByLogin('user@contoso.example'))!.id;
      const unknownSubject = `login:${h.keyring.hmac('guard', `${tenantId}:nobody@contoso.example`)}`;
      // the first start of a domain does not know its tenant yet: the guard is a statement of its own
      const cold = await record(() => h.reset.start('someone@contoso.example', RC));
      assert.ok(cold.value.ok);
      assert.match(cold.sent[1] ?? '', /^select pg_advisory_xact_lock/, cold.sent.join('\n'));
      for (const [login, subject] of [
        ['user@contoso.example', accountId],
        ['nobody@contoso.example', unknownSubject],
      ] as const) {
        // another transaction holds the subject's guard (as a code check would)
        await holder.query('begin');
        await holder.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`sspr-guard:${subject}`]);
        const started = record(() => h.reset.start(login, RC));
        // the start waits for it, in its lookup
        let waiting: string | undefined;
        for (let i = 0; i < 500 && waiting === undefined; i++) {
          const { rows } = await holder.query<{ query: string }>(
            `select query from pg_stat_activity where wait_event_type = 'Lock' and wait_event = 'advisory'
               and datname = current_database()`,
          );
          waiting = rows[0]?.query;
          // the activity view is read once per transaction unless its snapshot is cleared
          await holder.query('select pg_stat_clear_snapshot()');
          if (waiting === undefined) await new Promise((r) => setImmediate(r));
        }
        // (the view shows the first 1,024 bytes of the statement)
        assert.match(
          waiting ?? '',
          /^begin; set local synchronous_commit = off; select\s+\(select row_to_json\(a\)/,
          `${login}: waits in its lookup: ${waiting}`,
        );
        await holder.query('commit');
        const { value, sent } = await started;
        assert.ok(value.ok, login);
        assert.equal(sent.length, 3, sent.join('\n'));
        assert.ok(!sent.some((q) => /^select pg_advisory_xact_lock/.test(q)), sent.join('\n'));
      }
    } finally {
      await holder.end();
      await h.close();
    }
  });
});

test('audit chain: 60 concurrent starts (asynchronous commit, head upserted with the commit) leave one linear chain that verifies (PostgreSQL)', async () => {
  await withRecordedHarness(async (h) => {
    const tenantId = (await h.store.directory.findTenantByDomain('contoso.example'))!.id;
    const logins = [
      'user@contoso.example',
      'nobody@contoso.example',
      'disabled@contoso.example',
      'emailless@contoso.example',
    ];
    const before = (await h.store.audit.list({ tenantId, limit: 1000 })).length;
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => h.reset.start(logins[i % logins.length]!, { ...RC, ip: `10.9.0.${i}` })),
    );
    assert.ok(results.every((r) => r.ok));
    // one place per event, none skipped: the chain is linear
    assert.equal((await h.store.auditChain.head(tenantId))?.seq, before + 60);
    const service = new AuditChainService({ store: h.store, keyring: h.keyring, clock: h.clock, pageSize: 7 });
    const [verdict] = await service.verify(tenantId, 'test', { ip: null, userAgent: null });
    assert.equal(verdict?.result.ok, true, JSON.stringify(verdict?.result.broken));
    assert.ok(verdict!.result.checked >= before + 60, `checked ${verdict?.result.checked}`);
  });
});
