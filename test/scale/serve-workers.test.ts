import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Challenge } from 'altcha-lib';
import { solveCaptcha } from '../helpers/captcha.ts';
import { until } from '../helpers/until.ts';
import { createPostgresDatabase, type TestPostgresDatabase } from '../helpers/databases.ts';
import { startSmtpListener, type SmtpListener } from '../helpers/smtp-listener.ts';
import { builtBundle, ROOT, sspr, tempDataDir } from '../cli/run-sspr.ts';
import { flushRedisPrefix, keyPrefix, SHARED_REDIS } from './scale-kit.ts';

/**
 * `sspr serve --workers 2` from the production bundle, on PostgreSQL + the shared Redis, in
 * production mode (JSON logs, each line carrying `worker` and `pid`): both workers answer on the
 * one port, the per-IP start limit refuses at the same count as one process would, /metrics
 * merges both workers, a worker killed with SIGKILL is started again, and SIGTERM drains
 * requests in flight and exits 0. Plus what cannot start: the refusals and a port in use.
 */

const START_LIMIT = 6;
const metricsToken = randomBytes(16).toString('hex');
const prefix = keyPrefix();
let db: TestPostgresDatabase;
let smtp: SmtpListener;
let cluster: Cluster;

interface LogLine {
  readonly msg?: string;
  readonly worker?: number;
  readonly pid?: number;
  readonly reqId?: string;
  readonly req?: { readonly method?: string; readonly url?: string };
  readonly res?: { readonly statusCode?: number };
  readonly [key: string]: unknown;
}

interface Cluster {
  readonly child: ChildProcess;
  readonly base: string;
  lines(): LogLine[];
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function productionEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.tmpdir(),
    NODE_ENV: 'production',
    SSPR_DATA_DIR: dataDir,
    SSPR_LOG_LEVEL: 'info',
    SSPR_SECRET_KEY: randomBytes(32).toString('base64'),
    SSPR_PUBLIC_URL: 'https://reset.example.test',
    SSPR_CAPTCHA_MAX_NUMBER: '1000',
    SSPR_PURGE_INTERVAL_MS: '0',
    SSPR_SMS_PROVIDER: 'none',
    ...extra,
  };
}

function parse(stdout: string): LogLine[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

function spawnCluster(args: readonly string[], env: Record<string, string>): Omit<Cluster, 'base'> & { out(): string } {
  const child = spawn(process.execPath, [builtBundle(), 'serve', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, out: () => stdout, lines: () => parse(stdout), stderr: () => stderr, exited };
}

/** One HTTP request on a connection of its own (so the primary hands each to the next worker). */
function request(
  base: string,
  method: 'GET' | 'POST',
  pathname: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = http.request(
      `${base}${pathname}`,
      {
        method,
        agent: false,
        timeout: 30_000,
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (s: string) => (text += s));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${method} ${pathname} timed out`)));
    req.end(payload);
  });
}

async function solvedCaptcha(base: string): Promise<string> {
  const r = await request(base, 'GET', '/reset/challenge');
  assert.equal(r.status, 200, r.body);
  return solveCaptcha(JSON.parse(r.body) as Challenge);
}

const start = async (base: string, altcha: string) =>
  request(base, 'POST', '/api/v1/reset/start', {
    body: { login: `nobody-${randomBytes(4).toString('hex')}@x.example`, altcha },
  });

/** The workers (slot → pid) that logged "incoming request" for `url` since line `from`. */
function servedBy(lines: LogLine[], url: string, from = 0): Map<number, number> {
  const by = new Map<number, number>();
  for (const l of lines.slice(from))
    if (l.msg === 'incoming request' && l.req?.url === url && l.worker !== undefined) by.set(l.worker, l.pid ?? 0);
  return by;
}

let dataDir: string;

before(async () => {
  db = await createPostgresDatabase();
  smtp = await startSmtpListener();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-workers-'));
  const c = spawnCluster(
    ['--port', '0', '--workers', '2'],
    productionEnv(dataDir, {
      SSPR_DATABASE_URL: db.url,
      SSPR_REDIS_URL: SHARED_REDIS,
      SSPR_REDIS_KEY_PREFIX: prefix,
      SSPR_SMTP_URL: smtp.url,
      SSPR_START_LIMIT_PER_IP: String(START_LIMIT),
      SSPR_METRICS_TOKEN: metricsToken,
      SSPR_SHUTDOWN_TIMEOUT_MS: '8000',
    }),
  );
  const banner = await until(
    () => {
      if (c.child.exitCode !== null) throw new Error(`serve exited (${c.child.exitCode}): ${c.stderr()}\n${c.out()}`);
      return c.lines().find((l) => typeof l.msg === 'string' && l.msg.startsWith('sspr is listening on '));
    },
    'the banner',
    120_000,
    100,
  );
  cluster = { ...c, base: String(banner.address) };
});

after(async () => {
  if (cluster && cluster.child.exitCode === null && cluster.child.signalCode === null) {
    cluster.child.kill('SIGKILL');
    await cluster.exited;
  }
  await smtp?.close();
  await db?.drop();
  await flushRedisPrefix(SHARED_REDIS, prefix);
  rmSync(dataDir, { recursive: true, force: true });
});

test('both workers listen on the one port and answer; the banner comes once, from the primary; no error on a first start', async () => {
  // the primary's banner comes once both workers listen; a worker's own line may come a moment
  // after it (each writes to the shared stdout itself)
  const listening = await until(
    () => {
      const lines = cluster.lines().filter((l) => /^worker [12] of 2 is listening$/.test(l.msg ?? ''));
      return lines.length === 2 && lines;
    },
    'both workers\' "is listening" lines',
    30_000,
    25,
  );
  assert.deepEqual(listening.map((l) => l.worker).sort(), [1, 2]);
  assert.equal(new Set(listening.map((l) => l.pid)).size, 2, 'two processes');
  assert.ok(!listening.some((l) => l.pid === cluster.child.pid), 'neither is the primary');
  assert.equal(cluster.lines().filter((l) => l.msg?.startsWith('sspr is listening on ')).length, 1);
  // an empty database: one worker migrates while the other waits, and no background job runs
  // before the schema is there (the outbox thread's first round once failed on a missing table)
  assert.deepEqual(
    cluster.lines().filter((l) => typeof l.level === 'number' && l.level >= 50),
    [],
  );
  // each request on a connection of its own: the primary hands it to the next worker that is free,
  // and a worker still busy just after its start (a collection, its first outbox round, its first
  // compile on a loaded CI machine) skips turns until it takes a connection again. So ask for up to
  // 30 s, pausing between requests, rather than a fixed count (20 quick requests once all went to
  // worker 1 in CI while worker 2 was still busy).
  // (its log line may come a moment after the answer, so the check comes before each new request)
  await until(
    async () => {
      if (servedBy(cluster.lines(), '/reset/challenge').size === 2) return true;
      assert.equal((await request(cluster.base, 'GET', '/reset/challenge')).status, 200);
      return undefined;
    },
    'both workers to serve /reset/challenge',
    30_000,
    25,
  );
  assert.deepEqual([...servedBy(cluster.lines(), '/reset/challenge').keys()].sort(), [1, 2]);
});

test('the per-IP start limit is shared: refused at the same count as with one process, across both workers', async () => {
  const from = cluster.lines().length;
  const proofs: string[] = [];
  for (let i = 0; i <= START_LIMIT; i++) proofs.push(await solvedCaptcha(cluster.base));
  for (let i = 0; i < START_LIMIT; i++) {
    const r = await start(cluster.base, proofs[i]!);
    assert.equal(r.status, 202, `start ${i + 1}: ${r.body}`);
  }
  const refused = await start(cluster.base, proofs[START_LIMIT]!);
  assert.equal(refused.status, 429, refused.body);
  assert.deepEqual([...servedBy(cluster.lines(), '/api/v1/reset/start', from).keys()].sort(), [1, 2]);

  // one scrape sees both workers' counts (merged by the primary), whichever worker answers it
  for (let i = 0; i < 2; i++) {
    const m = await request(cluster.base, 'GET', '/metrics', { headers: { authorization: `Bearer ${metricsToken}` } });
    assert.equal(m.status, 200);
    const line = (status: number) =>
      new RegExp(
        `^sspr_http_request_duration_seconds_count\\{method="POST",route="/api/v1/reset/start",status_code="${status}"\\} (\\d+)$`,
        'm',
      );
    assert.equal(line(202).exec(m.body)?.[1], String(START_LIMIT), m.body.slice(0, 2000));
    assert.equal(line(429).exec(m.body)?.[1], '1');
    assert.match(m.body, /^sspr_messages_pending \d+$/m);
  }
});

test('a worker killed with SIGKILL is started again in its slot and answers', async () => {
  const old = cluster.lines().find((l) => l.msg === 'worker 2 of 2 is listening')!;
  const from = cluster.lines().length;
  process.kill(old.pid!, 'SIGKILL');
  await until(
    () =>
      cluster
        .lines()
        .slice(from)
        .find((l) => l.msg === 'worker 2 of 2 is listening' && l.pid !== old.pid),
    'worker 2 restarted',
    60_000,
    100,
  );
  const ended = cluster
    .lines()
    .slice(from)
    .find((l) => /^worker 2 ended unexpectedly/.test(l.msg ?? ''));
  assert.ok(ended, 'the primary says so');
  assert.equal(ended.signal, 'SIGKILL');
  const after = cluster.lines().length;
  for (let i = 0; i < 6; i++) assert.equal((await request(cluster.base, 'GET', '/reset/challenge')).status, 200);
  const served = servedBy(cluster.lines(), '/reset/challenge', after);
  assert.deepEqual([...served.keys()].sort(), [1, 2]);
  assert.notEqual(served.get(2), old.pid, 'the new process');
});

test('SIGTERM to the primary drains both workers: requests in flight are answered, exit 0', async () => {
  const from = cluster.lines().length;
  const inFlight = Array.from({ length: 8 }, () => request(cluster.base, 'GET', '/reset'));
  // every one reached a worker (some may have been answered already), on both workers
  await until(
    () => {
      const lines = cluster.lines().slice(from);
      const taken = lines.filter((l) => l.msg === 'incoming request' && l.req?.url === '/reset');
      return taken.length === 8 && new Set(taken.map((l) => l.worker)).size === 2;
    },
    'the requests taken by both workers',
    30_000,
    100,
  );
  cluster.child.kill('SIGTERM');
  const answers = await Promise.all(inFlight);
  for (const a of answers) assert.equal(a.status, 200);
  const exit = await cluster.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, cluster.stderr());
  const stopped = cluster.lines().filter((l) => l.msg === 'stopped');
  assert.deepEqual(stopped.map((l) => l.worker).sort(), [1, 2], 'each worker drained and said so');
  assert.ok(cluster.lines().some((l) => l.msg === 'all workers stopped'));
});

test('what cannot work with several workers is refused before any starts', async () => {
  const data = tempDataDir();
  try {
    const memory = await sspr(data.dir, ['serve', '--workers', '2'], {
      env: { SSPR_DATABASE_URL: 'sqlite::memory:', SSPR_SMTP_URL: 'smtp://127.0.0.1:9', SSPR_SMS_PROVIDER: 'none' },
    });
    assert.equal(memory.code, 2, memory.stderr);
    assert.match(
      memory.stderr,
      /--workers 2: SSPR_DATABASE_URL=sqlite::memory: gives each process a database of its own/,
    );
    const devOutbox = await sspr(data.dir, ['serve'], { env: { SSPR_WORKERS: 'auto' } });
    // `auto` on a one-core machine is one worker, which has no such limit
    if (os.availableParallelism() > 1) {
      assert.equal(devOutbox.code, 2, devOutbox.stderr);
      assert.match(devOutbox.stderr, /the dev outbox keeps emails and text messages in one process's memory/);
    }
    const bad = await sspr(data.dir, ['serve', '--workers', 'many']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /SSPR_WORKERS/);
  } finally {
    data.cleanup();
  }
});

test('a worker that cannot listen stops the start: the primary exits non-zero and says why', async () => {
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-workers-busy-'));
  try {
    const c = spawnCluster(
      ['--port', String(port), '--workers', '2'],
      productionEnv(dir, { SSPR_SMTP_URL: 'smtp://127.0.0.1:9' }),
    );
    const exit = await Promise.race([
      c.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit')), 120_000).unref()),
    ]);
    assert.equal(exit.code, 1, `${c.stderr()}\n${c.out()}`);
    assert.match(c.stderr(), /cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
    assert.match(c.stderr(), /error: worker [12] of 2 could not start/);
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
});
