import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../ports/logger.ts';
import { answerMetricsInPrimary } from './cluster-metrics.ts';

/**
 * The primary of `sspr serve --workers N` (node:cluster): it forks N workers that listen on the
 * one port (the primary accepts connections and hands them out in turn), and does nothing else —
 * no database, no HTTP. Each worker is a whole `sspr serve` sharing limits, the outbox and every
 * flow through the database (or Redis), as separate instances do.
 *
 * - Start: worker 1 first — it migrates the database, so the others never wait on the migration's
 *   lock — then the others together; resolves once every worker listens. If one ends first, the
 *   others are stopped and it rejects with that worker's exit code (a port in use, a database that
 *   does not answer, a configuration the worker refused…). The primary opens no database.
 * - A worker that ends later is forked again in the same slot after a backoff that doubles with
 *   each recent end (`restart.baseMs` … `restart.maxMs`). `restart.crashLoop.count` ends of one
 *   slot within `restart.crashLoop.windowMs` is a crash loop: the primary says so, stops the other
 *   workers and exits 1 (a supervisor such as systemd then sees the failure).
 * - SIGTERM or SIGINT: every worker is told to stop (each finishes its requests and sends in
 *   flight), then exit 0 when all of them ended with 0, else 1. A second signal (a second or more
 *   after the first) makes them exit at once. Past `shutdownTimeoutMs` + 5 s the rest are killed.
 * - `/metrics`: a worker asked for it collects every worker's metrics through the primary
 *   (`cluster-metrics.ts`), so one scrape of the port sees the whole host.
 */
export interface SuperviseOptions {
  readonly count: number;
  /** The command-line arguments of the worker in `slot` (1 … count), after the script. */
  readonly args: (slot: number) => readonly string[];
  readonly log: Logger;
  readonly shutdownTimeoutMs: number;
  readonly restart?: RestartPolicy;
  /** The script each worker runs (default this process's, `process.argv[1]`). */
  readonly exec?: string;
  /** The node flags each worker starts with (default this process's, `process.execArgv`). */
  readonly execArgv?: readonly string[];
  /** How the primary ends (default `process.exit`). */
  readonly exit?: (code: number) => void;
}

export interface RestartPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly crashLoop: { readonly count: number; readonly windowMs: number };
}

export const DEFAULT_RESTART: RestartPolicy = {
  baseMs: 250,
  maxMs: 10_000,
  crashLoop: { count: 5, windowMs: 60_000 },
};

export class WorkersFailedToStart extends Error {
  constructor(
    readonly slot: number,
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'WorkersFailedToStart';
  }
}

interface Slot {
  readonly slot: number;
  worker: Worker | null;
  /** When this slot's worker ended unexpectedly, most recent last (within the crash-loop window). */
  ends: number[];
  restartTimer: NodeJS.Timeout | null;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * The primary stops its workers by message, not by signal: a signal may also reach them from
 * elsewhere (Ctrl+C reaches the whole process group, systemd signals the whole cgroup), and one
 * stop must not count twice. Each worker drains on the first of `stop` and SIGTERM
 * (`onStopRequest`) and ignores SIGINT; `stop-now` ends it at once.
 */
export type StopMessage = { readonly sspr: 'stop' } | { readonly sspr: 'stop-now' };

function tell(worker: Worker, kind: StopMessage['sspr']): void {
  try {
    if (worker.isConnected()) {
      worker.send({ sspr: kind } satisfies StopMessage);
      return;
    }
  } catch {
    // the channel closed meanwhile: fall back to a signal
  }
  worker.process.kill(kind === 'stop' ? 'SIGTERM' : 'SIGKILL');
}

/**
 * Worker side: calls `stop` once, on the first of SIGTERM and the primary's `stop`; `now` on the
 * primary's `stop-now`. SIGINT is ignored (the primary turns Ctrl+C into one stop).
 */
export function onStopRequest(stop: () => void, now: () => void): void {
  let asked = false;
  const once = (): void => {
    if (asked) return;
    asked = true;
    stop();
  };
  process.on('SIGTERM', once);
  process.on('SIGINT', () => {});
  process.on('message', (message: unknown) => {
    const kind = (message as { sspr?: unknown } | null)?.sspr;
    if (kind === 'stop') once();
    else if (kind === 'stop-now') now();
  });
}

/** Forks the workers; resolves when all of them listen (see the class comment for the rest). */
export function superviseWorkers(options: SuperviseOptions): Promise<void> {
  const { count, log } = options;
  const policy = options.restart ?? DEFAULT_RESTART;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const slots: Slot[] = Array.from({ length: count }, (_, i) => ({
    slot: i + 1,
    worker: null,
    ends: [],
    restartTimer: null,
  }));
  const bySlot = new Map<Worker, Slot>();
  let started = false;
  let stopping = false;
  let stopCode = 0;
  let resolveStart!: () => void;
  let rejectStart!: (e: Error) => void;
  const startup = new Promise<void>((resolve, reject) => {
    resolveStart = resolve;
    rejectStart = reject;
  });
  const listening = new Set<number>();
  answerMetricsInPrimary(() => [...bySlot.keys()], log);

  const fork = (s: Slot): void => {
    s.restartTimer = null;
    cluster.setupPrimary({
      args: [...options.args(s.slot)],
      ...(options.exec ? { exec: options.exec } : {}),
      ...(options.execArgv ? { execArgv: [...options.execArgv] } : {}),
    });
    const worker = cluster.fork();
    s.worker = worker;
    bySlot.set(worker, s);
    worker.on('listening', () => {
      if (started) {
        log.info({ worker: s.slot, pid: worker.process.pid }, `worker ${s.slot} is back and listening`);
        return;
      }
      listening.add(s.slot);
      // worker 1 migrated the database (and made the demo) before it listened: now the rest
      if (s.slot === 1) for (const other of slots.slice(1)) if (!stopping) fork(other);
      if (listening.size === count) {
        started = true;
        resolveStart();
      }
    });
    worker.on('exit', (code, signal) => onExit(s, worker, code, signal));
  };

  const live = (): Worker[] => slots.map((s) => s.worker).filter((w): w is Worker => w !== null);

  let finish: ((code: number) => void) | null = null;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  void finished.then(() => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  });
  let deadline: NodeJS.Timeout | null = null;

  /** SIGTERM to every worker; resolves with the exit code once all have ended. */
  const stopAll = (code: number): Promise<number> => {
    if (stopping) return finished;
    stopping = true;
    stopCode = code;
    for (const s of slots) if (s.restartTimer) clearTimeout(s.restartTimer);
    const workers = live();
    if (workers.length === 0) finish?.(stopCode);
    for (const w of workers) tell(w, 'stop');
    deadline = setTimeout(() => {
      const left = live();
      log.error(
        { workers: left.map((w) => bySlot.get(w)?.slot) },
        `workers still running ${options.shutdownTimeoutMs + 5_000} ms after the stop: killing them`,
      );
      for (const w of left) w.process.kill('SIGKILL');
      stopCode = 1;
    }, options.shutdownTimeoutMs + 5_000);
    deadline.unref();
    return finished;
  };

  const onExit = (s: Slot, worker: Worker, code: number | null, signal: string | null): void => {
    bySlot.delete(worker);
    if (s.worker === worker) s.worker = null;
    if (stopping) {
      if (code !== 0) stopCode = 1;
      if (live().length === 0) {
        if (deadline) clearTimeout(deadline);
        finish?.(stopCode);
      }
      return;
    }
    if (!started) {
      const exitCode = code !== null && code !== 0 ? code : 1;
      log.error(
        { worker: s.slot, pid: worker.process.pid, exitCode: code, signal },
        `worker ${s.slot} ended before it was listening: stopping the others`,
      );
      void stopAll(exitCode).then(() =>
        rejectStart(
          new WorkersFailedToStart(
            s.slot,
            exitCode,
            `worker ${s.slot} of ${count} could not start (exit code ${code ?? signal}); see the lines above`,
          ),
        ),
      );
      return;
    }
    const now = Date.now();
    s.ends = [...s.ends.filter((t) => now - t < policy.crashLoop.windowMs), now];
    if (s.ends.length >= policy.crashLoop.count) {
      log.fatal(
        { worker: s.slot, pid: worker.process.pid, exitCode: code, signal, ends: s.ends.length },
        `worker ${s.slot} ended ${s.ends.length} times within ${policy.crashLoop.windowMs / 1000} s: a crash loop; ` +
          'giving up: stopping the other workers and exiting with 1',
      );
      void stopAll(1).then((c) => exit(c === 0 ? 1 : c));
      return;
    }
    const delayMs = Math.min(policy.maxMs, policy.baseMs * 2 ** (s.ends.length - 1));
    log.error(
      { worker: s.slot, pid: worker.process.pid, exitCode: code, signal, restartInMs: delayMs },
      `worker ${s.slot} ended unexpectedly; starting it again in ${delayMs} ms`,
    );
    s.restartTimer = setTimeout(() => fork(s), delayMs);
  };

  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // systemd (KillMode=control-group) and `timeout` signal the whole group at once: the same
      // stop reaching the primary twice within a second is not a second request
      if (Date.now() - firstSignalAt < 1_000) return;
      log.warn({ signal }, 'second signal during shutdown: the workers exit now');
      for (const w of live()) tell(w, 'stop-now');
      return;
    }
    firstSignalAt = Date.now();
    log.info(
      { signal, workers: count, timeoutMs: options.shutdownTimeoutMs },
      'shutting down: each worker finishes its requests and message sends in flight',
    );
    void stopAll(0).then((code) => {
      log.info({ exitCode: code }, code === 0 ? 'all workers stopped' : 'workers stopped, not all cleanly');
      exit(code);
    });
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);

  fork(slots[0]!);
  return startup;
}
