/**
 * The one check of a one-time code (a reset flow's email or SMS code, a security-info
 * registration's code, and what comes later: an authenticator app's code). The service runs the
 * statements in one fixed order — normalise the input (`normalizeCodeInput`), count the attempt
 * first with one conditional statement, compare the HMAC in constant time, then decide here,
 * then consume the code once — so parallel guesses cannot overrun the limit and every path does
 * the same work. This is the decision: pure, from what those statements returned.
 */
export type CodeRejection =
  /** No attempt was left (the conditional count changed nothing). */
  | 'attempts_exhausted'
  /** Past its lifetime (checked after the count: an expired code still costs an attempt). */
  | 'expired'
  | 'mismatch';

export interface CodeCheckFacts {
  /** The attempt count after counting this one, or null when none was left. */
  readonly attempts: number | null;
  readonly maxAttempts: number;
  /** Whether the code is still within its lifetime now (from the core lifetime rules). */
  readonly fresh: boolean;
  /** The constant-time comparison of the typed code's HMAC with the stored one. */
  readonly matches: boolean;
}

export type CodeVerdict =
  | { readonly ok: true; readonly attempts: number }
  | {
      readonly ok: false;
      readonly reason: CodeRejection;
      readonly attempts: number | null;
      readonly attemptsLeft: number;
    };

/** Accept only a fresh, matching code that still had an attempt; otherwise say why (in this order). */
export function judgeCode(f: CodeCheckFacts): CodeVerdict {
  if (f.attempts === null) return { ok: false, reason: 'attempts_exhausted', attempts: null, attemptsLeft: 0 };
  const attemptsLeft = Math.max(0, f.maxAttempts - f.attempts);
  if (!f.fresh) return { ok: false, reason: 'expired', attempts: f.attempts, attemptsLeft };
  if (!f.matches) return { ok: false, reason: 'mismatch', attempts: f.attempts, attemptsLeft };
  return { ok: true, attempts: f.attempts };
}
