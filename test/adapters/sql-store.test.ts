import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { openSqlStore } from '../../src/adapters/sql/sql-store.ts';
import { ALL_MIGRATIONS, storeContract } from '../contract/store.contract.ts';
import type { OpenStore } from '../contract/contract-kit.ts';
import { repoContracts } from '../contract/repos.contract.ts';
import { tenantLookRepoContract } from '../contract/tenant-look.contract.ts';
import { bundled } from '../helpers/bundle.ts';
import { copyMigratedSqlite, createPostgresDatabase, tempSqliteUrl } from '../helpers/databases.ts';

const onSqlite: OpenStore = async (options) => {
  const { url, cleanup } = tempSqliteUrl();
  if (options?.migrated) await copyMigratedSqlite(url.slice('sqlite:'.length));
  const store = await openSqlStore(url);
  return { store, cleanup: async () => cleanup() };
};

const onPostgres: OpenStore = async (options) => {
  const database = await createPostgresDatabase(options);
  const store = await openSqlStore(database.url);
  return { store, url: database.url, cleanup: () => database.drop() };
};

storeContract('SQLite (temp file)', onSqlite);
storeContract('PostgreSQL (random database)', onPostgres);
repoContracts('SQLite (temp file)', onSqlite);
repoContracts('PostgreSQL (random database)', onPostgres);
tenantLookRepoContract('SQLite (temp file)', onSqlite);
tenantLookRepoContract('PostgreSQL (random database)', onPostgres);

/** Runs `code` in a separate Node process (plain node, the store bundled) with `openSqlStore` in scope; returns its stdout. */
async function inChildProcess(code: string): Promise<string> {
  const script = `const { openSqlStore } = await import(${JSON.stringify(await bundled('src/adapters/sql/sql-store.ts'))});\n${code}`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 30_000,
  });
  return stdout;
}

test('SQLite: two processes migrating one new file at once apply each migration exactly once', async () => {
  const { url, cleanup } = tempSqliteUrl();
  try {
    const migrate = `const s = await openSqlStore(${JSON.stringify(url)}); console.log(JSON.stringify(await s.migrate())); await s.close();`;
    const outputs = await Promise.all([inChildProcess(migrate), inChildProcess(migrate), inChildProcess(migrate)]);
    const applied = outputs.flatMap((o) => JSON.parse(o) as string[]);
    assert.deepEqual(applied.sort(), ALL_MIGRATIONS);
    const store = await openSqlStore(url);
    try {
      assert.deepEqual(await store.migrate(), []);
    } finally {
      await store.close();
    }
  } finally {
    cleanup();
  }
});

test('SQLite: the file is in WAL mode with foreign keys enforced, and its folder is created', async () => {
  const { url, cleanup } = tempSqliteUrl();
  const nested = url.replace(/sspr\.db$/, 'nested/deeper/sspr.db');
  const store = await openSqlStore(nested);
  try {
    await store.migrate();
    const file = nested.slice('sqlite:'.length);
    assert.ok(statSync(file).isFile());
    assert.ok(existsSync(`${file}-wal`), 'WAL file exists');
    await assert.rejects(
      store.directory.createAccount({
        id: 'a1',
        tenantId: 'no-such-tenant',
        login: 'x@example.test',
        displayName: 'X',
        role: 'user',
        enabled: true,
        passwordHash: null,
        mustChangePassword: false,
        now: 1,
      }),
      /FOREIGN KEY/,
    );
  } finally {
    await store.close();
    cleanup();
  }
});

test('SQLite: two connections in one process claim 200 messages in parallel without a duplicate', async () => {
  const { url, cleanup } = tempSqliteUrl();
  const a = await openSqlStore(url);
  const b = await openSqlStore(url);
  try {
    await a.migrate();
    await a.transaction(async (tx) => {
      for (let i = 0; i < 200; i++) {
        await tx.outbox.enqueue({
          id: `m${i}`,
          tenantId: null,
          accountId: null,
          channel: 'sms',
          template: 't',
          recipientSealed: 'r',
          payloadSealed: 'p',
          expiresAt: null,
          now: i,
        });
      }
    });
    const drain = async (store: typeof a, worker: string) => {
      const ids: string[] = [];
      for (let batch; (batch = await store.outbox.claimDue(worker, 1000, 2000, 9)).length > 0;)
        ids.push(...batch.map((m) => m.id));
      return ids;
    };
    const [x, y] = await Promise.all([drain(a, 'wa'), drain(b, 'wb')]);
    const all = [...x, ...y];
    assert.equal(all.length, 200);
    assert.equal(new Set(all).size, 200);
    assert.ok(x.length > 0 && y.length > 0, `both connections claimed (${x.length} / ${y.length})`);
  } finally {
    await a.close();
    await b.close();
    cleanup();
  }
});

test('sqlite::memory: works for quick tests; unknown URLs are refused', async () => {
  const store = await openSqlStore('sqlite::memory:');
  try {
    assert.deepEqual(await store.migrate(), ALL_MIGRATIONS);
    assert.equal(store.dialect, 'sqlite');
    await store.ping();
  } finally {
    await store.close();
  }
  await assert.rejects(openSqlStore('mysql://localhost/x'), /must start with/);
  await assert.rejects(openSqlStore('sqlite:'), /needs a path/);
});

test('PostgreSQL: dialect is postgres; ping fails on a database that does not exist', async () => {
  const database = await createPostgresDatabase();
  const store = await openSqlStore(database.url);
  try {
    assert.equal(store.dialect, 'postgres');
    await store.ping();
  } finally {
    await store.close();
    await database.drop();
  }
  const gone = await openSqlStore(database.url);
  try {
    await assert.rejects(gone.ping(), /does not exist/);
  } finally {
    await gone.close();
  }
});
