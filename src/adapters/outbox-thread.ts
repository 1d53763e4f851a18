import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../ports/logger.ts';
import type { MessageOutcome, Metrics } from '../ports/metrics.ts';
import type { OutboxChannel, Store } from '../ports/store.ts';
import type { OutboxDelivery } from '../service/outbox-worker.ts';
import { SqliteThreadLock } from './sql/sqlite-thread-lock.ts';

/** What the outbox thread is started with (workerData). */
export interface OutboxThreadData {
  readonly config: Config;
  readonly workerId: string;
  /** The `serve --workers N` slot of the process, for its logs; null with one process. */
  readonly slot: number | null;
  /** SQLite: the request thread's store's `threadLock` (sqlite-thread-lock.ts); null otherwise. */
  readonly threadLock: SharedArrayBuffer | null;
}

/** From the request thread to the outbox thread. */
export type ToOutboxThread =
  | { readonly t: 'wake' }
  | { readonly t: 'run'; readonly id: number }
  | { readonly t: 'idle'; readonly id: number }
  | { readonly t: 'stop' };

/** From the outbox thread to the request thread. */
export type FromOutboxThread =
  | { readonly t: 'ready' }
  | { readonly t: 'reply'; readonly id: number; readonly value: number }
  | { readonly t: 'busy'; readonly busy: boolean }
  | {
      /** Finished attempts, in order (posted together: one message per turn of the thread's loop). */
      readonly t: 'metrics';
      readonly done: readonly {
        readonly channel: OutboxChannel;
        readonly outcome: MessageOutcome;
        readonly ageMs: number;
      }[];
    }
  | { readonly t: 'failed'; readonly error: string };

export interface OutboxThreadOptions {
  readonly config: Config;
  readonly workerId: string;
  readonly slot: number | null;
  /** The thread's module: src/outbox-thread-main.ts (dist/outbox-thread-main.mjs in the build). */
  readonly entry: URL;
  /** The request thread's store: `pending()` counts there, without a trip to the thread. */
  readonly store: Pick<Store, 'outbox'>;
  /** SQLite: the store's `threadLock`, shared with the thread's connection so they take turns at the write lock. */
  readonly threadLock?: SharedArrayBuffer | null;
  readonly log: Logger;
  /** The thread's finished attempts are counted here (the request thread serves /metrics). */
  readonly metrics?: Pick<Metrics, 'messageDone'>;
  /** Restart delay after the thread died, doubled up to 30 s (default 500 ms). */
  readonly restartMs?: number;
}

const WAKE: ToOutboxThread = { t: 'wake' };

/**
 * The thread's heap: it holds one batch at a time (32 messages), so a small young generation
 * keeps its memory small (V8's default lets each thread's grow to 16 MiB per semi-space). A
 * thread that ran out would end and be started again; its claims lapse meanwhile.
 */
const THREAD_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 96 } as const;

/**
 * The outbox worker on a thread of its own (worker_threads): it has its own event loop and its
 * own database connection (SQLite: a second better-sqlite3 connection on the same file, which
 * takes turns at the write lock with the request thread's, sql/sqlite-thread-lock.ts;
 * PostgreSQL: a small pool of its own and its own LISTEN connection), so the codes go out at once
 * however busy the thread that answers requests is. What it guarantees is the OutboxWorker's
 * (claims, at most one batch sent twice after a crash, sealed content opened only there, backoff):
 * it runs that very class. This object is its stand-in on the request thread: `wake()` posts a
 * message (a few microseconds), `stop()` lets the thread finish its sends and give back its claims,
 * and the thread's delivery outcomes are counted in this thread's metrics. A thread that dies
 * (it should not) is started again with backoff; meanwhile its claims lapse and any instance
 * takes the messages over.
 */
export class OutboxThread implements OutboxDelivery {
  readonly #o: OutboxThreadOptions;
  #worker: Worker | null = null;
  #started = false;
  #stopping = false;
  #busy = false;
  #failures = 0;
  #restart: NodeJS.Timeout | null = null;
  #nextId = 1;
  readonly #replies = new Map<number, (value: number) => void>();
  #ready: Promise<void> = Promise.resolve();
  #exited: Promise<void> = Promise.resolve();

  constructor(options: OutboxThreadOptions) {
    this.#o = options;
  }

  get workerId(): string {
    return this.#o.workerId;
  }

  get busy(): boolean {
    return this.#busy;
  }

  start(): void {
    if (this.#started || this.#stopping) return;
    this.#started = true;
    this.#spawn();
  }

  /** Resolves once the thread has opened its connections and started delivering. */
  ready(): Promise<void> {
    return this.#ready;
  }

  wake(): void {
    if (!this.#stopping) this.#worker?.postMessage(WAKE);
  }

  runOnce(): Promise<number> {
    return this.#ask('run');
  }

  async idle(): Promise<void> {
    await this.#ask('idle');
  }

  async pending(): Promise<number> {
    return (await this.#o.store.outbox.backlog()).pending;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#restart) clearTimeout(this.#restart);
    this.#restart = null;
    const worker = this.#worker;
    if (!worker) return;
    worker.postMessage({ t: 'stop' } satisfies ToOutboxThread);
    // the thread finishes its sends, gives back its claims, closes its connections and ends
    await this.#exited;
  }

  #ask(t: 'run' | 'idle'): Promise<number> {
    const worker = this.#worker;
    if (!worker || this.#stopping) return Promise.resolve(0);
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#replies.set(id, resolve);
      worker.postMessage({ t, id } satisfies ToOutboxThread);
    });
  }

  #spawn(): void {
    const threadLock = this.#o.threadLock ?? null;
    const data: OutboxThreadData = {
      config: this.#o.config,
      workerId: this.#o.workerId,
      slot: this.#o.slot,
      threadLock,
    };
    // the sources (tests, `npm run dev`) run under tsx: the thread registers it before loading its module
    const worker = this.#o.entry.pathname.endsWith('.ts')
      ? new Worker(
          `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(this.#o.entry.href)}); });`,
          { eval: true, workerData: data, execArgv: threadExecArgv(process.execArgv), resourceLimits: THREAD_LIMITS },
        )
      : new Worker(this.#o.entry, { workerData: data, resourceLimits: THREAD_LIMITS });
    // the thread holds no request: it never keeps the process alive on its own (the HTTP server does)
    worker.unref();
    this.#worker = worker;
    // (the Worker forgets its threadId once it has exited)
    const threadId = worker.threadId;
    let onReady: () => void = () => {};
    this.#ready = new Promise((resolve) => (onReady = resolve));
    let onExit: () => void = () => {};
    this.#exited = new Promise((resolve) => (onExit = resolve));
    worker.on('message', (m: FromOutboxThread) => {
      switch (m.t) {
        case 'ready':
          this.#failures = 0;
          onReady();
          break;
        case 'reply':
          this.#replies.get(m.id)?.(m.value);
          this.#replies.delete(m.id);
          break;
        case 'busy':
          this.#busy = m.busy;
          break;
        case 'metrics':
          for (const d of m.done) this.#o.metrics?.messageDone(d.channel, d.outcome, d.ageMs);
          break;
        case 'failed':
          this.#o.log.error({ err: m.error }, 'outbox thread could not start');
          break;
      }
    });
    worker.on('error', (e) => {
      this.#o.log.error({ err: e.message }, 'outbox thread failed');
    });
    worker.on('exit', (code) => {
      this.#worker = null;
      // a thread ended in the middle of a transaction: its connection, and SQLite's lock, are gone
      if (threadLock) new SqliteThreadLock(threadLock).releaseFor(threadId);
      this.#busy = false;
      for (const reply of this.#replies.values()) reply(0);
      this.#replies.clear();
      onReady();
      onExit();
      if (this.#stopping) return;
      const delay = Math.min(30_000, (this.#o.restartMs ?? 500) * 2 ** this.#failures++);
      this.#o.log.error({ code, restartInMs: delay }, 'outbox thread ended; starting it again');
      this.#restart = setTimeout(() => {
        this.#restart = null;
        if (!this.#stopping) this.#spawn();
      }, delay);
      this.#restart.unref();
    });
  }
}

/** Flags a thread may be given that change how it loads modules (each may take its value as the next argument). */
const LOADING_FLAGS = new Set([
  '--import',
  '--require',
  '-r',
  '--loader',
  '--experimental-loader',
  '--conditions',
  '-C',
]);

/**
 * The node flags of a thread that runs the sources: the process's module-loading flags only,
 * without preloads of TypeScript files (a test runner's `--import ./helper.ts`: a thread loads .ts
 * files only once it has registered tsx itself). A Worker refuses per-process flags given to it
 * (ERR_WORKER_INVALID_EXEC_ARGV): Node 24's test runner starts its test processes with such flags
 * in execArgv (`--stack-trace-limit`, `--secure-heap`, `--node-snapshot`…), so they are left out.
 */
export function threadExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const inline = /^(--?[\w-]+)=(.*)$/.exec(flag);
    const name = inline?.[1] ?? flag;
    if (!LOADING_FLAGS.has(name)) continue;
    const value = inline ? inline[2] : argv[i + 1];
    if (!inline) i++;
    if (value === undefined || value.endsWith('.ts')) continue;
    out.push(name, value);
  }
  return out;
}
