import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { HkdfKeyring } from '../../src/adapters/crypto/keyring.ts';
import { cryptoRandom } from '../../src/adapters/crypto/crypto-random.ts';
import { SmtpMailer } from '../../src/adapters/mail/smtp-mailer.ts';
import { openSqlStore, type SqlStore } from '../../src/adapters/sql/sql-store.ts';
import { renderEmail, renderSms } from '../../src/core/message-templates.ts';
import type { BackoffPolicy } from '../../src/core/outbox-policy.ts';
import type { Logger } from '../../src/ports/logger.ts';
import type { Mailer } from '../../src/ports/messaging.ts';
import type { Random } from '../../src/ports/random.ts';
import { enqueueEmail, enqueueSms } from '../../src/service/message-queue.ts';
import { PromMetrics } from '../../src/adapters/prom-metrics.ts';
import { OutboxWorker } from '../../src/service/outbox-worker.ts';
import { tempSqliteUrl } from '../helpers/databases.ts';
import { startSmtpListener, type SmtpListener } from '../helpers/smtp-listener.ts';

const T0 = Date.parse('2025-01-01T09:00:00.000Z');
const TO = 'ada.lovelace@example.com';
const POLICY: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000, noticeHorizonMs: 72 * 3_600_000, maxAttempts: 5 };
const CAP = 5;
/** Fixed jitter: every delay is exactly ¾ of its ceiling. */
const random: Random = { ...cryptoRandom, unit: () => 0.5 };

type LogLine = { level: string; obj: Record<string, unknown>; msg: string | undefined };

function captureLogger(lines: LogLine[]): Logger {
  const make = (bindings: Record<string, unknown>): Logger => {
    const at =
      (level: string) =>
      (a: object | string, b?: string): void => {
        if (typeof a === 'string') lines.push({ level, obj: { ...bindings }, msg: a });
        else lines.push({ level, obj: { ...bindings, ...(a as Record<string, unknown>) }, msg: b });
      };
    return {
      fatal: at('fatal'),
      error: at('error'),
      warn: at('warn'),
      info: at('info'),
      debug: at('debug'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make({});
}

interface Harness {
  store: SqlStore;
  smtp: SmtpListener;
  mailer: SmtpMailer;
  keyring: HkdfKeyring;
  clock: { t: number; now(): number };
  logs: LogLine[];
  workers: OutboxWorker[];
  worker(options?: {
    mailer?: Mailer;
    keyring?: HkdfKeyring;
    workerId?: string;
    concurrency?: number;
    batchSize?: number;
    pollMs?: number;
  }): OutboxWorker;
  email(options?: {
    expiresAt?: number | null;
    to?: string;
    displayName?: string;
    accountId?: string;
  }): Promise<string>;
  cleanup(): Promise<void>;
}

async function harness(): Promise<Harness> {
  const db = tempSqliteUrl();
  const store = await openSqlStore(db.url);
  await store.migrate();
  const smtp = await startSmtpListener();
  const mailer = new SmtpMailer({ url: smtp.url, from: 'sspr <no-reply@sspr.example>', timeoutMs: 1_000 });
  const keyring = new HkdfKeyring(randomBytes(32));
  const clock = { t: T0, now: () => clock.t };
  const logs: LogLine[] = [];
  const workers: OutboxWorker[] = [];
  const h: Harness = {
    store,
    smtp,
    mailer,
    keyring,
    clock,
    logs,
    workers,
    worker(o = {}) {
      const w = new OutboxWorker({
        store,
        keyring: o.keyring ?? keyring,
        mailer: o.mailer ?? mailer,
        sms: null,
        clock,
        random,
        log: captureLogger(logs),
        policy: POLICY,
        pollMs: o.pollMs ?? 60_000,
        claimMs: 30_000,
        workerId: o.workerId ?? 'worker-1',
        ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
        ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
      });
      workers.push(w);
      return w;
    },
    email(o = {}) {
      const content = renderEmail('security-info.changed', {
        displayName: o.displayName ?? 'Ada Lovelace',
        kind: 'phone',
        maskedValue: '••• ••• ••23',
        when: new Date(clock.t).toISOString(),
        changedBy: 'you',
        helpText: 'Contact the help desk.',
      });
      return store.transaction((tx) =>
        enqueueEmail(
          tx,
          { keyring, random },
          {
            tenantId: 't1',
            accountId: o.accountId ?? 'a1',
            template: 'security-info.changed',
            to: o.to ?? TO,
            content,
            expiresAt: o.expiresAt ?? null,
            now: clock.t,
          },
        ),
      );
    },
    async cleanup() {
      for (const w of workers) await w.stop();
      await mailer.close();
      await smtp.close();
      await store.close();
      db.cleanup();
    },
  };
  return h;
}

/** Logs must never carry the recipient or anything from the content. */
function assertLogsClean(logs: LogLine[], secrets: string[]): void {
  const text = JSON.stringify(logs);
  for (const s of secrets) assert.ok(!text.includes(s), `logs mention ${s}`);
}

describe('OutboxWorker with the SQLite store and a real SMTP listener', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it('delivers a message enqueued in the same transaction as its cause, then erases it', async () => {
    const id = await h.store.transaction(async (tx) => {
      await tx.audit.append({
        at: h.clock.t,
        tenantId: 't1',
        accountId: 'a1',
        actor: 'self',
        type: 'method.changed',
        outcome: 'ok',
        ip: '203.0.113.7',
        userAgent: null,
        details: { kind: 'phone' },
      });
      return enqueueEmail(
        tx,
        { keyring: h.keyring, random },
        {
          tenantId: 't1',
          accountId: 'a1',
          template: 'security-info.changed',
          to: TO,
          content: renderEmail('security-info.changed', {
            displayName: 'Ada <b>Lovelace</b>',
            kind: 'phone',
            maskedValue: '••• ••• ••23',
            when: new Date(h.clock.t).toISOString(),
            changedBy: 'an administrator',
            helpText: 'Call the help desk on 0800 000 000.',
          }),
          expiresAt: null,
          now: h.clock.t,
        },
      );
    });

    const queued = await h.store.outbox.get(id);
    assert.ok(queued);
    assert.equal(queued.status, 'pending');
    assert.ok(queued.recipientSealed && !queued.recipientSealed.includes('ada'), 'the recipient is sealed');
    assert.ok(queued.payloadSealed && !queued.payloadSealed.includes('Lovelace'), 'the content is sealed');

    const worker = h.worker();
    h.clock.t += 5;
    assert.equal(await worker.runOnce(), 1);
    const [mail] = await h.smtp.waitFor(1);
    assert.ok(mail);
    assert.deepEqual(mail.envelopeTo, [TO]);
    assert.equal(mail.subject, 'Mobile phone number for password reset changed');
    assert.match(mail.text, /^Hello Ada <b>Lovelace<\/b>,/);
    assert.match(mail.text, /••• ••• ••23/);
    assert.match(mail.text, /made by an administrator/);
    assert.match(mail.text, /1 Jan 2025, 09:00 UTC/);
    assert.match(mail.text, /Call the help desk on 0800 000 000\./);
    assert.match(mail.html ?? '', /Hello Ada &lt;b&gt;Lovelace&lt;\/b&gt;,/);
    assert.match(mail.html ?? '', /<strong>••• ••• ••23<\/strong>/);

    const sent = await h.store.outbox.get(id);
    assert.ok(sent);
    assert.equal(sent.status, 'sent');
    // the port's markSent takes no attempt count: the row keeps the number of failed tries (0 here)
    assert.equal(sent.attempts, 0);
    assert.equal(sent.sentAt, T0 + 5);
    assert.equal(sent.recipientSealed, null);
    assert.equal(sent.payloadSealed, null);
    assert.equal(sent.claimedBy, null);
    assert.equal(sent.template, 'security-info.changed');

    const cause = await h.store.audit.list({ type: 'method.changed' });
    assert.equal(cause.length, 1);
    const events = await h.store.audit.list({ type: 'message.sent' });
    assert.equal(events.length, 1);
    const e = events[0];
    assert.ok(e);
    assert.equal(e.actor, 'system');
    assert.equal(e.tenantId, 't1');
    assert.equal(e.accountId, 'a1');
    assert.equal(e.details.messageId, id);
    assert.equal(e.details.channel, 'email');
    assert.equal(e.details.template, 'security-info.changed');
    assert.equal(e.details.attempts, 1);
    assert.ok(!JSON.stringify(e).includes('ada.lovelace'));

    const line = h.logs.find((l) => l.obj.outcome === 'sent');
    assert.ok(line, 'the outcome is logged');
    assert.equal(line.obj.messageId, id);
    assert.equal(line.obj.channel, 'email');
    assert.equal(line.obj.template, 'security-info.changed');
    assert.equal(line.obj.attempt, 1);
    assertLogsClean(h.logs, [TO, 'ada.lovelace', 'Lovelace', '••23', 'help desk']);
  });

  it('a rolled-back transaction delivers nothing', async () => {
    await assert.rejects(
      h.store.transaction(async (tx) => {
        await enqueueEmail(
          tx,
          { keyring: h.keyring, random },
          {
            tenantId: 't1',
            accountId: 'a1',
            template: 'test.message',
            to: TO,
            content: renderEmail('test.message', { when: new Date(h.clock.t).toISOString() }),
            expiresAt: null,
            now: h.clock.t,
          },
        );
        throw new Error('the change failed');
      }),
      /the change failed/,
    );
    const worker = h.worker();
    assert.equal(await worker.runOnce(), 0);
    assert.deepEqual(await h.store.outbox.list({}), []);
    await worker.idle();
    assert.equal(h.smtp.messages.length, 0);
    assert.equal(h.smtp.connections, 0);
  });

  it('mail server down: retried with backoff, delivered once it is back', async () => {
    const worker = h.worker();
    await h.smtp.stop();
    const id = await h.email();

    assert.equal(await worker.runOnce(), 1);
    let row = await h.store.outbox.get(id);
    assert.ok(row);
    assert.equal(row.status, 'pending');
    assert.equal(row.attempts, 1);
    assert.equal(row.nextAttemptAt, T0 + 750, 'first retry after ¾ of baseMs');
    assert.match(row.lastError ?? '', /ECONNREFUSED/);
    assert.ok(row.payloadSealed, 'kept for the next try');

    assert.equal(await worker.runOnce(), 0, 'not due before next_attempt_at');
    h.clock.t = T0 + 749;
    assert.equal(await worker.runOnce(), 0, 'not due 1 ms before next_attempt_at');
    h.clock.t = T0 + 750;
    assert.equal(await worker.runOnce(), 1);
    row = await h.store.outbox.get(id);
    assert.ok(row);
    assert.equal(row.attempts, 2);
    assert.equal(row.nextAttemptAt, T0 + 750 + 1_500, 'the ceiling doubled');
    assert.equal(await h.store.outbox.nextDueAt(), T0 + 2_250);

    const retries = await h.store.audit.list({ type: 'message.retry' });
    assert.equal(retries.length, 2);
    assert.deepEqual(
      retries.map((r) => r.details.attempts),
      [2, 1],
    );

    await h.smtp.restart();
    h.clock.t = T0 + 2_250;
    assert.equal(await worker.runOnce(), 1);
    const mails = await h.smtp.waitFor(1);
    assert.equal(mails.length, 1);
    row = await h.store.outbox.get(id);
    assert.ok(row);
    assert.equal(row.status, 'sent');
    assert.equal(row.attempts, 2, 'two failed tries recorded on the row');
    const sentEvents = await h.store.audit.list({ type: 'message.sent' });
    assert.equal(sentEvents[0]?.details.attempts, 3, 'delivered at the third try');
    assert.equal(row.payloadSealed, null);
    assert.equal(row.recipientSealed, null);
    assertLogsClean(h.logs, [TO, 'ada.lovelace', 'Lovelace']);
  });

  it('nothing is sent twice on the normal path', async () => {
    const worker = h.worker({ concurrency: 2, batchSize: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await h.email({ to: `person${i}@example.com` }));
    let handled = 0;
    for (let round = 0; round < 6; round++) {
      handled += await worker.runOnce();
      h.clock.t += 10_000;
    }
    assert.equal(handled, 7);
    await h.smtp.waitFor(7);
    await worker.idle();
    assert.equal(h.smtp.messages.length, 7);
    assert.deepEqual(
      h.smtp.messages.map((m) => m.envelopeTo[0]).sort(),
      ids.map((_, i) => `person${i}@example.com`).sort(),
    );
    assert.equal((await h.store.outbox.list({ status: 'sent' })).length, 7);
    assert.equal((await h.store.audit.list({ type: 'message.sent' })).length, 7);
  });

  it('a message that expired while the mail server was down is never sent', async () => {
    const worker = h.worker();
    await h.smtp.stop();
    const id = await h.email({ expiresAt: T0 + 10 * 60_000 });
    assert.equal(await worker.runOnce(), 1);
    assert.equal((await h.store.outbox.get(id))?.status, 'pending');

    await h.smtp.restart();
    h.clock.t = T0 + 10 * 60_000; // exactly at expiresAt: no longer deliverable
    assert.equal(await worker.runOnce(), 1);
    const row = await h.store.outbox.get(id);
    assert.ok(row);
    assert.equal(row.status, 'expired');
    assert.equal(row.attempts, 1, 'no new try was made');
    assert.equal(row.payloadSealed, null);
    assert.equal(row.recipientSealed, null);
    await worker.idle();
    assert.equal(h.smtp.messages.length, 0);
    assert.equal(h.smtp.connections, 0, 'the mail server was not even contacted');
    const expired = await h.store.audit.list({ type: 'message.expired' });
    assert.equal(expired.length, 1);
    assert.equal(expired[0]?.details.messageId, id);
  });

  it('a message is delivered 1 ms before it expires, and expires when the next try would come too late', async () => {
    const worker = h.worker();
    const fresh = await h.email({ expiresAt: T0 + 1 });
    assert.equal(await worker.runOnce(), 1);
    assert.equal((await h.store.outbox.get(fresh))?.status, 'sent');
    await h.smtp.waitFor(1);

    await h.smtp.stop();
    const short = await h.email({ expiresAt: T0 + 700 }); // the first retry would be at T0 + 750
    assert.equal(await worker.runOnce(), 1);
    const row = await h.store.outbox.get(short);
    assert.ok(row);
    assert.equal(row.status, 'expired');
    assert.equal(row.payloadSealed, null);
    const expired = await h.store.audit.list({ type: 'message.expired' });
    assert.equal(expired.length, 1);
    assert.equal(expired[0]?.details.attempts, 1, 'expired after its one failed try');
    assert.match(String(expired[0]?.details.reason), /ECONNREFUSED/);
  });

  it('a permanent rejection (550) fails after one try and erases the content', async () => {
    const worker = h.worker();
    h.smtp.setRejectRecipients(true, 550);
    const id = await h.email();
    assert.equal(await worker.runOnce(), 1);
    const row = await h.store.outbox.get(id);
    assert.ok(row);
    assert.equal(row.status, 'failed');
    assert.equal(row.attempts, 1);
    assert.match(row.lastError ?? '', /SMTP 550/);
    assert.ok(!(row.lastError ?? '').includes('ada'), row.lastError ?? '');
    assert.equal(row.payloadSealed, null);
    assert.equal(row.recipientSealed, null);
    const failed = await h.store.audit.list({ type: 'message.failed' });
    assert.equal(failed.length, 1);
    assert.match(String(failed[0]?.details.reason), /550/);
    h.clock.t += 3_600_000;
    assert.equal(await worker.runOnce(), 0, 'a failed message is never tried again');
  });

  it('with an explicit cap on tries (outbox_max_attempts), gives up at the cap', async () => {
    const worker = h.worker();
    await h.smtp.stop();
    const id = await h.email();
    for (let i = 0; i < CAP; i++) {
      assert.equal(await worker.runOnce(), 1);
      h.clock.t += POLICY.maxMs;
    }
    const row = await h.store.outbox.get(id);
    assert.ok(row);
    assert.equal(row.status, 'failed');
    assert.equal(row.attempts, CAP);
    assert.match(row.lastError ?? '', /gave up after 5 tries/);
    assert.equal(row.payloadSealed, null);
  });

  it('SMS without a provider fails with a clear reason', async () => {
    const worker = h.worker();
    const id = await h.store.transaction((tx) =>
      enqueueSms(
        tx,
        { keyring: h.keyring, random },
        {
          tenantId: 't1',
          accountId: 'a1',
          template: 'test.message',
          to: '+447700900123',
          content: renderSms('test.message', { when: 'now' }),
          expiresAt: null,
          now: h.clock.t,
        },
      ),
    );
    assert.equal(await worker.runOnce(), 1);
    const row = await h.store.outbox.get(id);
    assert.equal(row?.status, 'failed');
    assert.equal(row?.lastError, 'SMS is not configured');
    assert.equal(row?.payloadSealed, null);
  });

  it('one bad row (sealed under another key) and a throwing transport do not stop the others', async () => {
    const other = new HkdfKeyring(randomBytes(32));
    const bad = await h.store.transaction((tx) =>
      enqueueEmail(
        tx,
        { keyring: other, random },
        {
          tenantId: 't1',
          accountId: 'a1',
          template: 'test.message',
          to: TO,
          content: renderEmail('test.message', { when: 'now' }),
          expiresAt: null,
          now: h.clock.t,
        },
      ),
    );
    const good = await h.email({ to: 'grace@example.com' });
    const worker = h.worker();
    assert.equal(await worker.runOnce(), 2);
    const left = await h.store.outbox.get(bad);
    assert.equal(left?.status, 'pending', 'a message this instance cannot open is left for one that can, never failed');
    assert.equal(left?.attempts, 0);
    assert.match(left?.lastError ?? '', /cannot be opened/);
    assert.equal((await h.store.outbox.get(good))?.status, 'sent');
    await h.smtp.waitFor(1);

    // a transport that throws (a bug or an unexpected library error) is a retryable failure
    const throwing: Mailer = {
      name: 'throwing',
      send: async () => {
        throw Object.assign(new Error(`boom for ${TO}`), { code: 'EWEIRD' });
      },
    };
    const third = await h.email();
    const w2 = h.worker({ mailer: throwing, workerId: 'worker-2' });
    assert.equal(await w2.runOnce(), 1);
    const row = await h.store.outbox.get(third);
    assert.equal(row?.status, 'pending');
    assert.equal(row?.attempts, 1);
    assert.equal(row?.lastError, 'transport error: Error (EWEIRD)');
    assertLogsClean(h.logs, [TO]);
  });

  it('a message sealed under a key this instance lacks is deferred (tries not counted, no failure) and delivered by an instance holding the key', async () => {
    const newKey = randomBytes(32);
    const oldKey = randomBytes(32);
    // the instance that queued it already runs with the new key; the one that claims it first does not know that key
    const rotated = new HkdfKeyring(newKey, [oldKey]);
    const stale = new HkdfKeyring(oldKey);
    const id = await h.store.transaction((tx) =>
      enqueueEmail(
        tx,
        { keyring: rotated, random },
        {
          tenantId: 't1',
          accountId: 'a1',
          template: 'test.message',
          to: TO,
          content: renderEmail('test.message', { when: 'now' }),
          expiresAt: null,
          now: h.clock.t,
        },
      ),
    );
    const old = h.worker({ keyring: stale, workerId: 'old-instance' });
    for (let i = 0; i < 20; i++) {
      assert.equal(await old.runOnce(), 1, `round ${i}: claimed and deferred`);
      const row = await h.store.outbox.get(id);
      assert.equal(row?.status, 'pending');
      assert.equal(row?.attempts, 0, 'a deferral is not a try');
      assert.ok(
        row && row.nextAttemptAt > h.clock.t && row.nextAttemptAt <= h.clock.t + 30_000,
        'looked at again within 30 s',
      );
      h.clock.t = row.nextAttemptAt;
    }
    assert.equal((await h.store.audit.list({ type: 'message.failed' })).length, 0);
    const fresh = h.worker({ keyring: rotated, workerId: 'new-instance' });
    assert.equal(await fresh.runOnce(), 1);
    assert.equal((await h.store.outbox.get(id))?.status, 'sent');
    await h.smtp.waitFor(1);
    assert.equal(h.smtp.messages.length, 1);
  });

  it('a notice that keeps failing is retried for the whole notice horizon (not a count of tries), then marked failed', async () => {
    const worker = new OutboxWorker({
      store: h.store,
      keyring: h.keyring,
      mailer: { name: 'down', send: async () => ({ ok: false, retryable: true, reason: 'SMTP 421 try later' }) },
      sms: null,
      clock: h.clock,
      random,
      log: captureLogger(h.logs),
      // backoff capped at an hour keeps the test short (~90 tries); the defaults cap it at 5 minutes
      policy: { baseMs: 1_000, maxMs: 3_600_000, noticeHorizonMs: 72 * 3_600_000 },
      pollMs: 60_000,
      claimMs: 30_000,
      workerId: 'timed',
    });
    h.workers.push(worker);
    const queuedAt = h.clock.t;
    const id = await h.email();
    let tries = 0;
    for (;;) {
      const row = await h.store.outbox.get(id);
      if (row?.status !== 'pending') break;
      h.clock.t = Math.max(h.clock.t, row.nextAttemptAt);
      assert.equal(await worker.runOnce(), 1);
      tries++;
    }
    const row = await h.store.outbox.get(id);
    assert.equal(row?.status, 'failed');
    assert.match(row?.lastError ?? '', /not delivered within 72 h of being queued: SMTP 421 try later/);
    assert.ok(h.clock.t - queuedAt >= 71 * 3_600_000, `retried for ${(h.clock.t - queuedAt) / 3_600_000} h`);
    assert.ok(tries > 50, `${tries} tries, far more than any fixed count the old default allowed (8)`);
    assert.equal(row?.payloadSealed, null);
  });

  it('wake() right after the commit delivers within milliseconds, without waiting for the poll', async () => {
    const worker = h.worker({ pollMs: 60_000 });
    worker.start();
    await worker.idle(); // the first (empty) round after start
    const started = Date.now();
    await h.email();
    worker.wake();
    worker.wake(); // coalesced
    await h.smtp.waitFor(1, 2_000);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1_000, `delivered in ${elapsed} ms`);
    await worker.idle();
    assert.equal(h.smtp.messages.length, 1);
    assert.equal((await h.store.outbox.list({ status: 'sent' })).length, 1);
    await worker.stop();
  });

  it('idle() resolves only once the round a wake-up started has sent everything due (and at once when nothing runs)', async () => {
    const worker = h.worker({ pollMs: 60_000, concurrency: 1 });
    await worker.idle(); // never started, nothing in flight
    worker.start();
    await worker.idle();
    h.smtp.setDataDelay(150);
    for (let i = 0; i < 3; i++) await h.email({ to: `person${i}@example.com` });
    worker.wake();
    await worker.idle();
    assert.equal(h.smtp.messages.length, 3, 'all three accepted when idle() resolved');
    assert.equal((await h.store.outbox.list({ status: 'sent' })).length, 3);
    assert.equal((await h.store.outbox.list({ status: 'pending' })).length, 0);
    await worker.stop();
  });

  it('busy, exported as sspr_outbox_worker_busy at /metrics, is 1 while a send is in flight and 0 once idle', async () => {
    const worker = h.worker({ pollMs: 60_000, concurrency: 1 });
    const metrics = new PromMetrics({ processMetrics: false });
    metrics.setWorkerProbe(() => worker.busy);
    const gauge = async (): Promise<string | undefined> =>
      /^sspr_outbox_worker_busy (\S+)$/m.exec(await metrics.render())?.[1];
    assert.equal(worker.busy, false, 'never started');
    assert.equal(await gauge(), '0');
    worker.start();
    await worker.idle();
    h.smtp.setDataDelay(300);
    await h.email();
    worker.wake();
    await h.smtp.waitForData(1);
    assert.equal(worker.busy, true, 'a send is in flight');
    assert.equal(await gauge(), '1');
    await worker.idle();
    assert.equal(h.smtp.messages.length, 1);
    assert.equal(worker.busy, false, 'idle again');
    assert.equal(await gauge(), '0');
    await worker.stop();
  });

  it('stop() waits for a send in flight, then releases the claims it still holds', async () => {
    h.smtp.setDataDelay(400);
    const worker = h.worker({ concurrency: 1, batchSize: 3 });
    const ids = [
      await h.email({ to: 'p1@example.com' }),
      await h.email({ to: 'p2@example.com' }),
      await h.email({ to: 'p3@example.com' }),
    ];
    const run = worker.runOnce();
    await h.smtp.waitForData(1);
    assert.equal(h.smtp.messages.length, 0, 'the first send is in flight');
    const claimed = await h.store.outbox.list({ status: 'sending' });
    assert.equal(claimed.length, 3, 'the batch is claimed');

    await worker.stop();
    assert.equal(h.smtp.messages.length, 1, 'stop() returned after the send in flight was accepted');
    assert.equal(await run, 1);
    const rows = await Promise.all(ids.map((id) => h.store.outbox.get(id)));
    assert.deepEqual(
      rows.map((r) => [r?.status, r?.claimedBy ?? null]),
      [
        ['sent', null],
        ['pending', null],
        ['pending', null],
      ],
    );
    assert.equal(await worker.runOnce(), 0, 'a stopped worker takes nothing');

    h.smtp.setDataDelay(0);
    const next = h.worker({ workerId: 'worker-2' });
    assert.equal(await next.runOnce(), 2, 'released messages are due again at once');
    await h.smtp.waitFor(3);
    await next.idle();
    assert.equal(h.smtp.messages.length, 3);
  });

  it('pending() counts what waits', async () => {
    const worker = h.worker();
    await h.email();
    await h.email();
    assert.equal(await worker.pending(), 2);
    await worker.runOnce();
    assert.equal(await worker.pending(), 0);
  });
});
