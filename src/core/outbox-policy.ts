/**
 * Delivery policy for the transactional outbox: how long to wait before the next try
 * (exponential backoff with full jitter, capped), how long a message is worth retrying, and when
 * a message's content is too old to deliver at all (a code past its lifetime is dropped, never
 * sent late).
 *
 * Retrying is bounded by TIME, not by a count of tries: a code is retried until it expires, a
 * notice (password changed, method changed, block started, …) until `noticeHorizonMs` after it
 * was queued. A message is marked failed only when retrying can no longer help: the transport
 * refused it for good, or its horizon passed.
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  /**
   * How long a message without its own expiry (a notice) is retried, counted from when it was
   * queued (default DEFAULT_NOTICE_HORIZON_MS: 72 hours).
   */
  readonly noticeHorizonMs?: number;
  /** Optional cap on tries per message; 0 or absent: none (the horizon decides). */
  readonly maxAttempts?: number;
}

/** Notices are retried for 72 hours unless the policy says otherwise. */
export const DEFAULT_NOTICE_HORIZON_MS = 72 * 3_600_000;

/** The times of a message that the policy needs. */
export interface MessageTimes {
  /** When it was queued. */
  readonly createdAt: number;
  /** When its content stops being worth delivering (a code's lifetime); null for notices. */
  readonly expiresAt: number | null;
}

/** Delay before try number `attempt + 1`, given `attempt` failures so far (attempt ≥ 1). `unit` is a random value in [0, 1). */
export function retryDelayMs(policy: BackoffPolicy, attempt: number, unit: number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  // half fixed, half jitter: never zero, never more than the ceiling
  return Math.round(ceiling / 2 + (ceiling / 2) * unit);
}

/** The instant after which a message is no longer retried: its code's expiry, or the notice horizon. */
export function retryHorizon(policy: BackoffPolicy, m: MessageTimes): number {
  return m.expiresAt ?? m.createdAt + (policy.noticeHorizonMs ?? DEFAULT_NOTICE_HORIZON_MS);
}

export type DeliveryFailure = { readonly retryable: boolean; readonly reason: string };

export type NextStep =
  | { readonly kind: 'retry'; readonly at: number }
  | { readonly kind: 'fail'; readonly reason: string }
  | { readonly kind: 'expire' };

/** Decides what happens to a message after a failed try, at time `now`. */
export function afterFailure(
  policy: BackoffPolicy,
  attempts: number,
  failure: DeliveryFailure,
  now: number,
  m: MessageTimes,
  unit: number,
): NextStep {
  if (!failure.retryable) return { kind: 'fail', reason: failure.reason };
  const cap = policy.maxAttempts ?? 0;
  if (cap > 0 && attempts >= cap) return { kind: 'fail', reason: `gave up after ${attempts} tries: ${failure.reason}` };
  return nextTry(policy, m, now + retryDelayMs(policy, attempts, unit), failure.reason);
}

/** Longest wait before a message this instance cannot open is looked at again (by any instance). */
export const DEFER_MAX_MS = 30_000;

/**
 * A message this instance cannot open (sealed under a key it does not hold, e.g. during a rolling
 * key rotation) is left for an instance that can: back to pending, its tries not counted, looked
 * at again after a short delay. Only past its horizon does it end (a code expires; a notice fails:
 * no key that could open it appeared in all that time).
 */
export function afterUnopenable(policy: BackoffPolicy, now: number, m: MessageTimes, unit: number): NextStep {
  const ceiling = Math.max(1, Math.min(policy.maxMs, DEFER_MAX_MS));
  const at = now + Math.round(ceiling / 2 + (ceiling / 2) * unit);
  return nextTry(policy, m, at, 'message content cannot be opened with any key this instance holds');
}

function nextTry(policy: BackoffPolicy, m: MessageTimes, at: number, reason: string): NextStep {
  const horizon = retryHorizon(policy, m);
  if (at < horizon) return { kind: 'retry', at };
  if (m.expiresAt !== null) return { kind: 'expire' };
  const hours = Math.round(((policy.noticeHorizonMs ?? DEFAULT_NOTICE_HORIZON_MS) / 3_600_000) * 10) / 10;
  return { kind: 'fail', reason: `not delivered within ${hours} h of being queued: ${reason}` };
}

/** A message whose content expires at `expiresAt` is deliverable strictly before that instant. */
export function isDeliverable(expiresAt: number | null, now: number): boolean {
  return expiresAt === null || now < expiresAt;
}
