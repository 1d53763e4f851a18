import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlStore, type SqlStore } from '../../src/adapters/sql/sql-store.ts';
import { DEFAULT_TENANT_POLICY } from '../../src/core/directory-model.ts';
import type { FlowRecord } from '../../src/ports/flow-store.ts';
import type { Logger } from '../../src/ports/logger.ts';
import { PurgeService } from '../../src/service/purge-service.ts';
import { createPostgresDatabase, tempSqliteUrl } from '../helpers/databases.ts';
import { sspr } from '../cli/run-sspr.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The purge on both dialects: what is past its time goes, in batches, and nothing else; codes
 * go with their flow; on PostgreSQL one instance purges at a time (advisory lock).
 */

const DAY = 86_400_000;
const NOW = 1_900_000_000_000;
const RETENTION = 7 * DAY;
const FLOW_TTL = 3_600_000;
const silent: Logger = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent } as unknown as Logger;

function flow(id: string, createdAt: number): FlowRecord {
  return {
    id,
    tenantId: null,
    accountId: null,
    deliverable: false,
    login: `${id}@example.test`,
    gates: ['email'],
    passed: 0,
    state: 'expired',
    bindingHash: 'h',
    prevBindingHash: null,
    prevBindingUntil: null,
    maskedEmail: 'x••••@example.test',
    createdAt,
    firstSentAt: createdAt,
    lastSentAt: createdAt,
    codesSent: 1,
    completedAt: null,
    ip: null,
    userAgent: null,
    version: 0,
  };
}

async function seed(store: SqlStore): Promise<void> {
  const oldFlow = NOW - FLOW_TTL - RETENTION - 1;
  const keptFlow = NOW - FLOW_TTL - RETENTION + 60_000;
  for (let i = 0; i < 7; i++) {
    await store.flows.create(flow(`oldflow${i}xxxx`, oldFlow - i));
    await store.flows.issueCode({
      id: `oldcode${i}`,
      flowId: `oldflow${i}xxxx`,
      channel: 'email',
      codeHash: `c${i}`,
      linkHash: `l${i}`,
      sentAt: oldFlow,
      expiresAt: oldFlow + 600_000,
    });
  }
  await store.flows.create(flow('keptflow0xxxx', keptFlow));
  await store.flows.issueCode({
    id: 'keptcode',
    flowId: 'keptflow0xxxx',
    channel: 'email',
    codeHash: 'c',
    linkHash: 'l',
    sentAt: keptFlow,
    expiresAt: keptFlow + 600_000,
  });

  // messages: 5 old finished (sent/failed/expired), 1 recent sent, 1 old still pending
  const enqueue = (id: string, at: number) =>
    store.outbox.enqueue({
      id,
      tenantId: null,
      accountId: null,
      channel: 'email',
      template: 't',
      recipientSealed: 'r',
      payloadSealed: 'p',
      expiresAt: null,
      now: at,
    });
  const old = NOW - RETENTION - 1_000;
  for (let i = 0; i < 5; i++) await enqueue(`oldmsg${i}`, old);
  await enqueue('recentmsg', NOW - DAY);
  const claimed = await store.outbox.claimDue('w', NOW, NOW + 60_000, 100);
  assert.equal(claimed.length, 6);
  for (let i = 0; i < 5; i++) {
    const id = `oldmsg${i}`;
    if (i < 3) assert.ok(await store.outbox.markSent(id, 'w', old));
    else if (i === 3) assert.ok(await store.outbox.markFailed(id, 'w', 1, 'x', old));
    else assert.ok(await store.outbox.markExpired(id, 'w', old));
  }
  assert.ok(await store.outbox.markSent('recentmsg', 'w', NOW - DAY));
  await enqueue('pendingmsg', old);

  // guards, CAPTCHA solutions, sessions
  for (let i = 0; i < 4; i++) await store.lockouts.recordFailure('acc1', NOW - DAY - 1 - i);
  await store.lockouts.recordFailure('acc1', NOW - 1_000);
  await store.lockouts.block('acc-old', NOW - DAY - 1);
  await store.lockouts.block('acc-new', NOW - 1_000);
  for (let i = 0; i < 3; i++) await store.captchas.markUsed(`oldsig${i}`, NOW - 1 - i);
  await store.captchas.markUsed('livesig', NOW + 60_000);
  // rate-limit counters: three windows over, one running, one without expiry
  for (let i = 0; i < 3; i++) await store.limits.add(`oldlimit${i}`, 1, 1_000, NOW - 10_000 - i, false);
  await store.limits.add('livelimit', 1, 60_000, NOW, false);
  await store.limits.add('foreverlimit', 1, 0, NOW, false);

  const t = await store.directory.createTenant({
    id: 't1',
    name: 'T',
    domains: ['t.test'],
    policy: DEFAULT_TENANT_POLICY,
    now: 0,
  });
  assert.ok(t.ok);
  const a = await store.directory.createAccount({
    id: 'acc1',
    tenantId: 't1',
    login: 'a@t.test',
    displayName: 'A',
    role: 'user',
    enabled: true,
    passwordHash: null,
    mustChangePassword: false,
    now: 0,
  });
  assert.ok(a.ok);
  for (let i = 0; i < 3; i++)
    await store.directory.createSession({
      idHash: `oldsess${i}`,
      accountId: 'acc1',
      createdAt: 0,
      lastSeenAt: 0,
      expiresAt: NOW - 1 - i,
    });
  await store.directory.createSession({
    idHash: 'livesess',
    accountId: 'acc1',
    createdAt: 0,
    lastSeenAt: 0,
    expiresAt: NOW + 1,
  });

  // Technical Support sessions: two expired, one live
  const op = await store.operators.create({
    id: 'op1',
    login: 'op',
    displayName: 'Op',
    passwordHash: 'x',
    createdAt: 0,
  });
  assert.ok(op.ok);
  for (const [idHash, expiresAt] of [
    ['oldop0', NOW - 1],
    ['oldop1', NOW - 2],
    ['liveop', NOW + 1],
  ] as const)
    await store.operators.createSession({ idHash, operatorId: 'op1', createdAt: 0, lastSeenAt: 0, expiresAt });

  // security-info codes: one expired beyond the retention, one expired within it, one live
  for (const [id, expiresAt, kind] of [
    ['oldpending', NOW - RETENTION - 1, 'email'],
    ['recentpending', NOW - 1, 'phone'],
  ] as const)
    await store.securityInfo.createPending({
      id,
      accountId: 'acc1',
      sessionHash: 'livesess',
      kind,
      value: kind === 'email' ? 'a@home.test' : '+447700900123',
      purpose: 'change',
      codeHash: `h-${id}`,
      sentAt: expiresAt - 600_000,
      expiresAt,
      createdAt: expiresAt - 600_000,
    });
}

async function purgeScenario(store: SqlStore): Promise<void> {
  await seed(store);
  const purge = new PurgeService({
    repo: store.purge,
    clock: { now: () => NOW },
    log: silent,
    policy: { retentionMs: RETENTION, flowTtlMs: FLOW_TTL, failureWindowMs: DAY, blockMs: DAY },
    batchSize: 2,
    pauseMs: 1,
  });
  const outcome = await purge.runOnce();
  assert.ok(outcome.ran);
  assert.deepEqual(outcome.deleted, {
    flows: 7,
    outbox: 5,
    sessions: 3,
    verification_failures: 4,
    account_blocks: 1,
    captcha_used: 3,
    rate_limits: 3,
    operator_sessions: 2,
    security_info_pending: 1,
    audit_events: 0,
  });
  assert.ok(await store.operators.getSession('liveop'), 'a live Technical Support session stays');
  assert.equal(await store.operators.getSession('oldop0'), null);
  assert.equal((await store.limits.get('livelimit', NOW))?.points, 1, 'a running window stays');
  assert.equal((await store.limits.get('foreverlimit', NOW))?.expire, null, 'a counter without expiry stays');
  assert.equal(await store.limits.get('oldlimit0', NOW - 10_000 - 500), null, 'an ended window is gone');
  for (let i = 0; i < 7; i++) {
    assert.equal(await store.flows.get(`oldflow${i}xxxx`), null);
    assert.equal(await store.flows.getCode(`oldcode${i}`), null, 'the codes went with their flow');
  }
  assert.ok(await store.flows.get('keptflow0xxxx'), 'a flow within the retention stays');
  assert.ok(await store.flows.getCode('keptcode'));
  assert.equal(await store.outbox.get('oldmsg0'), null);
  assert.ok(await store.outbox.get('recentmsg'), 'a recent message stays');
  assert.equal((await store.outbox.get('pendingmsg'))?.status, 'pending', 'a pending message is never purged');
  assert.equal(await store.lockouts.countFailures('acc1', 0), 1);
  assert.equal(await store.directory.getSession('oldsess0'), null);
  assert.ok(await store.directory.getSession('livesess'), 'a live session stays');
  assert.equal(await store.lockouts.blockedAt('acc-old'), null);
  assert.equal(await store.lockouts.blockedAt('acc-new'), NOW - 1_000);
  assert.equal(await store.captchas.markUsed('livesig', NOW + 60_000), false, 'a live solution stays used');

  const again = await purge.runOnce();
  assert.ok(again.ran);
  assert.equal(
    Object.values(again.deleted).reduce((a, b) => a + b, 0),
    0,
    'a second run finds nothing',
  );
}

test('purge on SQLite: expired rows go in batches, live ones stay', async () => {
  const db = tempSqliteUrl();
  const store = await openSqlStore(db.url);
  try {
    await store.migrate();
    await purgeScenario(store);
  } finally {
    await store.close();
    db.cleanup();
  }
});

test('purge on PostgreSQL: same rules; one instance at a time (advisory lock)', async () => {
  const db = await createPostgresDatabase({ migrated: true });
  const store = await openSqlStore(db.url);
  const other = await openSqlStore(db.url);
  try {
    await store.migrate();
    await purgeScenario(store);
    // while one instance holds the purge lock, another skips its run
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const first = store.purge.exclusive(async () => {
      entered();
      await held;
      return 'first';
    });
    await inside;
    const second = await other.purge.exclusive(async () => 'second');
    assert.deepEqual(second, { ran: false });
    release();
    assert.deepEqual(await first, { ran: true, value: 'first' });
    assert.deepEqual(await other.purge.exclusive(async () => 'third'), { ran: true, value: 'third' }, 'lock released');
  } finally {
    await store.close();
    await other.close();
    await db.drop();
  }
});

test('sspr purge: the CLI runs one purge and reports the counts', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-purge-'));
  try {
    const run = await sspr(dir, ['purge', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const outcome = JSON.parse(run.stdout) as { ran: boolean; deleted: Record<string, number> };
    assert.equal(outcome.ran, true);
    assert.deepEqual(Object.keys(outcome.deleted).sort(), [
      'account_blocks',
      'audit_events',
      'captcha_used',
      'flows',
      'operator_sessions',
      'outbox',
      'rate_limits',
      'security_info_pending',
      'sessions',
      'verification_failures',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
