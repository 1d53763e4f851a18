import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TENANT_POLICY } from '../../src/core/directory-model.ts';
import { INSIGHT_EVENT_TYPES } from '../../src/core/insights.ts';
import { openSqlStore, type SqlStore } from '../../src/adapters/sql/sql-store.ts';
import type { AuditEventInput } from '../../src/ports/store.ts';
import { tempSqliteUrl, withMigratedPostgresDatabase } from '../helpers/databases.ts';

// SqlInsightsRepo on both dialects: the same checks against a real SQLite file and a real
// PostgreSQL database.

async function check(store: SqlStore): Promise<void> {
  await store.migrate();
  const now = 1_715_000_000_000;
  for (const [id, name, domain] of [
    ['t-a', 'Alpha', 'alpha.example'],
    ['t-b', 'Beta', 'beta.example'],
  ] as const) {
    const t = await store.directory.createTenant({
      id,
      name,
      domains: [domain],
      policy: DEFAULT_TENANT_POLICY,
      now,
    });
    assert.ok(t.ok);
  }
  const accounts = [
    ['a-admin', 't-a', 'admin@alpha.example', 'global_admin', true],
    ['a-user1', 't-a', 'one@alpha.example', 'user', true],
    ['a-user2', 't-a', 'two@alpha.example', 'user', true],
    ['a-off', 't-a', 'off@alpha.example', 'user', false],
    ['b-user', 't-b', 'user@beta.example', 'user', true],
  ] as const;
  for (const [id, tenantId, login, role, enabled] of accounts) {
    const r = await store.directory.createAccount({
      id,
      tenantId,
      login,
      displayName: login,
      role,
      enabled,
      passwordHash: null,
      mustChangePassword: false,
      now,
    });
    assert.ok(r.ok);
  }
  await store.directory.setMethod('a-admin', 'email', 'x@home.example', now, now);
  await store.directory.setMethod('a-admin', 'phone', '+15555550100', now, now);
  await store.directory.setMethod('a-user1', 'email', 'y@home.example', now, now);
  await store.directory.setMethod('a-user1', 'phone', '+15555550101', null, now); // not verified
  await store.directory.setMethod('a-off', 'email', 'z@home.example', now, now);
  await store.directory.setMethod('b-user', 'email', 'w@home.example', now, now);

  const base: Omit<AuditEventInput, 'type' | 'outcome' | 'at'> = {
    tenantId: 't-a',
    accountId: 'a-user1',
    actor: 'self',
    ip: '203.0.113.1',
    userAgent: 'ua',
    details: { flow: 'f1' },
  };
  const events: AuditEventInput[] = [
    { ...base, at: now, type: 'reset.requested', outcome: 'found' },
    { ...base, at: now + 1, type: 'code.rejected', outcome: 'mismatch', details: { flow: 'f1', channel: 'email' } },
    { ...base, at: now + 2, type: 'code.accepted', outcome: 'ok', details: { flow: 'f1', channel: 'email' } },
    { ...base, at: now + 3, type: 'password.changed', outcome: 'ok', details: { flow: 'f1', by: 'self-service' } },
    { ...base, at: now + 4, type: 'account.password_set', outcome: 'ok', actor: 'admin:a-admin', details: {} },
    // an admin of another tenant as actor: no login joined
    { ...base, at: now + 5, type: 'account.enabled', outcome: 'ok', actor: 'admin:b-user', details: {} },
    { ...base, at: now + 6, type: 'signin.failed', outcome: 'wrong_password', accountId: 'a-admin', details: {} },
    { ...base, at: now + 7, type: 'reset.requested', outcome: 'not_found', accountId: null, details: { flow: 'f2' } },
    // tenant B
    { ...base, at: now + 1, tenantId: 't-b', accountId: 'b-user', type: 'code.rejected', outcome: 'mismatch' },
    { ...base, at: now + 2, tenantId: 't-b', accountId: 'b-user', type: 'secret.b_only', outcome: 'b_outcome' },
  ];
  for (const e of events) await store.audit.append(e);

  const all = await store.insights.listAudit({ tenantId: 't-a', limit: 100 });
  assert.equal(all.length, 8, 'only tenant A');
  assert.ok(all.every((e) => e.tenantId === 't-a'));
  assert.deepEqual(
    all.map((e) => e.id),
    [...all.map((e) => e.id)].sort((a, b) => b - a),
    'newest first',
  );
  const byType = (t: string) => all.find((e) => e.type === t)!;
  assert.equal(byType('account.password_set').actorLogin, 'admin@alpha.example', 'admin actor joined');
  assert.equal(byType('account.enabled').actorLogin, null, 'never a login from another tenant');
  assert.equal(byType('code.rejected').accountLogin, 'one@alpha.example');
  assert.deepEqual(byType('code.rejected').details, { flow: 'f1', channel: 'email' });
  assert.equal(all.find((e) => e.outcome === 'not_found')!.accountLogin, null);

  const filtered = await store.insights.listAudit({
    tenantId: 't-a',
    accountId: 'a-user1',
    type: 'code.rejected',
    outcome: 'mismatch',
    since: now + 1,
    until: now + 2,
    limit: 10,
  });
  assert.equal(filtered.length, 1);
  assert.equal(
    (await store.insights.listAudit({ tenantId: 't-a', since: now + 2, until: now + 2, limit: 10 })).length,
    0,
  );
  assert.equal((await store.insights.listAudit({ tenantId: 't-a', outcome: 'b_outcome', limit: 10 })).length, 0);
  assert.equal((await store.insights.listAudit({ tenantId: 't-a', accountId: 'b-user', limit: 10 })).length, 0);

  // paging by id
  const page1 = await store.insights.listAudit({ tenantId: 't-a', limit: 3 });
  const page2 = await store.insights.listAudit({ tenantId: 't-a', limit: 3, beforeId: page1[2]!.id });
  assert.equal(page2.length, 3);
  assert.ok(page2[0]!.id < page1[2]!.id);
  assert.deepEqual(
    [...page1, ...page2].map((e) => e.id),
    all.slice(0, 6).map((e) => e.id),
  );

  // AuditRepo.list's outcome filter (the minimal addition to the shared repo)
  const listed = await store.audit.list({ tenantId: 't-a', outcome: 'mismatch' });
  assert.equal(listed.length, 1);

  const vocabulary = await store.insights.auditVocabulary('t-a', now);
  assert.ok(vocabulary.types.includes('code.rejected'));
  assert.ok(!vocabulary.types.includes('secret.b_only'), 'another tenant’s types stay there');
  assert.ok(!vocabulary.outcomes.includes('b_outcome'));
  assert.deepEqual(vocabulary.types, [...vocabulary.types].sort());

  const resetEvents = await store.insights.resetEvents('t-a', INSIGHT_EVENT_TYPES, now, now + 100, 100);
  assert.equal(resetEvents.length, 5, 'only the insight types of tenant A');
  const changed = resetEvents.find((e) => e.type === 'password.changed')!;
  assert.deepEqual(changed, {
    at: now + 3,
    accountId: 'a-user1',
    type: 'password.changed',
    outcome: 'ok',
    flow: 'f1',
    channel: null,
    by: 'self-service',
  });
  assert.equal((await store.insights.resetEvents('t-a', INSIGHT_EVENT_TYPES, now, now + 100, 2)).length, 2);
  assert.deepEqual(await store.insights.resetEvents('t-a', [], now, now + 100, 10), []);

  const registration = await store.insights.registration('t-a');
  const key = (r: { role: string; email: boolean; phone: boolean }) => `${r.role}:${r.email}:${r.phone}`;
  const counts = Object.fromEntries(registration.map((r) => [key(r), r.count]));
  assert.deepEqual(counts, {
    'global_admin:true:true': 1,
    'user:true:false': 1, // the unverified phone does not count
    'user:false:false': 1,
  });
}

test('SqlInsightsRepo on SQLite', async () => {
  const db = tempSqliteUrl();
  const store = await openSqlStore(db.url);
  try {
    await check(store);
  } finally {
    await store.close();
    db.cleanup();
  }
});

test('SqlInsightsRepo on PostgreSQL', async () => {
  await withMigratedPostgresDatabase(async (url) => {
    const store = await openSqlStore(url);
    try {
      await check(store);
    } finally {
      await store.close();
    }
  });
});
