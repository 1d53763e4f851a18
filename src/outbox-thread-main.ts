/**
 * The outbox thread (see src/adapters/outbox-thread.ts): a small composition root of its own that
 * wires the OutboxWorker to its own database connection, the SMTP mailer and SMS provider of the
 * configuration, and, on PostgreSQL, its own LISTEN connection. It talks to the request thread
 * through `parentPort` only: wake-ups and questions in, delivery outcomes (for /metrics) out.
 * Built to dist/outbox-thread-main.mjs beside dist/sspr.mjs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromOutboxThread, OutboxThreadData, ToOutboxThread } from './adapters/outbox-thread.ts';
import { createLogger, keyringFrom, outboxSettings } from './compose-parts.ts';
import { smsSenderFrom, smtpMailerFrom } from './adapters/messaging-from-config.ts';
import { openSqlStore } from './adapters/sql/sql-store.ts';
import { PgOutboxListener } from './adapters/sql/pg-outbox-listener.ts';
import { systemClock } from './adapters/system-clock.ts';
import { cryptoRandom } from './adapters/crypto/crypto-random.ts';
import { OutboxWorker } from './service/outbox-worker.ts';
import { errorSummary } from './service/outbox-reasons.ts';

/** The thread's own database connections on PostgreSQL (a claim, a code read and a record at a time). */
const THREAD_POOL_MAX = 3;

const port = parentPort;
if (!port) throw new Error('outbox-thread-main runs as a worker thread only');
/**
 * The finished attempts not yet posted: they go together at the end of the loop's turn (a batch
 * records its outcomes at once), and before any other message, so a reply never overtakes them.
 */
type Done = Extract<FromOutboxThread, { t: 'metrics' }>['done'][number];
let done: Done[] = [];
const flushDone = (): void => {
  if (done.length === 0) return;
  const batch = done;
  done = [];
  port.postMessage({ t: 'metrics', done: batch } satisfies FromOutboxThread);
};
const post = (m: FromOutboxThread): void => {
  flushDone();
  port.postMessage(m);
};
const messageDone = (d: Done): void => {
  if (done.push(d) === 1) setImmediate(flushDone);
};
const { config, workerId, slot, threadLock } = workerData as OutboxThreadData;
const rootLog = createLogger(config);
const log = (slot !== null ? rootLog.child({ worker: slot }) : rootLog).child({ component: 'outbox', thread: true });

try {
  const mailer = smtpMailerFrom(config);
  if (!mailer) throw new Error('the outbox thread needs SSPR_SMTP_URL');
  const sms = smsSenderFrom(config);
  const store = await openSqlStore(config.database_url, { secondary: { poolMax: THREAD_POOL_MAX, threadLock } });
  const worker = new OutboxWorker({
    store,
    keyring: keyringFrom(config),
    mailer,
    sms,
    clock: systemClock,
    random: cryptoRandom,
    log,
    ...outboxSettings(config),
    workerId,
    metrics: { messageDone: (channel, outcome, ageMs) => messageDone({ channel, outcome, ageMs }) },
  });
  // PostgreSQL: another instance's message (its insert trigger's NOTIFY) wakes this thread directly
  const listener =
    store.dialect === 'postgres'
      ? new PgOutboxListener({
          databaseUrl: config.database_url,
          onNotify: () => worker.wake(),
          log: log.child({ component: 'outbox-listener' }),
        })
      : null;
  // the busy gauge of /metrics, as it changes (read at each scrape on the request thread)
  let busy = false;
  const gauge = setInterval(() => {
    if (worker.busy !== busy) post({ t: 'busy', busy: (busy = worker.busy) });
  }, 250);
  gauge.unref();

  let stopping = false;
  port.on('message', (m: ToOutboxThread) => {
    switch (m.t) {
      case 'wake':
        worker.wake();
        break;
      case 'run':
        void worker.runOnce().then((value) => post({ t: 'reply', id: m.id, value }));
        break;
      case 'idle':
        void worker.idle().then(() => post({ t: 'reply', id: m.id, value: 0 }));
        break;
      case 'stop':
        if (stopping) break;
        stopping = true;
        clearInterval(gauge);
        void (async () => {
          try {
            await listener?.stop();
            await worker.stop();
            await mailer.close?.();
            await store.close();
          } catch (e) {
            log.error({ err: errorSummary(e) }, 'outbox thread did not close cleanly');
          }
          flushDone();
          port.close();
        })();
        break;
    }
  });
  worker.start();
  listener?.start();
  post({ t: 'ready' });
} catch (e) {
  post({ t: 'failed', error: errorSummary(e) });
  throw e;
}
