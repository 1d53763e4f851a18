import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openSqlStore, type SqlStore } from '../../src/adapters/sql/sql-store.ts';
import { createResetHarness, RC, STRONG } from '../helpers/reset-harness.ts';
import { tempSqliteUrl } from '../helpers/databases.ts';

/**
 * Copies the whole write-ahead log into the database file through a connection of its own, retrying
 * while the checkpoint worker holds it (busy), until the log is fully checkpointed.
 */
function checkpointEverything(file: string): void {
  const probe = new Database(file);
  try {
    for (let i = 0; i < 1_000; i++) {
      const [r] = probe.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
      if (r && r.busy === 0 && r.log === r.checkpointed) return;
    }
    throw new Error('the write-ahead log could not be checkpointed');
  } finally {
    probe.close();
  }
}

const NORMAL = 'pragma synchronous = NORMAL';
const FULL = 'pragma synchronous = FULL';

/** The statements between `begin immediate` and `commit`/`rollback`, with the pragmas around them. */
interface Tx {
  readonly relaxed: boolean;
  readonly statements: string[];
}

function transactions(log: readonly string[]): Tx[] {
  const out: Tx[] = [];
  let mode: 'full' | 'relaxed' = 'full';
  let current: string[] | null = null;
  for (const q of log) {
    if (q === NORMAL) mode = 'relaxed';
    else if (q === FULL) mode = 'full';
    else if (q === 'begin immediate') current = [];
    else if (q === 'commit' || q === 'rollback') {
      assert.ok(current, `${q} without begin`);
      out.push({ relaxed: mode === 'relaxed', statements: current });
      current = null;
    } else current?.push(q);
  }
  return out;
}

/** A migrated SQLite store in a temp folder whose statements go to `log` (emptied after migrating). */
async function withLoggedStore(fn: (store: SqlStore, log: string[]) => Promise<void>): Promise<void> {
  const db = tempSqliteUrl();
  const log: string[] = [];
  const store = await openSqlStore(db.url, { onQuery: (q) => log.push(q) });
  try {
    await store.migrate();
    log.length = 0;
    await fn(store, log);
  } finally {
    await store.close();
    db.cleanup();
  }
}

describe('SQLite durability per transaction', () => {
  test('a relaxed transaction commits under synchronous = NORMAL and restores FULL, also when it fails', async () => {
    await withLoggedStore(async (store, log) => {
      await store.transaction((tx) => tx.captchas.markUsed('sig-1', Date.now() + 60_000), {
        durability: 'relaxed',
      });
      assert.deepEqual(log.slice(0, 2), [NORMAL, 'begin immediate']);
      assert.deepEqual(log.slice(-2), ['commit', FULL]);

      log.length = 0;
      await assert.rejects(
        store.transaction(
          async (tx) => {
            await tx.captchas.markUsed('sig-2', Date.now() + 60_000);
            throw new Error('boom');
          },
          { durability: 'relaxed' },
        ),
        /boom/,
      );
      assert.deepEqual(log.slice(-2), ['rollback', FULL]);

      log.length = 0;
      await store.transaction((tx) => tx.captchas.markUsed('sig-3', Date.now() + 60_000));
      assert.ok(!log.includes(NORMAL), 'a default transaction stays durable');
      assert.equal(log[0], 'begin immediate');
    });
  });

  test('concurrent transactions: no durable commit ever happens under the relaxed setting', async () => {
    await withLoggedStore(async (store, log) => {
      const runs = Array.from({ length: 40 }, (_, i) =>
        store.transaction(
          async (tx) => {
            await tx.captchas.markUsed(`c-${i}`, Date.now() + 60_000);
            await new Promise((r) => setImmediate(r));
            await tx.captchas.markUsed(`d-${i}`, Date.now() + 60_000);
          },
          i % 2 === 0 ? { durability: 'relaxed' } : {},
        ),
      );
      await Promise.all(runs);
      const txs = transactions(log);
      assert.equal(txs.length, 40);
      const durable = txs.filter((t) => t.statements.some((q) => q.includes('captcha_used')) && !t.relaxed);
      const relaxed = txs.filter((t) => t.relaxed);
      assert.equal(relaxed.length, 20);
      assert.equal(durable.length, 20);
    });
  });

  test('reset steps are relaxed; setting the password is durable', async () => {
    const log: string[] = [];
    const h = await createResetHarness({ onQuery: (q) => log.push(q) });
    try {
      log.length = 0;
      const started = await h.reset.start('user@contoso.example', RC);
      assert.ok(started.ok);
      const code = await h.lastCode('uma.home@personal.example');
      const verified = await h.reset.submitCode(started.value, code, RC);
      assert.ok(verified.ok, JSON.stringify(verified));
      const handle = { flowId: started.value.flowId, secret: verified.value.secret };
      const done = await h.reset.setPassword(handle, STRONG, STRONG, RC);
      assert.ok(done.ok, JSON.stringify(done));

      const txs = transactions(log);
      const writes = (t: Tx, table: string) =>
        t.statements.some((q) => new RegExp(`^(insert into|update) "${table}"`).test(q));
      const startTx = txs.find((t) => writes(t, 'flows') && t.statements.some((q) => /^insert into "flows"/.test(q)));
      const codeTx = txs.find(
        (t) => t.statements.some((q) => /^update "flow_codes"/.test(q)) && !writes(t, 'accounts'),
      );
      const passwordTx = txs.find((t) => writes(t, 'accounts'));
      assert.ok(startTx && codeTx && passwordTx, 'each step ran in a transaction');
      assert.equal(startTx.relaxed, true, 'starting a reset is relaxed');
      assert.equal(codeTx.relaxed, true, 'checking a code is relaxed');
      assert.equal(passwordTx.relaxed, false, 'setting the password is durable');
    } finally {
      await h.close();
    }
  });
});

describe('SQLite checkpoints', () => {
  test('a worker thread copies the write-ahead log into the database file; the event loop does not', async () => {
    const db = tempSqliteUrl();
    const store = await openSqlStore(db.url);
    try {
      await store.migrate();
      const file = db.url.slice('sqlite:'.length);
      checkpointEverything(file); // the migrations' own pages are in the file before we measure
      const before = statSync(file).size;
      await store.transaction(async (tx) => {
        for (let i = 0; i < 2_000; i++) await tx.captchas.markUsed(`${'s'.repeat(400)}-${i}`, Date.now() + 60_000);
      });
      // committed into the log only: far below the main connection's own checkpoint threshold
      assert.equal(statSync(file).size, before);
      const deadline = Date.now() + 5_000;
      while (statSync(file).size === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      // the checkpoint may still be copying when the size first moves: wait until it holds still
      for (let last = -1; statSync(file).size !== last && Date.now() < deadline;) {
        last = statSync(file).size;
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.ok(statSync(file).size > before + 500_000, `database file grew: ${before} → ${statSync(file).size}`);
    } finally {
      await store.close();
      db.cleanup();
    }
  });
});
