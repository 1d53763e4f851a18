import os from 'node:os';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../ports/logger.ts';
import { setupDemo } from '../service/demo.ts';
import { CLI_ACTOR, print, type CliContext } from './cli-context.ts';
import { CliFailure, EXIT_CONFIG, EXIT_REFUSED } from './cli-failure.ts';
import { printDemo } from './directory-commands.ts';

/**
 * `sspr serve --workers N`: the primary and its workers (the supervision itself is
 * `adapters/worker-cluster.ts`, reached through compose.ts).
 *
 * The primary checks the configuration and takes the port (a free one for `--port 0`), then forks
 * N workers with `serve --port <p> --host <h> --workers N --worker-slot <i>` (worker 1 first, with
 * `--demo` when asked: it migrates and creates the demo before the others start) and prints the
 * banner once all of them listen. It opens no database itself, so it stays small. Each worker is a whole
 * `sspr serve`: its own database pool, outbox worker and limiter client, logs tagged `worker=<i>`.
 */
export interface ServeFlags {
  readonly port?: string;
  readonly host?: string;
  readonly workers?: string;
  readonly demo?: boolean;
  readonly workerSlot?: string;
}

/** `SSPR_WORKERS` / `--workers` as a number (`auto`: one per core the process may use). */
export function workerCount(config: Pick<Config, 'workers'>): number {
  return config.workers === 'auto' ? Math.max(1, os.availableParallelism()) : config.workers;
}

/**
 * What cannot be shared by several processes is refused before any of them starts. Rate limits
 * can: they are counted in the database (`rate_limits`) or in Redis, never in process memory (the
 * in-memory limiter is for tests only), and SQLite in WAL mode with a busy timeout and `BEGIN
 * IMMEDIATE` transactions is safe for several processes on one file.
 */
export function refuseWorkers(config: Config, workers: number): void {
  const problems: string[] = [];
  if (/^sqlite:(\/\/)?:memory:$/.test(config.database_url))
    problems.push(
      `error: --workers ${workers}: SSPR_DATABASE_URL=sqlite::memory: gives each process a database of its own, so a reset started on one worker would be unknown to the others. Use a file (sqlite:/var/lib/sspr/sspr.db) or PostgreSQL, or run one worker.`,
    );
  if (!config.production && (!config.smtp_url || config.sms_provider === 'dev'))
    problems.push(
      `error: --workers ${workers}: the dev outbox keeps emails and text messages in one process's memory, so /dev/outbox would show only the messages of the worker that answers. Set SSPR_SMTP_URL and an SMS provider other than dev (e.g. SSPR_SMS_PROVIDER=none), or run one worker.`,
    );
  if (problems.length > 0) throw new CliFailure(EXIT_CONFIG, problems);
}

export const hostOf = (config: Pick<Config, 'host'>): string =>
  config.host.includes(':') ? `[${config.host}]` : config.host;

/** A failed listen (or start) as the operator reads it. */
export function listenFailure(config: Config, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES')
    return new CliFailure(EXIT_REFUSED, [
      `error: cannot listen on ${config.host}:${config.port} (${code}). ` +
        'Stop the program using it, or choose another port with --port <n> (or SSPR_PORT).',
    ]);
  return e;
}

export function warnInsecure(config: Config, log: Logger): void {
  if (config.allow_insecure_public_url && config.production && config.public_url.startsWith('http:'))
    log.warn(
      { publicUrl: config.public_url },
      'SSPR_ALLOW_INSECURE_PUBLIC_URL=true: serving a production instance at a plain http address. Browsers drop the __Host- cookies and may not run the CAPTCHA there, so resets can fail; use it in a lab only',
    );
}

/** The start banner: a JSON log line in production, lines for a person in development. */
export function printBanner(
  ctx: CliContext,
  config: Config,
  address: string,
  workers: number,
  log: Logger,
  devOutbox = false,
): void {
  const url = config.public_url;
  const processes = workers > 1 ? ` (${workers} workers)` : '';
  if (config.production) {
    // production: every line on stdout is a JSON log line, the banner too
    log.info(
      { address, publicUrl: url, reset: `${url}/reset`, ...(workers > 1 ? { workers } : {}) },
      `sspr is listening on ${address}${processes}; people reach it at ${url}`,
    );
    return;
  }
  // development: the addresses a person follows are the public URL's (the same host as the links in emails)
  print(ctx, `sspr is listening on ${address}${processes}`);
  if (url !== address) print(ctx, `  people reach it at SSPR_PUBLIC_URL=${url} (links in emails are built from it)`);
  print(ctx, `  reset a password:  ${url}/reset`);
  print(ctx, `  sign in:           ${url}/signin`);
  if (devOutbox)
    print(ctx, `  dev outbox:        ${url}/dev/outbox  (development only: emails and text messages land here)`);
  print(ctx, 'Stop with Ctrl+C.');
}

/**
 * The primary: forks the workers and resolves with its logger once all of them listen; throws a
 * CliFailure with the worker's exit code when one could not start (the others are stopped first).
 */
export async function startWorkers(config: Config, workers: number, demo: boolean): Promise<Logger> {
  const { createLogger, superviseWorkers, workerNodeFlags, WorkersFailedToStart } = await import('../compose.ts');
  const log = createLogger(config).child({ component: 'cluster' });
  warnInsecure(config, log);
  log.info({ workers, pid: process.pid }, `starting ${workers} workers`);
  const port = String(config.port);
  let demoAsked = false;
  try {
    await superviseWorkers({
      count: workers,
      args: (slot) => {
        const args = ['serve', '--port', port, '--host', config.host, '--workers', String(workers)];
        args.push('--worker-slot', String(slot));
        // the demo once, by the first worker 1 (not again when it is restarted)
        if (slot === 1 && demo && !demoAsked) {
          demoAsked = true;
          args.push('--demo');
        }
        return args;
      },
      log,
      shutdownTimeoutMs: config.shutdown_timeout_ms,
      execArgv: workerNodeFlags(),
    });
  } catch (e) {
    if (e instanceof WorkersFailedToStart) throw new CliFailure(e.exitCode, [`error: ${e.message}`]);
    throw e;
  }
  return log;
}

/**
 * One worker: a whole `sspr serve` that drains on SIGTERM or its primary's stop (once), ignores
 * SIGINT (the primary turns Ctrl+C into one stop) and exits at once on the primary's `stop-now`.
 */
export async function serveAsWorker(ctx: CliContext, config: Config, slot: number, demo: boolean): Promise<void> {
  const [{ createApp, onStopRequest, sizeHeapForServing }, { buildServer }, { serve }] = await Promise.all([
    import('../compose.ts'),
    import('../http/server.ts'),
    import('../http/serve.ts'),
  ]);
  const count = workerCount(config);
  const app = await createApp(config, { startWorker: true, worker: { slot, count } });
  let serving: Awaited<ReturnType<typeof serve>>;
  try {
    await app.migrate();
    if (demo) printDemo(ctx, await setupDemo(app.directory, app.random, CLI_ACTOR), true);
    const server = await buildServer(app);
    serving = await serve(app, server, { handleSignals: false });
    sizeHeapForServing(config);
  } catch (e) {
    await app.close();
    throw listenFailure(config, e);
  }
  const log = app.log.child({ component: 'http' });
  onStopRequest(
    () => {
      log.info(
        { timeoutMs: config.shutdown_timeout_ms },
        'shutting down: finishing requests and message sends in flight',
      );
      serving.close().then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed or timed out');
          process.exit(1);
        },
      );
    },
    () => {
      log.warn('told to stop now: exiting');
      process.exit(1);
    },
  );
  app.log.info({ address: serving.address, pid: process.pid }, `worker ${slot} of ${count} is listening`);
}
