import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { HkdfKeyring } from '../../src/adapters/crypto/keyring.ts';
import { cryptoRandom } from '../../src/adapters/crypto/crypto-random.ts';
import { openSqlStore } from '../../src/adapters/sql/sql-store.ts';
import { renderEmail } from '../../src/core/message-templates.ts';
import type { Logger } from '../../src/ports/logger.ts';
import type { EmailMessage, Mailer } from '../../src/ports/messaging.ts';
import { enqueueEmail } from '../../src/service/message-queue.ts';
import { OutboxWorker } from '../../src/service/outbox-worker.ts';
import { tempSqliteUrl } from '../helpers/databases.ts';

/**
 * Memory while draining (issue 14, item 4): the worker claims, sends and records in small batches
 * and keeps nothing of a batch once it is recorded, so draining 3,000 queued messages (many batches)
 * leaves the heap, after a full collection, near where it started (0.5 MiB seen). The bound is half
 * of what keeping them would cost: their sealed content alone is ~1.5 KiB each, so 3,000 messages
 * kept anywhere would exceed it twice over. The 20,000-message drain at full speed, with the
 * server's peak RSS, is the benchmark's delivery row (`BENCH_ONLY=delivery npm run bench`);
 * `DRAIN_N` runs this test with another count.
 */

const silent: Logger = { fatal() {}, error() {}, warn() {}, info() {}, debug() {}, child: () => silent };
const N = Number(process.env.DRAIN_N ?? 3_000);
const KEPT_BYTES_EACH = 1.5 * 1024;
const MiB = 1024 * 1024;

function fullGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

describe('OutboxWorker draining a large queue', () => {
  it(`drains ${N} queued emails and the heap after GC is back near where it started`, async () => {
    const gc = fullGc();
    const db = tempSqliteUrl();
    const store = await openSqlStore(db.url);
    const keyring = new HkdfKeyring(randomBytes(32));
    let sent = 0;
    let peakClaimed = 0;
    const mailer: Mailer = {
      name: 'counting',
      async send(_m: EmailMessage) {
        sent++;
        return { ok: true, providerId: null };
      },
    };
    const now = Date.now();
    const worker = new OutboxWorker({
      store,
      keyring,
      mailer,
      sms: null,
      clock: { now: () => Date.now() },
      random: cryptoRandom,
      log: silent,
      policy: { baseMs: 1_000, maxMs: 60_000, noticeHorizonMs: 72 * 3_600_000, maxAttempts: 5 },
      pollMs: 60_000,
      claimMs: 120_000,
      workerId: 'drain',
    });
    try {
      await store.migrate();
      const content = renderEmail('test.message', { when: new Date(now).toISOString() });
      for (let from = 0; from < N; from += 1_000) {
        await store.transaction(async (tx) => {
          for (let i = from; i < Math.min(N, from + 1_000); i++) {
            await enqueueEmail(
              tx,
              { keyring, random: cryptoRandom },
              {
                tenantId: 't1',
                accountId: `a${i}`,
                template: 'test.message',
                to: `drain${i}@example.com`,
                content,
                expiresAt: null,
                now,
              },
            );
          }
        });
      }
      assert.equal((await store.outbox.backlog()).pending, 1000, 'the backlog is counted up to 1000');
      gc();
      const before = process.memoryUsage().heapUsed;
      const sampler = setInterval(() => {
        peakClaimed = Math.max(peakClaimed, process.memoryUsage().heapUsed - before);
      }, 50);
      worker.start();
      await worker.idle();
      clearInterval(sampler);
      assert.equal(sent, N, 'everything was sent');
      assert.equal((await store.outbox.backlog()).pending, 0);
      gc();
      const grown = process.memoryUsage().heapUsed - before;
      console.log(
        `drained ${N}: heap after GC ${(grown / MiB).toFixed(1)} MiB from the start, ` +
          `at most ${(peakClaimed / MiB).toFixed(1)} MiB above it while draining (garbage included)`,
      );
      const bound = (N * KEPT_BYTES_EACH) / 2;
      assert.ok(
        grown < bound,
        `heap grew by ${(grown / MiB).toFixed(1)} MiB and stayed (bound ${(bound / MiB).toFixed(1)} MiB)`,
      );
    } finally {
      await worker.stop();
      await store.close();
      db.cleanup();
    }
  });
});
