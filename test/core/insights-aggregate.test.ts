import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aggregateResets,
  coverageOf,
  DAY_MS,
  dayOf,
  failureReasonOf,
  methodOf,
  parsePeriod,
  periodWindow,
  shortDay,
  type ResetEventRow,
} from '../../src/core/insights.ts';

const NOW = Date.UTC(2024, 4, 10, 12, 0, 0); // 2024-05-10 12:00 UTC
const TTL = 60 * 60_000;

function ev(at: number, type: string, outcome: string, extra: Partial<ResetEventRow> = {}): ResetEventRow {
  return { at, accountId: 'acc-1', type, outcome, flow: 'f1', channel: null, by: null, ...extra };
}

test('periodWindow: the last N UTC days, today included, since = midnight of the first day', () => {
  const w = periodWindow(NOW, 7);
  assert.equal(w.days.length, 7);
  assert.equal(w.days[0], '2024-05-04');
  assert.equal(w.days[6], '2024-05-10');
  assert.equal(w.since, Date.UTC(2024, 4, 4));
  assert.equal(w.until, NOW);
  assert.equal(periodWindow(NOW, 90).days.length, 90);
  // the edges of a day
  assert.equal(dayOf(Date.UTC(2024, 4, 10) - 1), '2024-05-09');
  assert.equal(dayOf(Date.UTC(2024, 4, 10)), '2024-05-10');
  assert.equal(shortDay('2024-05-01'), '1 May');
  assert.equal(shortDay('2024-12-31'), '31 Dec');
});

test('parsePeriod accepts 7, 30, 90 and falls back to 30', () => {
  assert.equal(parsePeriod('7'), 7);
  assert.equal(parsePeriod('90'), 90);
  assert.equal(parsePeriod(30), 30);
  for (const bad of ['8', '', undefined, '7; drop', '1e1', null]) assert.equal(parsePeriod(bad), 30, String(bad));
});

test('failureReasonOf and methodOf map the reset service events', () => {
  const cases: [string, string, string | null][] = [
    ['code.rejected', 'mismatch', 'code_mismatch'],
    ['code.rejected', 'expired', 'expired'],
    ['code.rejected', 'attempts_exhausted', 'attempts_exhausted'],
    ['code.rejected', 'no_code', 'no_code'],
    ['code.rejected', 'already_used', null],
    ['link.rejected', 'wrong_browser', 'wrong_browser'],
    ['link.rejected', 'expired', 'expired'],
    ['phone.rejected', 'mismatch', 'phone_mismatch'],
    ['reset.requested', 'found', null],
    ['reset.requested', 'blocked', 'blocked'],
    ['reset.requested', 'no_methods', 'no_methods'],
    ['reset.requested', 'disabled', 'disabled'],
    ['reset.requested', 'not_found', 'unknown_login'],
    ['code.accepted', 'ok', null],
    ['password.changed', 'ok', null],
  ];
  for (const [type, outcome, reason] of cases) assert.equal(failureReasonOf({ type, outcome }), reason, type + outcome);
  assert.equal(methodOf({ type: 'code.accepted', outcome: 'ok', channel: 'email' }), 'email_code');
  assert.equal(methodOf({ type: 'code.accepted', outcome: 'ok', channel: 'sms' }), 'sms');
  assert.equal(methodOf({ type: 'link.accepted', outcome: 'ok', channel: null }), 'email_link');
  assert.equal(methodOf({ type: 'code.rejected', outcome: 'mismatch', channel: 'email' }), null);
});

test('aggregateResets: completed, failed and abandoned flows per start day; in-progress flows are held back', () => {
  const window = periodWindow(NOW, 7);
  const d8 = Date.UTC(2024, 4, 8, 9);
  const d9 = Date.UTC(2024, 4, 9, 23, 50);
  const events: ResetEventRow[] = [
    // f1 (8 May): a wrong code, then the right one, then the new password → completed
    ev(d8, 'reset.requested', 'found', { flow: 'f1' }),
    ev(d8 + 1000, 'code.rejected', 'mismatch', { flow: 'f1', channel: 'email' }),
    ev(d8 + 2000, 'code.accepted', 'ok', { flow: 'f1', channel: 'email' }),
    ev(d8 + 3000, 'password.changed', 'ok', { flow: 'f1', by: 'self-service' }),
    // f2 (8 May): a wrong code and nothing more → failed
    ev(d8 + 10, 'reset.requested', 'found', { flow: 'f2' }),
    ev(d8 + 20, 'code.rejected', 'expired', { flow: 'f2', channel: 'email' }),
    // f3 (9 May, 23:50): started, the link passed after midnight, never finished → abandoned on its start day
    ev(d9, 'reset.requested', 'found', { flow: 'f3' }),
    ev(d9 + 20 * 60_000, 'link.accepted', 'ok', { flow: 'f3' }),
    // f4 (9 May): refused because the account is blocked → failed
    ev(d9 - 1000, 'reset.requested', 'blocked', { flow: 'f4', accountId: 'acc-2' }),
    // f5: started 10 minutes ago, nothing else yet → in progress
    ev(NOW - 10 * 60_000, 'reset.requested', 'found', { flow: 'f5' }),
    // f6: unknown user ID → not a reset, but a failure reason
    ev(d8, 'reset.requested', 'not_found', { flow: 'f6', accountId: null }),
    ev(d8 + 5, 'code.rejected', 'no_code', { flow: 'f6', accountId: null, channel: 'email' }),
    // a duplicate submission is no failure
    ev(d8 + 2001, 'code.rejected', 'already_used', { flow: 'f1', channel: 'email' }),
    // a password change after sign-in is not a reset
    ev(d8, 'password.changed', 'ok', { flow: null, by: 'signed-in' }),
    // an account blocked
    ev(d8 + 30, 'account.self_service_blocked', 'blocked', { flow: 'f2' }),
  ];
  // any order
  const r = aggregateResets([...events].reverse(), window, TTL);
  const day = (d: string) => r.days.find((x) => x.day === d)!;
  assert.deepEqual(day('2024-05-08'), { day: '2024-05-08', completed: 1, failed: 1, abandoned: 0 });
  assert.deepEqual(day('2024-05-09'), { day: '2024-05-09', completed: 0, failed: 1, abandoned: 1 });
  assert.deepEqual(day('2024-05-10'), { day: '2024-05-10', completed: 0, failed: 0, abandoned: 0 });
  assert.deepEqual(r.totals, { completed: 1, failed: 2, abandoned: 1 });
  assert.equal(r.inProgress, 1);
  const failures = Object.fromEntries(r.failures.map((f) => [f.reason, f.count]));
  assert.equal(failures.code_mismatch, 1);
  assert.equal(failures.expired, 1);
  assert.equal(failures.blocked, 1);
  assert.equal(failures.unknown_login, 1);
  assert.equal(failures.no_code, 0, 'failures of unknown-login flows are not counted (only the unknown ID is)');
  assert.equal(r.failures.length, 10, 'every reason listed, zeros included');
  const methods = Object.fromEntries(r.methods.map((m) => [m.method, m.count]));
  assert.deepEqual(methods, { email_code: 1, email_link: 1, sms: 0 });
  assert.equal(r.blockedAccounts, 1);
});

test('aggregateResets: the abandoned/in-progress edge is the flow lifetime (t − 1 ms, t)', () => {
  const window = periodWindow(NOW, 7);
  const startedAt = NOW - TTL;
  const e = [ev(startedAt, 'reset.requested', 'found')];
  assert.equal(aggregateResets(e, window, TTL).totals.abandoned, 1, 'exactly the lifetime ago: over');
  const later = [ev(startedAt + 1, 'reset.requested', 'found')];
  const r = aggregateResets(later, window, TTL);
  assert.equal(r.totals.abandoned, 0);
  assert.equal(r.inProgress, 1);
});

test('aggregateResets: events outside the window are ignored; a flow started before it does not count', () => {
  const window = periodWindow(NOW, 7);
  const before = window.since - 1;
  const r = aggregateResets(
    [
      ev(before, 'reset.requested', 'found', { flow: 'old' }),
      ev(window.since + 5, 'password.changed', 'ok', { flow: 'old', by: 'self-service' }),
      ev(before, 'code.rejected', 'mismatch', { flow: 'old' }),
      ev(window.since, 'reset.requested', 'found', { flow: 'edge' }),
    ],
    window,
    TTL,
  );
  assert.deepEqual(r.totals, { completed: 0, failed: 0, abandoned: 1 }, 'only the flow at the window start');
  assert.equal(r.days[0]!.abandoned, 1);
  assert.equal(r.failures.find((f) => f.reason === 'code_mismatch')!.count, 0);
  assert.equal(window.since + 7 * DAY_MS > NOW, true);
});

test('coverageOf: users and admins with both, one or no verified method', () => {
  const c = coverageOf([
    { role: 'user', email: true, phone: true, count: 5 },
    { role: 'user', email: true, phone: false, count: 2 },
    { role: 'user', email: false, phone: true, count: 1 },
    { role: 'user', email: false, phone: false, count: 3 },
    { role: 'admin', email: true, phone: true, count: 1 },
    { role: 'global_admin', email: true, phone: true, count: 1 },
    { role: 'global_admin', email: false, phone: true, count: 1 },
  ]);
  assert.deepEqual(c.users, { both: 5, one: 3, none: 3 });
  assert.deepEqual(c.admins, { both: 2, one: 1, none: 0 });
  assert.deepEqual(coverageOf([]), { users: { both: 0, one: 0, none: 0 }, admins: { both: 0, one: 0, none: 0 } });
});

test('aggregateResets: a reset that ended by unlocking a directory account counts as completed; an admin unlock is no reset', () => {
  const window = periodWindow(NOW, 7);
  const d8 = Date.UTC(2024, 4, 8, 9);
  const events = [
    ev(d8, 'reset.requested', 'found', { flow: 'u1' }),
    ev(d8 + 1000, 'code.accepted', 'ok', { flow: 'u1', channel: 'email' }),
    ev(d8 + 2000, 'account.unlocked', 'ok', { flow: 'u1', by: 'self-service' }),
    // an administrator's unlock belongs to no flow
    ev(d8 + 3000, 'account.unlocked', 'ok', { flow: null, by: 'console' }),
  ];
  const r = aggregateResets(events, window, TTL);
  assert.deepEqual(r.totals, { completed: 1, failed: 0, abandoned: 0 });
  const without = aggregateResets(events.slice(0, 2), window, TTL);
  assert.deepEqual(without.totals, { completed: 0, failed: 0, abandoned: 1 }, 'without it the flow was abandoned');
});
