import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { HkdfKeyring } from '../../src/adapters/crypto/keyring.ts';
import { cryptoRandom } from '../../src/adapters/crypto/crypto-random.ts';
import { SmtpMailer } from '../../src/adapters/mail/smtp-mailer.ts';
import { openSqlStore, type SqlStore } from '../../src/adapters/sql/sql-store.ts';
import { chainHash, GENESIS_HASH } from '../../src/core/audit-chain.ts';
import { renderEmail } from '../../src/core/message-templates.ts';
import type { Logger } from '../../src/ports/logger.ts';
import type { EmailMessage, Mailer } from '../../src/ports/messaging.ts';
import { enqueueEmail } from '../../src/service/message-queue.ts';
import { OutboxWorker } from '../../src/service/outbox-worker.ts';
import { tempSqliteUrl, withMigratedPostgresDatabase } from '../helpers/databases.ts';
import { startSmtpListener } from '../helpers/smtp-listener.ts';

/**
 * Delivery in batches (issue 14, item 2): a batch's outcomes are recorded in one statement (and
 * its audit events in one insert), so the statements a batch costs do not grow with its size; two
 * instances working the same queue in batches never send one message twice.
 */

const T0 = Date.parse('2025-01-01T09:00:00.000Z');
const silent: Logger = { fatal() {}, error() {}, warn() {}, info() {}, debug() {}, child: () => silent };
const POLICY = { baseMs: 1_000, maxMs: 60_000, noticeHorizonMs: 72 * 3_600_000, maxAttempts: 5 };

/** Counts sends (and who got them) without a network: what a batch costs in the database alone. */
function countingMailer(): Mailer & { sent: Map<string, number>; total(): number } {
  const sent = new Map<string, number>();
  let total = 0;
  return {
    name: 'counting',
    sent,
    total: () => total,
    async send(m: EmailMessage) {
      sent.set(m.to, (sent.get(m.to) ?? 0) + 1);
      total++;
      return { ok: true, providerId: null };
    },
  };
}

function worker(
  store: SqlStore,
  keyring: HkdfKeyring,
  mailer: Mailer,
  workerId: string,
  clock: { now(): number },
  options: { batchSize?: number; concurrency?: number } = {},
): OutboxWorker {
  return new OutboxWorker({
    store,
    keyring,
    mailer,
    sms: null,
    clock,
    random: cryptoRandom,
    log: silent,
    policy: POLICY,
    pollMs: 60_000,
    claimMs: 30_000,
    workerId,
    ...options,
  });
}

/** Queues `n` emails (to `<prefix><i>@example.com`), 500 per transaction; every other one carries a code id. */
async function enqueue(
  store: SqlStore,
  keyring: HkdfKeyring,
  n: number,
  o: { prefix: string; now: number; codes?: boolean },
): Promise<void> {
  const content = renderEmail('test.message', { when: new Date(o.now).toISOString() });
  for (let from = 0; from < n; from += 500) {
    await store.transaction(async (tx) => {
      for (let i = from; i < Math.min(n, from + 500); i++) {
        await enqueueEmail(
          tx,
          { keyring, random: cryptoRandom },
          {
            tenantId: i % 3 === 0 ? 't2' : 't1',
            accountId: `a${i}`,
            template: 'test.message',
            to: `${o.prefix}${i}@example.com`,
            content,
            expiresAt: null,
            // a code no longer known (purged): dropped at send time as superseded
            ...(o.codes && i % 2 === 1 ? { codeId: randomUUID() } : {}),
            now: o.now,
          },
        );
      }
    });
  }
}

/** Statements of one round of a worker whose batch takes `n` messages (every message due at once). */
async function statementsOfOneBatch(url: string, n: number): Promise<string[]> {
  let seen: string[] | null = null;
  const store = await openSqlStore(url, { onQuery: (sql) => seen?.push(sql) });
  const keyring = new HkdfKeyring(randomBytes(32));
  const mailer = countingMailer();
  const w = worker(store, keyring, mailer, `w-${n}`, { now: () => T0 }, { batchSize: n, concurrency: 4 });
  try {
    await store.migrate();
    await enqueue(store, keyring, n, { prefix: `n${n}-`, now: T0, codes: true });
    seen = [];
    assert.equal(await w.runOnce(), n, 'the whole batch handled in one round');
    const statements: string[] = seen;
    seen = null;
    assert.equal(mailer.total(), n / 2, 'the messages without a code are sent');
    assert.equal((await store.outbox.list({ status: 'sent', limit: 1000 })).length, n / 2);
    const dropped = await store.outbox.list({ status: 'expired', limit: 1000 });
    assert.equal(dropped.length, n / 2, 'those whose code is gone are dropped');
    assert.ok(dropped.every((m) => m.payloadSealed === null && m.recipientSealed === null));
    assert.equal((await store.audit.list({ type: 'message.sent', limit: 1000 })).length, n / 2);
    assert.equal((await store.audit.list({ type: 'message.expired', limit: 1000 })).length, n / 2);
    return statements;
  } finally {
    await w.stop();
    await store.close();
  }
}

function assertBatchStatements(small: string[], large: string[]): void {
  // on PostgreSQL a transaction's first statement carries its `begin` (pg-write-batching.ts)
  const updates = (list: string[]): number =>
    list.filter((s) => /^(begin;\s*(set local [^;]*;\s*)*)?update "outbox"/i.test(s.trim())).length;
  const auditInserts = (list: string[]): number =>
    list.filter((s) => /^insert into "audit_events"/i.test(s.trim())).length;
  // the claim and the batch's outcomes: one statement each, whatever the batch's size
  assert.equal(updates(large), 2, `outbox updates of a batch of 24:\n${large.join('\n')}`);
  assert.equal(auditInserts(large), 1, 'the batch’s audit events in one insert');
  assert.equal(large.length, small.length, `the same statements for 24 messages as for 6:\n${large.join('\n')}`);
}

describe('OutboxWorker in batches', () => {
  it('SQLite: a batch’s outcomes are one UPDATE and one audit INSERT; 24 messages cost the statements of 6', async () => {
    const a = tempSqliteUrl();
    const b = tempSqliteUrl();
    try {
      assertBatchStatements(await statementsOfOneBatch(a.url, 6), await statementsOfOneBatch(b.url, 24));
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });

  it('PostgreSQL: a batch’s outcomes are one UPDATE and one audit INSERT; 24 messages cost the statements of 6', async () => {
    const small = await withMigratedPostgresDatabase((url) => statementsOfOneBatch(url, 6));
    const large = await withMigratedPostgresDatabase((url) => statementsOfOneBatch(url, 24));
    assertBatchStatements(small, large);
  });

  it('SQLite: woken during a round, the worker records its outcomes and claims the next batch in one transaction', async () => {
    const db = tempSqliteUrl();
    const log: string[] = [];
    const store = await openSqlStore(db.url, { onQuery: (sql) => log.push(sql) });
    const keyring = new HkdfKeyring(randomBytes(32));
    const sent: string[] = [];
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    let began: () => void = () => {};
    const sending = new Promise<void>((resolve) => (began = resolve));
    // the first round's sends wait at the gate, while more is queued and the worker woken
    const mailer: Mailer = {
      name: 'gated',
      async send(m: EmailMessage) {
        began();
        await gate;
        sent.push(m.to);
        return { ok: true, providerId: null };
      },
    };
    const w = worker(store, keyring, mailer, 'w-carry', { now: () => T0 }, { batchSize: 8, concurrency: 4 });
    // the worker's timers keep no process alive: this test's waits need something that does
    const alive = setInterval(() => {}, 1_000);
    try {
      await store.migrate();
      await enqueue(store, keyring, 2, { prefix: 'first-', now: T0 });
      log.length = 0;
      w.start();
      await sending;
      await enqueue(store, keyring, 3, { prefix: 'second-', now: T0 });
      w.wake();
      open();
      await w.idle();
      assert.deepEqual(
        [...sent].sort(),
        ['first-0', 'first-1', 'second-0', 'second-1', 'second-2'].map((p) => `${p}@example.com`),
        'each message sent once',
      );
      const txs: string[][] = [];
      for (const q of log) {
        if (q === 'begin immediate') txs.push([]);
        else if (q !== 'commit') txs.at(-1)?.push(q);
      }
      const outboxUpdates = (tx: string[]): number => tx.filter((q) => /^update "outbox"/i.test(q)).length;
      const writing = txs.filter((tx) => outboxUpdates(tx) > 0);
      assert.deepEqual(
        writing.map(outboxUpdates),
        [1, 2, 1],
        'claim; first outcomes with the second claim; second outcomes (no transaction of its own for the second claim)',
      );
      const [, carried] = writing as [string[], string[]];
      assert.ok(
        carried.findIndex((q) => /^insert into "audit_events"/i.test(q)) <
          carried.findLastIndex((q) => /^update "outbox"/i.test(q)),
        'the outcomes and their audit events, then the claim',
      );
      assert.equal((await store.outbox.list({ status: 'sent', limit: 10 })).length, 5);
      assert.equal((await store.audit.list({ type: 'message.sent', limit: 10 })).length, 5);
    } finally {
      clearInterval(alive);
      await w.stop();
      await store.close();
      db.cleanup();
    }
  });

  /** Two instances (two stores, two workers) drain one queue over a real SMTP listener, both looping at once. */
  async function twoInstances(url: string): Promise<void> {
    const keyring = new HkdfKeyring(randomBytes(32));
    const storeA = await openSqlStore(url);
    await storeA.migrate();
    const storeB = await openSqlStore(url);
    const smtp = await startSmtpListener();
    const mailer = (): SmtpMailer =>
      new SmtpMailer({ url: smtp.url, from: 'sspr <no-reply@sspr.example>', timeoutMs: 5_000, maxConnections: 4 });
    const [mailA, mailB] = [mailer(), mailer()];
    const clock = { now: () => Date.now() };
    const a = worker(storeA, keyring, mailA, 'instance-a', clock, { batchSize: 8, concurrency: 4 });
    const b = worker(storeB, keyring, mailB, 'instance-b', clock, { batchSize: 8, concurrency: 4 });
    const n = 200;
    try {
      await enqueue(storeA, keyring, n, { prefix: 'twice-', now: Date.now() });
      a.start();
      b.start();
      // both also run rounds of their own on top of their loops: claims race all the time
      await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
      await smtp.waitFor(n, 60_000);
      await Promise.all([a.idle(), b.idle()]);
      await Promise.all([a.runOnce(), b.runOnce()]);
      assert.equal(smtp.messages.length, n, 'each message delivered exactly once');
      const recipients = new Set(smtp.messages.map((m) => m.envelopeTo[0]));
      assert.equal(recipients.size, n, 'no recipient got two');
      assert.equal((await storeA.outbox.list({ status: 'sent', limit: 1000 })).length, n);
      const events = await storeA.audit.list({ type: 'message.sent', limit: 1000 });
      assert.equal(events.length, n);
      assert.equal(new Set(events.map((e) => e.details.messageId)).size, n, 'one sent event per message');
      // the events of each batch went in with one insert: each tenant's chain still links up, place by place
      for (const chain of ['t1', 't2']) {
        const rows = await storeA.auditChain.page(chain, null, 1000);
        assert.equal(rows.length, chain === 't2' ? Math.ceil(n / 3) : n - Math.ceil(n / 3));
        let prev = GENESIS_HASH;
        rows.forEach((row, i) => {
          assert.equal(row.seq, i + 1, `${chain}: place ${i + 1}`);
          assert.equal(row.prevHash, prev);
          assert.equal(row.hash, chainHash(prev, row.event));
          prev = row.hash as string;
        });
      }
    } finally {
      await a.stop();
      await b.stop();
      await mailA.close();
      await mailB.close();
      await smtp.close();
      await storeB.close();
      await storeA.close();
    }
  }

  it('two instances on PostgreSQL draining one queue in batches never send a message twice', async () => {
    await withMigratedPostgresDatabase(twoInstances);
  });
  // SQLite: one instance per database file (two stores in one process would block each other's
  // synchronous BEGIN IMMEDIATE); several processes on one file are the workers' concern (sspr serve --workers)
});
