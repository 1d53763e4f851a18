import { threadId } from 'node:worker_threads';

/**
 * SQLite's write lock, taken in turn by the threads of one process (the request thread and the
 * outbox thread, each with its own connection to the same file) before they ask SQLite for it.
 *
 * Why: better-sqlite3 is synchronous, and a connection that meets the file's write lock held by
 * another waits in SQLite's busy handler, which *sleeps* the whole thread in steps of 1, 2, 5, 10,
 * 15, 20, 25… ms until the lock is free. On the request thread that sleep stops the event loop:
 * no request is parsed or answered meanwhile, and a lock held for 0.3 ms costs at least 1 ms, often
 * 3 or 8. Measured with `perf trace -s -e clock_nanosleep` on the server's request thread during a
 * short SQLite bench run with the outbox thread on (`BENCH_ONLY=sqlite BENCH_SSPR_ROWS=starts-ttc
 * BENCH_DURATION=5`, a heavily shared machine): 197 to 262 such sleeps, 2.1 to 5.1 s in all, per
 * run; with these turns, none.
 *
 * Here a thread first takes a word in shared memory with one atomic compare-and-swap; when another
 * thread of the process holds it, it waits with `Atomics.waitAsync`, which leaves its event loop
 * running and wakes it the moment the holder lets go. Only then does it run `BEGIN IMMEDIATE`,
 * which now meets SQLite's lock only when another *process* holds it (`serve --workers`, a CLI
 * command), where the busy handler still applies.
 *
 * This lock only orders the threads' turns: SQLite's own locking still guarantees every
 * transaction. A wait is therefore bounded (`maxWaitMs`, SQLite's busy timeout): past it the
 * transaction goes ahead without a turn and SQLite's busy handler decides, so a holder that never
 * lets go (a thread ended in the middle of a transaction) cannot stop the others.
 */
export class SqliteThreadLock {
  /** 0: free; otherwise the holder's tag (its threadId + 1). */
  readonly #word: Int32Array;
  readonly #tag = threadId + 1;
  readonly #maxWaitMs: number;

  constructor(
    /** Shared between the threads: created by the first store, handed to the others (workerData). */
    readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT),
    maxWaitMs = 5_000,
  ) {
    this.#word = new Int32Array(buffer, 0, 1);
    this.#maxWaitMs = maxWaitMs;
  }

  /**
   * Takes the turn: true once held; false when the wait outlasted `maxWaitMs` (the caller goes on
   * without it and must not `release()`). Never blocks the thread.
   */
  async acquire(): Promise<boolean> {
    if (Atomics.compareExchange(this.#word, 0, 0, this.#tag) === 0) return true;
    const deadline = performance.now() + this.#maxWaitMs;
    for (;;) {
      const holder = Atomics.load(this.#word, 0);
      if (holder === 0) {
        if (Atomics.compareExchange(this.#word, 0, 0, this.#tag) === 0) return true;
        continue;
      }
      const left = deadline - performance.now();
      if (left <= 0) return false;
      const waited = Atomics.waitAsync(this.#word, 0, holder, left);
      if (!waited.async) continue;
      // Node does not count an Atomics wait as pending work: keep the event loop alive meanwhile
      // (beyond the wait's own time limit, which V8 reports a little after it)
      const alive = setTimeout(() => {}, left + 1_000);
      try {
        await waited.value;
      } finally {
        clearTimeout(alive);
      }
    }
  }

  /** Gives the turn back (only after an `acquire()` that returned true). */
  release(): void {
    if (Atomics.compareExchange(this.#word, 0, this.#tag, 0) === this.#tag) Atomics.notify(this.#word, 0);
  }

  /** Frees a turn a thread that has ended still held (its connection is gone, and SQLite's lock with it). */
  releaseFor(endedThreadId: number): void {
    if (Atomics.compareExchange(this.#word, 0, endedThreadId + 1, 0) === endedThreadId + 1)
      Atomics.notify(this.#word, 0);
  }
}
