import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlStore, type SqlStore } from '../../src/adapters/sql/sql-store.ts';
import type { OutboxChannel } from '../../src/ports/store.ts';
import { createPostgresDatabase, tempSqliteUrl } from '../helpers/databases.ts';

/**
 * The evidence behind the "messages are delayed" notice, read from the outbox on both dialects:
 * per channel, the oldest message waiting after a failed attempt that was queued after the
 * channel's last delivery, and that delivery.
 */

const T = 1_800_000_000_000;
const W = 'worker-1';

async function queue(store: SqlStore, id: string, channel: OutboxChannel, at: number): Promise<void> {
  await store.outbox.enqueue({
    id,
    tenantId: null,
    accountId: null,
    channel,
    template: 'reset.code',
    recipientSealed: 'sealed-recipient',
    payloadSealed: 'sealed-payload',
    expiresAt: null,
    codeId: null,
    now: at,
  });
}

async function fail(store: SqlStore, at: number): Promise<void> {
  for (const m of await store.outbox.claimDue(W, at, at + 30_000, 100)) {
    await store.outbox.markRetry(m.id, W, m.attempts + 1, at + 10_000, 'connect ECONNREFUSED');
  }
}

async function evidenceSteps(store: SqlStore): Promise<void> {
  await store.migrate();
  const none = { failingSince: null, lastDeliveredAt: null };
  assert.deepEqual(await store.deliveryHealth.evidence(), { email: none, sms: none }, 'empty outbox');

  // delivered at T, then mail fails for a message queued at T + 1000; a fresh one is not evidence yet
  await queue(store, 'sent-1', 'email', T);
  const [first] = await store.outbox.claimDue(W, T, T + 30_000, 10);
  assert.ok(await store.outbox.markSent(first!.id, W, T));
  await queue(store, 'fail-1', 'email', T + 1_000);
  await queue(store, 'sms-1', 'sms', T + 1_500);
  await fail(store, T + 1_500);
  await queue(store, 'fresh', 'email', T + 2_000);
  assert.deepEqual(await store.deliveryHealth.evidence(), {
    email: { failingSince: T + 1_000, lastDeliveredAt: T },
    sms: { failingSince: T + 1_500, lastDeliveredAt: null },
  });

  // one email delivered after the failure began: the email channel has no evidence left
  const due = await store.outbox.claimDue(W, T + 20_000, T + 50_000, 10);
  const fresh = due.find((m) => m.id === 'fresh');
  assert.ok(fresh);
  assert.ok(await store.outbox.markSent(fresh.id, W, T + 20_000));
  await store.outbox.release(W); // the other claims go back, still failed once
  const after = await store.deliveryHealth.evidence();
  assert.deepEqual(after.email, none, 'a delivery since clears the email channel');
  assert.equal(after.sms.failingSince, T + 1_500, 'SMS still failing');
}

describe('delivery health evidence from the outbox', () => {
  test('SQLite: failing since the oldest waiting failed message after the last delivery; a delivery clears it', async () => {
    const { url, cleanup } = tempSqliteUrl();
    const store = await openSqlStore(url);
    try {
      await evidenceSteps(store);
    } finally {
      await store.close();
      cleanup();
    }
  });

  test('PostgreSQL: failing since the oldest waiting failed message after the last delivery; a delivery clears it', async () => {
    const database = await createPostgresDatabase({ migrated: true });
    const store = await openSqlStore(database.url);
    try {
      await evidenceSteps(store);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
