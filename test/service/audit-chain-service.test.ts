import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { HkdfKeyring } from '../../src/adapters/crypto/keyring.ts';
import { migrations, type SqlDialect } from '../../src/adapters/sql/migrations.ts';
import { openSqlStore, type SqlStore } from '../../src/adapters/sql/sql-store.ts';
import { checkpointText, CHECKPOINT_HMAC_PURPOSE } from '../../src/core/audit-chain.ts';
import { AuditChainService } from '../../src/service/audit-chain-service.ts';
import { NO_REQUEST } from '../../src/service/request-context.ts';
import type { AuditEventInput } from '../../src/ports/store.ts';
import { createPostgresDatabase, tempSqliteUrl } from '../helpers/databases.ts';

/**
 * AuditChainService on both databases: verification in small pages while other transactions
 * append, the retention purge with its signed checkpoint (and its refusal to purge a tampered
 * prefix), and migration 0020 chaining the events an older release wrote.
 */

const T0 = 1_700_000_000_000;

interface Db {
  readonly url: string;
  readonly dialect: SqlDialect;
  cleanup(): Promise<void>;
}

const DATABASES: ReadonlyArray<[string, () => Promise<Db>]> = [
  [
    'SQLite',
    async () => {
      const { url, cleanup } = tempSqliteUrl();
      return { url, dialect: 'sqlite', cleanup: async () => cleanup() };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const d = await createPostgresDatabase();
      return { url: d.url, dialect: 'postgres', cleanup: () => d.drop() };
    },
  ],
];

function event(tenantId: string | null, i: number): AuditEventInput {
  return {
    at: T0 + i * 1000,
    tenantId,
    accountId: null,
    actor: 'system',
    type: 'reset.requested',
    outcome: 'ok',
    ip: '192.0.2.1',
    userAgent: null,
    details: { i },
  };
}

async function withStore(open: () => Promise<Db>, fn: (store: SqlStore, db: Db) => Promise<void>): Promise<void> {
  const db = await open();
  const store = await openSqlStore(db.url);
  try {
    await store.migrate();
    await fn(store, db);
  } finally {
    await store.close();
    await db.cleanup();
  }
}

/** Raw SQL as someone with database access would run it (`?` placeholders). */
async function rawRun(db: Db, text: string, ...params: unknown[]): Promise<void> {
  if (db.dialect === 'sqlite') {
    const d = new SqliteDatabase(db.url.slice('sqlite:'.length));
    try {
      d.prepare(text).run(...params);
    } finally {
      d.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    let n = 0;
    await client.query(
      text.replace(/\?/g, () => `$${++n}`),
      params,
    );
  } finally {
    await client.end();
  }
}

for (const [name, open] of DATABASES) {
  describe(`AuditChainService: ${name}`, () => {
    const keyring = new HkdfKeyring(randomBytes(32));
    const now = T0 + 1_000_000;
    const clock = { now: () => now };

    test('verification in pages of 2, while 10 transactions append to the same chain, finds it intact', async () => {
      await withStore(open, async (store) => {
        const service = new AuditChainService({ store, keyring, clock, pageSize: 2 });
        for (let i = 0; i < 30; i++) await store.audit.append(event('t1', i));
        const appending = Promise.all(
          Array.from({ length: 10 }, (_, i) => store.transaction((tx) => tx.audit.append(event('t1', 100 + i)))),
        );
        const [verdict] = await service.verify('t1', 'test', NO_REQUEST);
        await appending;
        assert.equal(verdict?.result.ok, true, JSON.stringify(verdict?.result.broken));
        assert.ok(verdict!.result.checked >= 30);
        const again = await service.verify('t1', 'test', NO_REQUEST);
        assert.equal(again[0]?.result.ok, true);
        assert.equal(again[0]?.result.checked, 30 + 10 + 1, 'every event, the first verification’s own included');
        // every chain: the tenant's and the one of events of no tenant
        await store.audit.append(event(null, 1));
        const all = await service.verify(undefined, 'test', NO_REQUEST);
        assert.deepEqual(
          all.map((v) => [v.chain, v.result.ok]),
          [
            ['', true],
            ['t1', true],
          ],
        );
      });
    });

    test('the retention purge removes the old prefix with a signed checkpoint; what remains verifies', async () => {
      await withStore(open, async (store) => {
        const service = new AuditChainService({ store, keyring, clock, pageSize: 3 });
        for (let i = 0; i < 12; i++) await store.audit.append(event('t1', i)); // at T0 … T0 + 11 s
        const removed = await service.purgeBefore(T0 + 7_500, 4);
        assert.equal(removed, 8, 'events 1-8 (older than the cutoff), in batches of 4');
        const cp = await store.auditChain.latestCheckpoint('t1');
        assert.deepEqual([cp?.seq, cp?.removed, cp?.at], [8, 4, now]);
        assert.ok(keyring.matches(CHECKPOINT_HMAC_PURPOSE, checkpointText(cp!), cp!.mac));
        const [v] = await service.verify('t1', 'test', NO_REQUEST);
        assert.equal(v?.result.ok, true, JSON.stringify(v?.result.broken));
        assert.equal(v?.checkpoint?.seq, 8);
        assert.equal(v?.result.checked, 4 + 2, 'events 9-12 and the two audit.purged events');
        // nothing more is old enough
        assert.equal(await service.purgeBefore(T0 + 7_500, 4), 0);
        // another installation's key does not verify the checkpoint
        const stranger = new AuditChainService({ store, keyring: new HkdfKeyring(randomBytes(32)), clock });
        const [forged] = await stranger.verify('t1', 'test', NO_REQUEST);
        assert.deepEqual([forged?.result.broken?.kind, forged?.result.broken?.reason], ['checkpoint', 'signature']);
      });
    });

    test('a tampered event stops the purge before it: the evidence is kept and named', async () => {
      await withStore(open, async (store, db) => {
        const service = new AuditChainService({ store, keyring, clock });
        for (let i = 0; i < 10; i++) await store.audit.append(event('t1', i));
        const rows = await store.auditChain.page('t1', null, 10);
        await rawRun(db, `update audit_events set outcome = 'failed' where id = ?`, rows[5]!.id);
        assert.equal(await service.purgeBefore(T0 + 100_000), 5, 'only the intact events before it');
        const [v] = await service.verify('t1', 'test', NO_REQUEST);
        assert.deepEqual(
          [v?.result.broken?.kind, v?.result.broken?.eventId],
          ['edited', rows[5]!.id],
          'still there and named',
        );
      });
    });

    test('migration 0020 chains the events an older release wrote, per tenant, in id order', async () => {
      const db = await open();
      const kysely = new Kysely<unknown>({
        dialect:
          db.dialect === 'sqlite'
            ? new SqliteDialect({ database: new SqliteDatabase(db.url.slice('sqlite:'.length)) })
            : new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url, max: 2 }) }),
      });
      try {
        const migrator = new Migrator({
          db: kysely,
          provider: { getMigrations: async () => migrations(db.dialect) },
        });
        const before = Object.keys(migrations(db.dialect))
          .sort()
          .filter((n) => n < '0020_audit_chain')
          .at(-1)!;
        assert.equal((await migrator.migrateTo(before)).error, undefined);
        for (let i = 0; i < 5; i++) {
          for (const tenantId of ['t1', 't2', null]) {
            const e = event(tenantId, i);
            await rawRun(
              db,
              `insert into audit_events (at, tenant_id, account_id, actor, type, outcome, ip, user_agent, details) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
              e.at,
              e.tenantId,
              e.accountId,
              e.actor,
              e.type,
              e.outcome,
              e.ip,
              e.userAgent,
              JSON.stringify(e.details),
            );
          }
        }
      } finally {
        await kysely.destroy();
      }
      const store = await openSqlStore(db.url);
      try {
        assert.equal((await store.migrate())[0], '0020_audit_chain');
        const service = new AuditChainService({ store, keyring, clock });
        await store.audit.append(event('t1', 99)); // a new event links on to the chained ones
        const verdicts = await service.verify(undefined, 'test', NO_REQUEST);
        assert.deepEqual(
          verdicts.map((v) => [v.chain, v.result.ok, v.result.checked]),
          [
            ['', true, 5],
            ['t1', true, 6],
            ['t2', true, 5],
          ],
        );
      } finally {
        await store.close();
        await db.cleanup();
      }
    });

    test('events an older release wrote before the chain existed are legacy (counted, no break); one inserted after it began is named', async () => {
      await withStore(open, async (store, db) => {
        const service = new AuditChainService({ store, keyring, clock });
        const rawInsert = (e: AuditEventInput) =>
          rawRun(
            db,
            `insert into audit_events (at, tenant_id, account_id, actor, type, outcome, ip, user_agent, details) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            e.at,
            e.tenantId,
            e.accountId,
            e.actor,
            e.type,
            e.outcome,
            e.ip,
            e.userAgent,
            JSON.stringify(e.details),
          );
        // an instance of the previous release (no chain columns) writes for t3 before any
        // instance of this release appended to t3's chain: those rows predate the chain
        await rawInsert(event('t3', 1));
        await rawInsert(event('t3', 2));
        const before = await service.verify('t3', 'test', NO_REQUEST);
        assert.deepEqual(
          before.map((v) => [v.result.ok, v.result.checked, v.legacy, v.result.broken]),
          [[true, 0, 2, null]],
        );
        // this release's appends begin the chain; the legacy rows stay legacy, not a break
        for (let i = 3; i < 6; i++) await store.audit.append(event('t3', i));
        const chained = await service.verify('t3', 'test', NO_REQUEST); // its audit.verified is a 4th event
        assert.deepEqual(
          chained.map((v) => [v.result.ok, v.result.checked, v.legacy]),
          [[true, 4, 2]],
        );
        const [verified] = await store.audit.list({ tenantId: 't3', type: 'audit.verified', limit: 1 });
        assert.equal(verified?.details.legacy, 2, 'the audit.verified event counts them');

        // a row without chain columns after the chain began is an insertion, named; still 2 legacy
        await rawInsert(event('t3', 7));
        const [forged] = await store.audit.list({ tenantId: 't3', type: 'reset.requested', limit: 1 });
        const after = await service.verify('t3', 'test', NO_REQUEST);
        assert.deepEqual(
          after.map((v) => [
            v.result.ok,
            v.result.broken?.kind,
            v.result.broken?.reason,
            v.result.broken?.eventId,
            v.legacy,
          ]),
          [[false, 'inserted', 'not_chained', forged!.id, 2]],
        );
        // even one dated before the legacy rows (the time is the forger's to choose; the row id is not)
        await store.audit.append(event('t4', 1));
        await rawInsert(event('t4', -100));
        const backdated = await service.verify('t4', 'test', NO_REQUEST);
        assert.deepEqual(
          backdated.map((v) => [v.result.ok, v.result.broken?.reason, v.legacy]),
          [[false, 'not_chained', 0]],
        );
      });
    });
  });
}
