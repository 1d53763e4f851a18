import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { createApp } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { buildServer } from '../../src/http/server.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import { createTestServer } from './server-kit.ts';

/** An App on `databaseUrl`, not migrated (the database may not exist), and its server. */
async function serverOn(
  databaseUrl: string,
): Promise<{ app: App; inject: (url: string) => Promise<LightMyRequestResponse>; close(): Promise<void> }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sspr-health-'));
  const config = loadConfig({
    env: { SSPR_DATA_DIR: dataDir, SSPR_LOG_LEVEL: 'silent', SSPR_DATABASE_URL: databaseUrl },
  });
  const app = await createApp(config);
  const server = await buildServer(app);
  return {
    app,
    inject: (url) => server.inject({ url }),
    async close() {
      await server.close();
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

test('/healthz and /readyz answer 200 while the database answers', async () => {
  const t = await createTestServer();
  try {
    const health = await t.server.inject({ url: '/healthz' });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    const ready = await t.server.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', database: 'ok' });
  } finally {
    await t.close();
  }
});

test('/readyz answers 503 once the database is closed; /healthz stays 200', async () => {
  const t = await createTestServer();
  try {
    await t.app.store.close();
    const ready = await t.server.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    assert.deepEqual(ready.json(), { status: 'not_ready', database: 'unreachable' }, 'no error details');
    const health = await t.server.inject({ url: '/healthz' });
    assert.equal(health.statusCode, 200);
  } finally {
    await t.close();
  }
});

test('/readyz answers 503 when the PostgreSQL database does not exist', async () => {
  const t = await serverOn(`postgres://postgres@127.0.0.1:5432/sspr_missing_${process.pid}_${Date.now()}`);
  try {
    const ready = await t.inject('/readyz');
    assert.equal(ready.statusCode, 503);
    assert.deepEqual(ready.json(), { status: 'not_ready', database: 'unreachable' });
    assert.doesNotMatch(ready.body, /sspr_missing|does not exist|postgres/i);
  } finally {
    await t.close();
  }
});

test('/readyz gives up after about 2 s when the database hangs', async () => {
  // A TCP server that accepts connections and never says a word: a PostgreSQL that hangs.
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as net.AddressInfo;
  const t = await serverOn(`postgres://postgres@127.0.0.1:${port}/sspr`);
  try {
    const started = performance.now();
    const ready = await t.inject('/readyz');
    const elapsed = performance.now() - started;
    assert.equal(ready.statusCode, 503);
    assert.deepEqual(ready.json(), { status: 'not_ready', database: 'unreachable' });
    assert.ok(elapsed >= 1_900 && elapsed < 4_000, `answered after ${Math.round(elapsed)} ms`);
  } finally {
    // Cut the hanging connections so the pool can end.
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await t.close();
  }
});
