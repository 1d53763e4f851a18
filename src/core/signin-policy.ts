/**
 * Sign-in throttling: growing delays, never a permanent lockout an attacker could trigger.
 * The first `freeFailures` wrong passwords cost nothing; after that each new try must wait
 * 2^(failures − freeFailures) seconds after the last failure, capped at `maxDelayMs`.
 */
export interface SigninPolicy {
  readonly freeFailures: number;
  readonly maxDelayMs: number;
  /** A session ends after this long without a request … */
  readonly idleMs: number;
  /** … and at the latest this long after sign-in. */
  readonly absoluteMs: number;
}

export const DEFAULT_SIGNIN_POLICY: SigninPolicy = {
  freeFailures: 5,
  maxDelayMs: 15 * 60_000,
  idleMs: 30 * 60_000,
  absoluteMs: 12 * 60 * 60_000,
};

export function signinDelayMs(policy: SigninPolicy, failures: number): number {
  if (failures < policy.freeFailures) return 0;
  return Math.min(policy.maxDelayMs, 1000 * 2 ** (failures - policy.freeFailures));
}

/** Milliseconds until the next sign-in attempt is allowed (0: now). */
export function signinWaitMs(policy: SigninPolicy, failures: number, lastFailureAt: number, now: number): number {
  return Math.max(0, lastFailureAt + signinDelayMs(policy, failures) - now);
}

/** Whether a session is still valid at `now`. */
export function isSessionLive(
  policy: SigninPolicy,
  s: { createdAt: number; lastSeenAt: number; expiresAt: number; revokedAt: number | null },
  now: number,
): boolean {
  return s.revokedAt === null && now < s.expiresAt && now < s.lastSeenAt + policy.idleMs;
}
