import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies SQLite's write-ahead log back into the database file from a worker thread, so the event
 * loop never waits for it. better-sqlite3 is synchronous: with SQLite's automatic checkpoint (every
 * 1,000 pages) the commit that crosses the threshold copies the pages and fsyncs the file on the
 * event loop — measured about 0.28 ms per reset start on average (`bench/start-breakdown.ts`).
 *
 * The worker opens its own connection to the same file and runs `PRAGMA wal_checkpoint(PASSIVE)`
 * every `intervalMs`: a passive checkpoint never blocks writers or readers, it copies what no reader
 * still needs. The main connection keeps an automatic checkpoint at a much higher threshold as a
 * backstop, should the worker stop.
 *
 * The worker starts when the first checkpoint is due, `intervalMs` after opening: a store closed
 * sooner (a one-shot CLI command, most tests) never pays for a thread (~45 ms of CPU to boot).
 */
export class SqliteCheckpointer {
  #worker: Worker | null = null;
  #timer: NodeJS.Timeout | null;

  constructor(file: string, intervalMs = 1_000) {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const modulePath = createRequire(import.meta.url).resolve('better-sqlite3');
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, modulePath, intervalMs } });
      // the worker holds no request: it must not keep the process alive, and its failure only means
      // the main connection's backstop checkpoints take over
      worker.unref();
      worker.on('error', () => {});
      this.#worker = worker;
    }, intervalMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#worker?.terminate();
  }
}

/** The main connection's own automatic checkpoint, in pages: only if the worker falls behind. */
export const BACKSTOP_CHECKPOINT_PAGES = 20_000;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.modulePath);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
db.pragma('wal_autocheckpoint = 0');
// after a checkpoint that reached the end, a log bigger than this is truncated back to it
db.pragma('journal_size_limit = 67108864');
const checkpoint = db.prepare('pragma wal_checkpoint(PASSIVE)');
const round = () => {
  try {
    checkpoint.get();
  } catch {
    // busy or locked: the next round tries again
  }
};
round();
setInterval(round, workerData.intervalMs);
`;
