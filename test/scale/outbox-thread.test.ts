import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createApp, type ComposedApp } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { OutboxThread } from '../../src/adapters/outbox-thread.ts';
import { OutboxWorker } from '../../src/service/outbox-worker.ts';
import { createPostgresDatabase } from '../helpers/databases.ts';
import { startSmtpListener, type SmtpListener } from '../helpers/smtp-listener.ts';
import { secretKey, seedDirectory, TENANT_DOMAIN } from './scale-kit.ts';

/**
 * `serve` with SMTP delivers the outbox from a thread of its own (src/adapters/outbox-thread.ts):
 * the code goes out while the request thread is blocked, the outcome is counted in the request
 * thread's /metrics, and stopping lets the send in flight finish and gives back the claims. On
 * SQLite (a second connection on the same file) and PostgreSQL (its own pool and LISTEN).
 */

const CLAIM_MS = 60_000;

interface Backend {
  readonly name: string;
  /** A database URL, and how to read the nth code email's claim and status (sync on SQLite). */
  open(): Promise<{ url: string; row(nth?: number): Promise<OutboxRow | undefined>; close(): Promise<void> }>;
}

interface OutboxRow {
  readonly status: string;
  readonly claimed_by: string | null;
  readonly claimed_until: number | null;
}

const sqlite: Backend = {
  name: 'SQLite',
  async open() {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-outbox-thread-'));
    const file = path.join(dir, 'sspr.db');
    let reader: Database.Database | null = null;
    return {
      url: `sqlite:${file}`,
      // synchronous: it runs before the event loop gets a turn after a block
      row: async (nth = 1) => {
        reader ??= new Database(file, { readonly: true });
        return reader
          .prepare(
            "select status, claimed_by, claimed_until from outbox where template = 'reset.code' order by created_at limit 1 offset ?",
          )
          .get(nth - 1) as OutboxRow | undefined;
      },
      async close() {
        reader?.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: Backend = {
  name: 'PostgreSQL',
  async open() {
    const db = await createPostgresDatabase();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    return {
      url: db.url,
      row: async (nth = 1) =>
        (
          await client.query<OutboxRow>(
            `select status, claimed_by, claimed_until::float8 as claimed_until from outbox
              where template = 'reset.code' order by created_at limit 1 offset $1`,
            [nth - 1],
          )
        ).rows[0],
      async close() {
        await client.end();
        await db.drop();
      },
    };
  },
};

async function serveApp(url: string, dir: string, smtp: SmtpListener, extra: Record<string, string> = {}) {
  const config = loadConfig({
    env: {
      SSPR_DATA_DIR: dir,
      SSPR_LOG_LEVEL: 'silent',
      SSPR_DATABASE_URL: url,
      SSPR_SECRET_KEY: secretKey(),
      SSPR_SMTP_URL: smtp.url,
      SSPR_SMS_PROVIDER: 'none',
      SSPR_OUTBOX_CLAIM_MS: String(CLAIM_MS),
      SSPR_PURGE_INTERVAL_MS: '0',
      ...extra,
    },
  });
  const app = await createApp(config, { startWorker: true });
  await app.migrate(); // the background jobs start once the schema is in place
  return app;
}

/** Blocks this thread (its event loop included) for `ms` without spinning. */
function blockThread(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

for (const backend of [sqlite, postgres]) {
  test(`${backend.name}: the outbox thread claims and sends while the request thread is blocked; metrics; stop`, async () => {
    const db = await backend.open();
    const smtp = await startSmtpListener();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-outbox-thread-data-'));
    let app: ComposedApp | null = null;
    try {
      await seedDirectory(db.url, 1, 0);
      app = await serveApp(db.url, dir, smtp);
      assert.ok(app.outbox instanceof OutboxThread, 'serve with SMTP delivers from a thread');
      await app.outbox.ready();
      await app.outbox.idle();
      // the send stays in flight a while, so the claim can be read before it is recorded
      smtp.setDataDelay(1_500);
      const started = await app.reset.start(`u0@${TENANT_DOMAIN}`, { ip: '192.0.2.1', userAgent: null });
      assert.ok(started.ok);
      const blockedFrom = Date.now();
      blockThread(800);
      const row = await db.row();
      assert.ok(row, 'the code email was queued');
      assert.equal(row.claimed_by, app.outbox.workerId, 'claimed in this instance’s name');
      const claimedAt = Number(row.claimed_until) - CLAIM_MS;
      assert.ok(
        claimedAt >= blockedFrom - 50 && claimedAt <= blockedFrom + 800,
        `claimed while the request thread was blocked (${claimedAt - blockedFrom} ms into the block)`,
      );
      await smtp.waitFor(1, 5_000);
      await app.outbox.idle();
      assert.equal((await db.row())?.status, 'sent');
      assert.match(
        await app.metrics.render(),
        /sspr_message_age_seconds_count\{channel="email",outcome="sent"\} 1\b/,
        'the thread’s outcome is counted in the request thread’s /metrics',
      );
      assert.match(smtp.messages[0]?.text ?? '', /\b\d{3}[ -]?\d{3}\b/, 'it carries the code');

      // stopping while a send is in flight: the send finishes, its outcome is recorded, no claim is left
      const again = await app.reset.start(`u0@${TENANT_DOMAIN}`, { ip: '192.0.2.1', userAgent: null });
      assert.ok(again.ok);
      await smtp.waitForData(2, 5_000);
      await app.close();
      app = null;
      assert.equal(smtp.messages.length, 2, 'the email in flight was sent before the thread stopped');
      const after = await db.row(2);
      assert.equal(after?.status, 'sent');
      assert.equal(after?.claimed_by, null, 'no claim is left behind');
    } finally {
      await app?.close();
      await smtp.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('SSPR_OUTBOX_THREAD=false and the dev outbox keep delivery on the request thread', async () => {
  const db = await sqlite.open();
  const smtp = await startSmtpListener();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-outbox-thread-data-'));
  try {
    await seedDirectory(db.url, 1, 0);
    const app = await serveApp(db.url, dir, smtp, { SSPR_OUTBOX_THREAD: 'false' });
    try {
      assert.ok(app.outbox instanceof OutboxWorker);
      const started = await app.reset.start(`u0@${TENANT_DOMAIN}`, { ip: '192.0.2.1', userAgent: null });
      assert.ok(started.ok);
      blockThread(300);
      // the request thread was blocked: nothing could claim the message meanwhile
      assert.equal((await db.row())?.claimed_by ?? null, null);
      await smtp.waitFor(1, 5_000);
    } finally {
      await app.close();
    }
    const dev = await createApp(
      loadConfig({ env: { SSPR_DATA_DIR: dir, SSPR_LOG_LEVEL: 'silent', SSPR_DATABASE_URL: db.url } }),
      { startWorker: true },
    );
    try {
      await dev.migrate();
      assert.ok(dev.outbox instanceof OutboxWorker, 'the dev outbox keeps its messages in this thread');
    } finally {
      await dev.close();
    }
  } finally {
    await smtp.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
