import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildServer } from '../../src/http/server.ts';
import { serve } from '../../src/http/serve.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { bundled } from '../helpers/bundle.ts';

function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** One GET on a fresh connection; resolves with status and body, rejects on a connection error. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Resolves with the error code of a TCP connection attempt ('connected' when it was accepted). */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

async function waitUntilRefused(port: number, withinMs: number): Promise<string> {
  const deadline = Date.now() + withinMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await tryConnect(port);
    if (last === 'ECONNREFUSED') return last;
    await new Promise((r) => setTimeout(r, 10));
  }
  return last;
}

test('serve(): close() lets the request in flight finish with 200, refuses new connections, then closes the App', async () => {
  const { app, cleanup } = await createTestApp({
    SSPR_HOST: '127.0.0.1',
    SSPR_PORT: '0',
    SSPR_SHUTDOWN_TIMEOUT_MS: '5000',
  });
  try {
    const server = await buildServer(app);
    const started = deferred();
    const release = deferred();
    server.get('/test/slow', async () => {
      started.resolve();
      await release.promise;
      return { done: true };
    });
    const serving = await serve(app, server, { handleSignals: false });
    assert.match(serving.address, /^http:\/\/127\.0\.0\.1:\d+$/);
    const port = Number(new URL(serving.address).port);
    assert.ok(port > 0);
    assert.equal((await get(`${serving.address}/healthz`)).status, 200);

    const inFlight = get(`${serving.address}/test/slow`);
    await started.promise;
    const closed = serving.close();
    assert.equal(await waitUntilRefused(port, 2_000), 'ECONNREFUSED', 'new connections are refused while closing');

    release.resolve();
    const response = await inFlight;
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body), { done: true });
    await closed;
    await assert.rejects(app.store.ping(), 'the App (and its database) is closed after the server');
    assert.equal(serving.close(), serving.close(), 'close() is idempotent');
  } finally {
    await cleanup();
  }
});

test('serve(): close() gives up after shutdown_timeout_ms and cuts what is still open', async () => {
  const { app, cleanup } = await createTestApp({
    SSPR_HOST: '127.0.0.1',
    SSPR_PORT: '0',
    SSPR_SHUTDOWN_TIMEOUT_MS: '200',
  });
  const release = deferred();
  try {
    const server = await buildServer(app);
    const started = deferred();
    server.get('/test/stuck', async () => {
      started.resolve();
      await release.promise;
      return { done: true };
    });
    const serving = await serve(app, server, { handleSignals: false });
    const inFlight = get(`${serving.address}/test/stuck`).then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code ?? 'failed',
    );
    await started.promise;
    const t0 = performance.now();
    await assert.rejects(serving.close(), /shutdown did not finish within 200 ms/);
    const elapsed = performance.now() - t0;
    assert.ok(elapsed >= 190 && elapsed < 1_500, `gave up after ${Math.round(elapsed)} ms`);
    assert.equal(await inFlight, 'ECONNRESET', 'the stuck request was cut off');
  } finally {
    release.resolve();
    await app.close();
    await cleanup();
  }
});

interface Child {
  readonly address: string;
  readonly events: string[];
  waitFor(event: string): Promise<void>;
  signal(name: NodeJS.Signals): void;
  readonly exit: Promise<number | null>;
}

async function startChild(dataDir: string, shutdownTimeoutMs: string): Promise<Child> {
  // the child runs bundled beside the production build (its static files, the outbox thread's
  // module) with plain node: ~3 s of CPU less than through tsx
  const entry = await bundled(path.join(import.meta.dirname, 'fixtures', 'serve-child.ts'), { besideBuild: true });
  const child = spawn(process.execPath, [fileURLToPath(entry)], {
    env: { ...process.env, CHILD_DATA_DIR: dataDir, CHILD_SHUTDOWN_TIMEOUT_MS: shutdownTimeoutMs },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const events: string[] = [];
  const waiters = new Map<string, () => void>();
  const listening = deferred<string>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as { event: string; address?: string };
    events.push(message.event);
    if (message.event === 'listening' && message.address) listening.resolve(message.address);
    waiters.get(message.event)?.();
  });
  const address = await Promise.race([
    listening.promise,
    exit.then((code) => Promise.reject(new Error(`child exited early with ${code}`))),
  ]);
  return {
    address,
    events,
    exit,
    signal: (name) => child.kill(name),
    waitFor: (event) =>
      events.includes(event) ? Promise.resolve() : new Promise<void>((resolve) => waiters.set(event, resolve)),
  };
}

test('SIGTERM: the process finishes the request in flight, then exits 0', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sspr-serve-'));
  try {
    const child = await startChild(dataDir, '5000');
    const inFlight = get(`${child.address}/test/slow?ms=400`);
    await child.waitFor('slow-started');
    child.signal('SIGTERM');
    const response = await inFlight;
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body), { done: true });
    assert.equal(await child.exit, 0);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('SIGINT with a request that outlasts shutdown_timeout_ms: the process exits non-zero in time', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sspr-serve-'));
  try {
    const child = await startChild(dataDir, '300');
    const inFlight = get(`${child.address}/test/slow?ms=10000`).then(
      () => 'answered',
      () => 'cut off',
    );
    await child.waitFor('slow-started');
    const t0 = performance.now();
    child.signal('SIGINT');
    assert.equal(await child.exit, 1);
    const elapsed = performance.now() - t0;
    assert.ok(elapsed < 3_000, `exited after ${Math.round(elapsed)} ms`);
    assert.equal(await inFlight, 'cut off');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
