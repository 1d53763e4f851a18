/**
 * Delivery policy for the transactional outbox: how long to wait before the next try
 * (exponential backoff with full jitter, capped), when to give up, and when a message's content
 * is too old to deliver at all (a code past its lifetime is dropped, never sent late).
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly maxAttempts: number;
}

/** Delay before try number `attempt + 1`, given `attempt` failures so far (attempt ≥ 1). `unit` is a random value in [0, 1). */
export function retryDelayMs(policy: BackoffPolicy, attempt: number, unit: number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  // half fixed, half jitter: never zero, never more than the ceiling
  return Math.round(ceiling / 2 + (ceiling / 2) * unit);
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
  expiresAt: number | null,
  unit: number,
): NextStep {
  if (!failure.retryable) return { kind: 'fail', reason: failure.reason };
  if (attempts >= policy.maxAttempts)
    return { kind: 'fail', reason: `gave up after ${attempts} tries: ${failure.reason}` };
  const at = now + retryDelayMs(policy, attempts, unit);
  if (expiresAt !== null && at >= expiresAt) return { kind: 'expire' };
  return { kind: 'retry', at };
}

/** A message whose content expires at `expiresAt` is deliverable strictly before that instant. */
export function isDeliverable(expiresAt: number | null, now: number): boolean {
  return expiresAt === null || now < expiresAt;
}
