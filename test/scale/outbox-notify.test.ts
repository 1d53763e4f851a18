import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createApp } from '../../src/compose.ts';
import { OutboxThread } from '../../src/adapters/outbox-thread.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import { createPostgresDatabase } from '../helpers/databases.ts';
import { startSmtpListener } from '../helpers/smtp-listener.ts';
import { secretKey, seedDirectory, sleep } from './scale-kit.ts';

/**
 * LISTEN/NOTIFY on PostgreSQL: a message queued by instance A (no worker of its own) is sent by
 * instance B's worker within milliseconds although B polls only once a minute; when B's LISTEN
 * connection is killed it reconnects and keeps working.
 */

test('a message queued on A is sent by B at once (NOTIFY), also after B’s listener connection was killed', async () => {
  const db = await createPostgresDatabase();
  const smtp = await startSmtpListener();
  const dirs: string[] = [];
  const apps: App[] = [];
  const admin = new pg.Client({ connectionString: db.url });
  try {
    await seedDirectory(db.url, 3, 0);
    const key = secretKey();
    const open = async (startWorker: boolean): Promise<App> => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-notify-'));
      dirs.push(dir);
      const config = loadConfig({
        env: {
          SSPR_DATA_DIR: dir,
          SSPR_LOG_LEVEL: 'silent',
          SSPR_DATABASE_URL: db.url,
          SSPR_SECRET_KEY: key,
          SSPR_SMTP_URL: smtp.url,
          SSPR_SMS_PROVIDER: 'none',
          SSPR_OUTBOX_POLL_MS: '60000',
          SSPR_PURGE_INTERVAL_MS: '0',
        },
      });
      const app = await createApp(config, { startWorker });
      apps.push(app);
      await app.migrate(); // applies nothing (seeded); starts B's background jobs
      return app;
    };
    const a = await open(false);
    const b = await open(true);
    // B delivers from its outbox thread (serve with SMTP), which opens its LISTEN connection itself
    assert.ok(b.outbox instanceof OutboxThread);
    await b.outbox.ready();
    await admin.connect();
    const listening = async (): Promise<number[]> =>
      (
        await admin.query<{ pid: number }>(
          `select pid from pg_stat_activity where datname = current_database() and query ilike 'LISTEN%'`,
        )
      ).rows.map((r) => r.pid);
    for (let i = 0; i < 100 && (await listening()).length === 0; i++) await sleep(20);
    assert.equal((await listening()).length, 1, "B's listener is connected");
    await b.outbox.idle(); // B's first round (at start) is over: from now on only a wake-up sends

    const deliver = async (i: number): Promise<number> => {
      const t0 = Date.now();
      const started = await a.reset.start(`u${i}@scale.example`, { ip: '192.0.2.1', userAgent: null });
      assert.ok(started.ok);
      const [mail] = await smtp.waitFor(i + 1, 5_000);
      assert.ok(mail);
      return Date.now() - t0;
    };
    const first = await deliver(0);
    assert.ok(first < 2_000, `sent by B within ${first} ms (its poll is 60 s)`);

    const killed = await listening();
    await admin.query('select pg_terminate_backend(pid) from unnest($1::int[]) as pid', [killed]);
    for (let i = 0; i < 250; i++) {
      const now = await listening();
      if (now.length === 1 && now[0] !== killed[0]) break;
      await sleep(20);
    }
    const again = await listening();
    assert.ok(again.length === 1 && again[0] !== killed[0], 'B listens again on a new connection');
    const second = await deliver(1);
    assert.ok(second < 2_000, `after the reconnection, sent within ${second} ms`);
    console.log(
      `[notify] start on A → SMTP via B: ${first} ms; after B's listener was killed and came back: ${second} ms`,
    );
  } finally {
    for (const app of apps) await app.close();
    await admin.end().catch(() => {});
    await smtp.close();
    await db.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});
