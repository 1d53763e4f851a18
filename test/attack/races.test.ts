import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent } from '../../src/ports/store.ts';
import { createPostgresDatabase } from '../helpers/databases.ts';
import { api, apiStart, codeIn, errorCode, newest, startAttackServer, type AttackServer } from './attack-kit.ts';

/**
 * Parallel redemption and attempt overrun (GUIDE §2 "count first, compare after"; §6): 50 requests
 * sent at once through the JSON API with the same X-Flow-Secret.
 */
const PARALLEL = 50;

function flowEvents(events: readonly AuditEvent[], flowId: string, type: string): AuditEvent[] {
  return events.filter((e) => e.type === type && e.details.flow === flowId.slice(0, 8));
}

async function raceScenario(kit: AttackServer, label: string): Promise<void> {
  // ---- 50 parallel redemptions of one correct code: exactly one wins --------------------
  const user = kit.account('user@contoso.example');
  const u = await apiStart(kit, user.login);
  await kit.deliver();
  const code = codeIn(newest(kit, user.email).text);
  const answers = await Promise.all(
    Array.from({ length: PARALLEL }, () => api(kit.server, 'POST', 'flow/code', { flow: u.handle, body: { code } })),
  );
  const wins = answers.filter((a) => a.status === 200);
  const losers = answers.filter((a) => a.status !== 200);
  const loserCodes = [...new Set(losers.map((a) => `${a.status} ${errorCode(a)}`))];
  console.log(`[races ${label}] correct code ×${PARALLEL}: ${wins.length} success, others: ${loserCodes.join(', ')}`);
  assert.equal(wins.length, 1, `exactly one parallel redemption succeeds (${label})`);
  for (const a of losers) {
    assert.equal(a.status, 400, `a losing redemption is refused with 400 (${label})`);
    assert.ok(['invalid_code', 'wrong_step'].includes(String(errorCode(a))), `loser code ${errorCode(a)}`);
  }
  const uFlow = await kit.app.store.flows.get(u.handle.flowId);
  assert.equal(uFlow?.state, 'new_password', 'the flow advanced exactly once');
  let events = await kit.app.store.audit.list({ limit: 1000 });
  assert.equal(flowEvents(events, u.handle.flowId, 'code.accepted').length, 1, 'one code.accepted event');
  // the losing duplicates of the CORRECT code are not failed verifications: a client that
  // re-sends a correct code must not lock the person out
  const dupFailures = flowEvents(events, u.handle.flowId, 'code.rejected').filter((e) => e.outcome !== 'already_used');
  const blocked = events.filter((e) => e.type === 'account.self_service_blocked' && e.accountId === uFlow?.accountId);
  assert.deepEqual(
    dupFailures.map((e) => e.outcome),
    [],
    `duplicates of the correct code are audited only as already_used (${label})`,
  );
  assert.equal(blocked.length, 0, `the account is not blocked by duplicates of a correct code (${label})`);
  assert.equal(await kit.app.store.lockouts.countFailures(uFlow!.accountId!, 0), 0, 'no failed verification counted');

  // ---- 50 parallel WRONG codes: at most 5 are evaluated, then the right code is dead -----
  const admin2 = kit.account('admin2@contoso.example');
  const a = await apiStart(kit, admin2.login);
  await kit.deliver();
  const right = codeIn(newest(kit, admin2.email).text);
  const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
  const wrongAnswers = await Promise.all(
    Array.from({ length: PARALLEL }, () =>
      api(kit.server, 'POST', 'flow/code', { flow: a.handle, body: { code: wrong } }),
    ),
  );
  for (const w of wrongAnswers) {
    assert.equal(w.status, 400);
    assert.equal(errorCode(w), 'invalid_code');
  }
  // the 5th wrong code started the account's block, which ended the flow (its code superseded)
  const row = (await kit.app.store.flows.codesToCheck(a.handle.flowId, 'email')).superseded[0];
  assert.ok(row, 'the code row is still there (superseded by the block, not consumed)');
  events = await kit.app.store.audit.list({ limit: 1000 });
  const rejected = flowEvents(events, a.handle.flowId, 'code.rejected');
  const evaluated = rejected.filter((e) => e.outcome === 'mismatch');
  const exhausted = rejected.filter((e) => e.outcome === 'attempts_exhausted');
  const whileBlocked = rejected.filter((e) => e.outcome === 'blocked');
  console.log(
    `[races ${label}] wrong code ×${PARALLEL}: attempts in DB ${row.attempts}, mismatch events ${evaluated.length}, attempts_exhausted events ${exhausted.length}, refused while blocked ${whileBlocked.length}`,
  );
  assert.ok(row.attempts <= 5, `attempts counted ≤ 5 (got ${row.attempts})`);
  assert.equal(row.attempts, 5, 'the 5 allowed attempts were all used');
  assert.equal(evaluated.length, 5, `exactly 5 guesses were compared (got ${evaluated.length})`);
  assert.equal(evaluated.length + exhausted.length + whileBlocked.length, PARALLEL, 'every guess was audited');

  const late = await api(kit.server, 'POST', 'flow/code', { flow: a.handle, body: { code: right } });
  assert.equal(late.status, 400);
  assert.equal(errorCode(late), 'invalid_code', 'the right code is refused once the code was killed');
  assert.equal(
    (await kit.app.store.flows.get(a.handle.flowId))?.state,
    'expired',
    'the flow did not advance: it ended',
  );
}

test('races on PostgreSQL: one of 50 parallel correct redemptions wins; 50 parallel wrong codes use ≤ 5 attempts', async () => {
  const db = await createPostgresDatabase({ migrated: true });
  let kit: AttackServer | undefined;
  try {
    kit = await startAttackServer({ SSPR_DATABASE_URL: db.url });
    await raceScenario(kit, 'postgres');
  } finally {
    await kit?.close();
    await db.drop();
  }
});

test('races on SQLite: one of 50 parallel correct redemptions wins; 50 parallel wrong codes use ≤ 5 attempts', async () => {
  const kit = await startAttackServer();
  try {
    await raceScenario(kit, 'sqlite');
  } finally {
    await kit.close();
  }
});
