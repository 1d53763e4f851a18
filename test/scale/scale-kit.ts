import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createApp } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { captchaFromUrl } from '../helpers/captcha.ts';
import { freePort } from '../helpers/free-port.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import { sleep, until } from '../helpers/until.ts';
import { builtBundle } from '../cli/run-sspr.ts';

/**
 * Kit of the scale-out tests: real `sspr serve` processes, a private redis-server that a test may
 * kill and restart (never the shared one on 6379), a TCP proxy in front of PostgreSQL that can
 * "stop answering", key clean-up for the shared Redis, and a small JSON API client over fetch.
 * Everything listens on 127.0.0.1 and every wait is bounded.
 */

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const SHARED_REDIS = process.env.SSPR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
export const NEW_PASSWORD = 'violet tractor harbour pencil';
export const TENANT_DOMAIN = 'scale.example';

export { sleep };

export function secretKey(): string {
  return randomBytes(32).toString('base64');
}

export function keyPrefix(): string {
  return `sspr-test-${randomBytes(5).toString('hex')}`;
}

/** Deletes every key under `prefix` in the shared Redis; returns how many. */
export async function flushRedisPrefix(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export async function countRedisKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  try {
    await redis.connect();
    let n = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      n += keys.length;
    } while (cursor !== '0');
    return n;
  } finally {
    redis.disconnect();
  }
}

export { freePort };

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  await until(check, what, timeoutMs, 25);
}

// ---- a private redis-server ------------------------------------------------------------------

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL: Redis is gone at once (connections reset, new ones refused). */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const launch = async (): Promise<void> => {
    const c = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
      { stdio: 'ignore' },
    );
    child = c;
    await waitFor(
      `redis-server on ${port}`,
      async () => {
        const r = new Redis({
          port,
          host: '127.0.0.1',
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        r.on('error', () => {});
        try {
          await r.connect();
          return (await r.ping()) === 'PONG';
        } catch {
          return false;
        } finally {
          r.disconnect();
        }
      },
      5_000,
    );
  };
  const kill = async (): Promise<void> => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGKILL');
    await exited;
  };
  await launch();
  return { port, url: `redis://127.0.0.1:${port}/0`, kill, restart: launch, close: kill };
}

// ---- a TCP proxy in front of PostgreSQL --------------------------------------------------------

export interface PgProxy {
  /** `postgres://postgres@127.0.0.1:<proxy port>/<database>` */
  url(database: string): string;
  /** Cuts every connection and refuses new ones (the database "stops answering"). */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startPgProxy(target = { host: '127.0.0.1', port: 5432 }): Promise<PgProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  const listen = async (): Promise<void> => {
    const s = createServer((client) => {
      const upstream = new Socket();
      sockets.add(client);
      sockets.add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      upstream.connect(target.port, target.host, () => {
        client.pipe(upstream);
        upstream.pipe(client);
      });
    });
    server = s;
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
  };
  const down = async (): Promise<void> => {
    const s = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    down,
    up: listen,
    close: down,
  };
}

// ---- setting up the directory ------------------------------------------------------------------

export interface Seeded {
  readonly logins: readonly string[];
  /** login → alternate email */
  readonly emails: ReadonlyMap<string, string>;
}

/**
 * Migrates the database and creates a tenant with `count` users, each with an alternate email
 * `alt<i>@mail.example` (no password: the reset sets the first one). Uses an App without worker.
 */
export async function seedDirectory(databaseUrl: string, count: number, startAt = 0): Promise<Seeded> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-seed-'));
  let app: App | undefined;
  try {
    const config = loadConfig({
      env: {
        SSPR_DATA_DIR: dataDir,
        SSPR_LOG_LEVEL: 'silent',
        SSPR_DATABASE_URL: databaseUrl,
        SSPR_SECRET_KEY: secretKey(),
      },
    });
    app = await createApp(config);
    await app.migrate();
    if (!(await app.directory.getTenantByName('Scale Test')).ok) {
      const t = await app.directory.createTenant({ name: 'Scale Test', domains: [TENANT_DOMAIN], actor: 'test' });
      assert.ok(t.ok, 'tenant created');
    }
    const logins: string[] = [];
    const emails = new Map<string, string>();
    const batch = async (i: number): Promise<void> => {
      const login = `u${i}@${TENANT_DOMAIN}`;
      const email = `alt${i}@mail.example`;
      const added = await app!.directory.addUser({ login, displayName: `User ${i}`, actor: 'test' });
      assert.ok(added.ok, `user ${login} added`);
      const set = await app!.directory.setMethod({ login, kind: 'email', value: email, actor: 'test' });
      assert.ok(set.ok, `email of ${login} set`);
      logins.push(login);
      emails.set(login, email);
    };
    for (let i = startAt; i < startAt + count; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, startAt + count - i) }, (_, k) => batch(i + k)));
    }
    return { logins, emails };
  } finally {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---- a real `sspr serve` process ---------------------------------------------------------------

export interface Instance {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** What the process wrote to stderr (logs at warn and above). */
  stderr(): string;
  /** SIGKILL, no goodbye. */
  kill9(): Promise<void>;
  /** SIGTERM and wait (graceful: sends in flight finish, claims are released). */
  stop(): Promise<void>;
}

/**
 * Starts `sspr serve` from the production build (`builtBundle()`, built once per test process), as
 * it is deployed: a start costs ~0.5 s of CPU, against ~2.5 s through tsx (bin/sspr.js), which
 * compiled the sources again in each instance.
 */
export async function startInstance(name: string, env: Record<string, string>, timeoutMs = 60_000): Promise<Instance> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `sspr-${name}-`));
  const child = spawn(process.execPath, [builtBundle(), 'serve', '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? os.tmpdir(),
      NODE_ENV: 'test',
      SSPR_DATA_DIR: dataDir,
      SSPR_LOG_LEVEL: 'warn',
      SSPR_CAPTCHA_MAX_NUMBER: '1000',
      SSPR_PURGE_INTERVAL_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanupDir = (): void => rmSync(dataDir, { recursive: true, force: true });
  exited.then(cleanupDir, cleanupDir);
  try {
    await waitFor(
      `instance ${name} to listen`,
      async () => {
        if (child.exitCode !== null) throw new Error(`instance ${name} exited (${child.exitCode}): ${stderr}`);
        return /listening on http:\/\/[\d.]+:\d+/.test(stdout);
      },
      timeoutMs,
    );
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const url = /listening on (http:\/\/[\d.]+:\d+)/.exec(stdout)![1]!;
  return {
    name,
    url,
    child,
    stderr: () => stderr,
    async kill9() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---- the JSON API over HTTP --------------------------------------------------------------------

export const API = '/api/v1/reset';

export interface Handle {
  readonly flowId: string;
  readonly secret: string;
}

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export async function call(
  base: string,
  method: 'GET' | 'POST',
  pathname: string,
  options: { flow?: Handle; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.flow) headers['x-flow-secret'] = `${options.flow.flowId}.${options.flow.secret}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${pathname.startsWith('/') ? pathname : `${API}/${pathname}`}`, {
    method,
    headers,
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
  });
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body };
}

export function errorCode(a: Answer): string | undefined {
  return (a.body.error as { code?: string } | undefined)?.code;
}

/** A solved ALTCHA payload for the instance at `base` (any instance with the same key accepts it). */
export function captcha(base: string): Promise<string> {
  return captchaFromUrl(base);
}

/** `n` solved CAPTCHAs, solved beforehand so that a timed phase measures the servers, not the solver. */
export async function captchas(base: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await captcha(base));
  return out;
}

export async function start(base: string, login: string, altcha?: string): Promise<Handle> {
  const a = await call(base, 'POST', 'start', { body: { login, altcha: altcha ?? (await captcha(base)) } });
  assert.equal(a.status, 202, `start ${login} on ${base}: ${JSON.stringify(a.body)}`);
  return { flowId: String(a.body.flowId), secret: String(a.body.flowSecret) };
}

export function codeIn(text: string): string {
  const m = /\b(\d{6})\b/.exec(text);
  if (!m?.[1]) throw new Error('no 6-digit code in the message');
  return m[1];
}
