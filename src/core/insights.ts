/**
 * Usage & insights, pure: turns the audit trail of a tenant's resets into the console's series
 * (resets per day by outcome, failures by reason, methods used) and account rows into
 * registration coverage. The audit log is the source because it is never purged (finished flows
 * are, after `retention_ms`); a flow's events are tied together by their `details.flow` prefix.
 */

export const DAY_MS = 86_400_000;

/** Periods the console offers, in days. */
export const INSIGHT_PERIODS = [7, 30, 90] as const;
export type InsightPeriod = (typeof INSIGHT_PERIODS)[number];

export function parsePeriod(value: unknown): InsightPeriod {
  const n = typeof value === 'string' ? Number(value) : value;
  return (INSIGHT_PERIODS as readonly unknown[]).includes(n) ? (n as InsightPeriod) : 30;
}

/** The audit event types the insights read (the store fetches only these). */
export const INSIGHT_EVENT_TYPES = [
  'reset.requested',
  'code.accepted',
  'code.rejected',
  'link.accepted',
  'link.rejected',
  'phone.rejected',
  'password.changed',
  'account.unlocked',
  'account.self_service_blocked',
] as const;

/** The part of an audit event the insights need. */
export interface ResetEventRow {
  readonly at: number;
  readonly accountId: string | null;
  readonly type: string;
  readonly outcome: string;
  /** `details.flow`: the first characters of the flow id. */
  readonly flow: string | null;
  /** `details.channel` (`email` / `sms`), when present. */
  readonly channel: string | null;
  /** `details.by` (`self-service`, `signed-in`…), when present. */
  readonly by: string | null;
}

export type ResetOutcome = 'completed' | 'failed' | 'abandoned';
export const RESET_OUTCOMES: readonly ResetOutcome[] = ['completed', 'failed', 'abandoned'];
export const RESET_OUTCOME_LABELS: Readonly<Record<ResetOutcome, string>> = {
  completed: 'Completed',
  failed: 'Failed',
  abandoned: 'Abandoned',
};

export type FailureReason =
  | 'code_mismatch'
  | 'expired'
  | 'attempts_exhausted'
  | 'no_code'
  | 'phone_mismatch'
  | 'wrong_browser'
  | 'blocked'
  | 'no_methods'
  | 'disabled'
  | 'unknown_login';

/** In the order the chart shows them. */
export const FAILURE_REASONS: readonly FailureReason[] = [
  'code_mismatch',
  'expired',
  'attempts_exhausted',
  'no_code',
  'phone_mismatch',
  'wrong_browser',
  'blocked',
  'no_methods',
  'disabled',
  'unknown_login',
];

export const FAILURE_REASON_LABELS: Readonly<Record<FailureReason, string>> = {
  code_mismatch: 'Code did not match',
  expired: 'Code or link expired',
  attempts_exhausted: 'Too many wrong codes',
  no_code: 'No code had been sent',
  phone_mismatch: 'Phone number did not match',
  wrong_browser: 'Link opened in another browser',
  blocked: 'Self-service blocked',
  no_methods: 'No methods registered',
  disabled: 'Account disabled',
  unknown_login: 'Unknown user ID',
};

export type MethodUsed = 'email_code' | 'email_link' | 'sms';
export const METHODS_USED: readonly MethodUsed[] = ['email_code', 'email_link', 'sms'];
export const METHOD_LABELS: Readonly<Record<MethodUsed, string>> = {
  email_code: 'Email code',
  email_link: 'Email link',
  sms: 'SMS code',
};

/** The failure an event stands for, or null when it is not a failure (accepted codes, duplicates…). */
export function failureReasonOf(e: Pick<ResetEventRow, 'type' | 'outcome'>): FailureReason | null {
  switch (e.type) {
    case 'reset.requested':
      switch (e.outcome) {
        case 'blocked':
          return 'blocked';
        case 'no_methods':
          return 'no_methods';
        case 'disabled':
          return 'disabled';
        case 'not_found':
          return 'unknown_login';
        default:
          return null;
      }
    case 'code.rejected':
      switch (e.outcome) {
        case 'mismatch':
          return 'code_mismatch';
        case 'expired':
          return 'expired';
        case 'attempts_exhausted':
          return 'attempts_exhausted';
        case 'no_code':
          return 'no_code';
        default:
          // `already_used`: a duplicate of a correct submission, not a failure
          return null;
      }
    case 'link.rejected':
      return e.outcome === 'wrong_browser' ? 'wrong_browser' : e.outcome === 'expired' ? 'expired' : null;
    case 'phone.rejected':
      return 'phone_mismatch';
    default:
      return null;
  }
}

/** The verification method an event proves, or null. */
export function methodOf(e: Pick<ResetEventRow, 'type' | 'outcome' | 'channel'>): MethodUsed | null {
  if (e.type === 'link.accepted') return 'email_link';
  if (e.type === 'code.accepted') return e.channel === 'sms' ? 'sms' : e.channel === 'email' ? 'email_code' : null;
  return null;
}

/** `YYYY-MM-DD` of a time, in UTC. */
export function dayOf(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `1 May` for `2024-05-01`. */
export function shortDay(day: string): string {
  const [, m, d] = day.split('-');
  return `${Number(d)} ${MONTHS[Number(m) - 1] ?? ''}`;
}

/** The period's window: the last `days` UTC days, today included; `until` is now. */
export function periodWindow(now: number, days: number): { since: number; until: number; days: string[] } {
  const today = Math.floor(now / DAY_MS);
  const first = today - (days - 1);
  const list: string[] = [];
  for (let d = first; d <= today; d++) list.push(dayOf(d * DAY_MS));
  return { since: first * DAY_MS, until: now, days: list };
}

export interface DailyResets {
  readonly day: string;
  readonly completed: number;
  readonly failed: number;
  readonly abandoned: number;
}

export interface ResetInsights {
  readonly days: readonly DailyResets[];
  readonly totals: Readonly<Record<ResetOutcome, number>>;
  /** Resets started within the flow lifetime that have not ended yet (not in the chart). */
  readonly inProgress: number;
  /** Every reason, in FAILURE_REASONS order, zeros included. */
  readonly failures: readonly { readonly reason: FailureReason; readonly count: number }[];
  readonly methods: readonly { readonly method: MethodUsed; readonly count: number }[];
  /** Accounts whose self-service was blocked during the period. */
  readonly blockedAccounts: number;
}

interface FlowTally {
  startedAt: number;
  refused: boolean;
  failed: boolean;
  completed: boolean;
}

/**
 * Aggregates the period's events (any order).
 *
 * A reset is a flow started (`reset.requested`) in the period for an account of the tenant (flows
 * for unknown user IDs are not resets of anybody; they appear only as the failure reason "Unknown
 * user ID"). Its outcome: **completed** when the new password was set through it (or, for a
 * directory account, the account was unlocked through it instead); otherwise
 * **failed** when the start was refused (blocked, no methods, disabled) or any verification
 * failed; otherwise **abandoned** once its lifetime (`flowTtlMs`) has passed, or in progress.
 *
 * Failures by reason count failure events by the day they happened; methods used count accepted
 * verifications (email code, email link, SMS code).
 */
export function aggregateResets(
  events: readonly ResetEventRow[],
  window: { readonly since: number; readonly until: number; readonly days: readonly string[] },
  flowTtlMs: number,
): ResetInsights {
  const inWindow = (at: number) => at >= window.since && at <= window.until;
  const flows = new Map<string, FlowTally>();
  const key = (e: ResetEventRow) => `${e.accountId ?? ''}|${e.flow ?? ''}`;
  const failures = new Map<FailureReason, number>(FAILURE_REASONS.map((r) => [r, 0]));
  const methods = new Map<MethodUsed, number>(METHODS_USED.map((m) => [m, 0]));
  const blocked = new Set<string>();

  // starts first, so later events find their flow whatever the input order
  for (const e of events) {
    if (e.type !== 'reset.requested' || e.accountId === null || e.flow === null || !inWindow(e.at)) continue;
    const reason = failureReasonOf(e);
    flows.set(key(e), { startedAt: e.at, refused: reason !== null, failed: false, completed: false });
  }
  for (const e of events) {
    if (!inWindow(e.at)) continue;
    const reason = failureReasonOf(e);
    if (reason !== null && (e.accountId !== null || reason === 'unknown_login')) {
      failures.set(reason, (failures.get(reason) ?? 0) + 1);
    }
    if (e.type === 'account.self_service_blocked' && e.accountId !== null) blocked.add(e.accountId);
    const method = methodOf(e);
    if (method !== null && e.accountId !== null) methods.set(method, (methods.get(method) ?? 0) + 1);
    if (e.accountId === null || e.flow === null) continue;
    const flow = flows.get(key(e));
    if (!flow) continue;
    if (reason !== null && e.type !== 'reset.requested') flow.failed = true;
    if (e.type === 'password.changed' && e.outcome === 'ok' && e.by === 'self-service') flow.completed = true;
    // a directory account's reset may end by unlocking it instead (reset/unlock.ts): it reached its end too
    if (e.type === 'account.unlocked' && e.outcome === 'ok' && e.by === 'self-service') flow.completed = true;
  }

  const perDay = new Map<string, { completed: number; failed: number; abandoned: number }>(
    window.days.map((d) => [d, { completed: 0, failed: 0, abandoned: 0 }]),
  );
  const totals = { completed: 0, failed: 0, abandoned: 0 };
  let inProgress = 0;
  for (const flow of flows.values()) {
    let outcome: ResetOutcome | null;
    if (flow.completed) outcome = 'completed';
    else if (flow.refused || flow.failed) outcome = 'failed';
    else if (flow.startedAt + flowTtlMs <= window.until) outcome = 'abandoned';
    else outcome = null;
    if (outcome === null) {
      inProgress++;
      continue;
    }
    const day = perDay.get(dayOf(flow.startedAt));
    if (!day) continue;
    day[outcome]++;
    totals[outcome]++;
  }
  return {
    days: window.days.map((d) => ({ day: d, ...perDay.get(d)! })),
    totals,
    inProgress,
    failures: FAILURE_REASONS.map((reason) => ({ reason, count: failures.get(reason) ?? 0 })),
    methods: METHODS_USED.map((method) => ({ method, count: methods.get(method) ?? 0 })),
    blockedAccounts: blocked.size,
  };
}

// ---- registration coverage --------------------------------------------------------------

/** Enabled accounts of a tenant grouped by role and which methods they have verified. */
export interface RegistrationRow {
  readonly role: string;
  readonly email: boolean;
  readonly phone: boolean;
  readonly count: number;
}

export type CoverageLevel = 'both' | 'one' | 'none';
export const COVERAGE_LEVELS: readonly CoverageLevel[] = ['both', 'one', 'none'];
export const COVERAGE_LABELS: Readonly<Record<CoverageLevel, string>> = {
  both: 'Both methods',
  one: 'One method',
  none: 'No method',
};

export interface Coverage {
  readonly users: Readonly<Record<CoverageLevel, number>>;
  readonly admins: Readonly<Record<CoverageLevel, number>>;
}

/** Users (role `user`) and administrators (`admin`, `global_admin`) with both, one or no verified method. */
export function coverageOf(rows: readonly RegistrationRow[]): Coverage {
  const users = { both: 0, one: 0, none: 0 };
  const admins = { both: 0, one: 0, none: 0 };
  for (const r of rows) {
    const level: CoverageLevel = r.email && r.phone ? 'both' : r.email || r.phone ? 'one' : 'none';
    const group = r.role === 'admin' || r.role === 'global_admin' ? admins : users;
    group[level] += r.count;
  }
  return { users, admins };
}
