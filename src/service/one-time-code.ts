import { judgeCode, type CodeRejection } from '../core/one-time-code.ts';
import type { Keyring } from '../ports/keyring.ts';

/**
 * The one check of a typed one-time code, for reset flows, security-info registration and the
 * authenticator app: count the attempt first (one conditional statement, so parallel guesses
 * cannot overrun the limit), compare in constant time (the stored HMAC, or the TOTP rule), decide with the
 * core rule (`judgeCode`), and consume the code once. The caller has normalised the input
 * (`normalizeCodeInput`) and judged the lifetime with the core policy (`fresh`).
 */
export type OneTimeCodeCheck = CodeComparison & {
  /** The normalised six digits. */
  readonly typed: string;
  readonly maxAttempts: number;
  /** Whether the code is within its lifetime now. */
  readonly fresh: boolean;
  /** Counts one attempt if one is left; the new count, or null. */
  countAttempt(): Promise<number | null>;
  /** Marks the code used (an authenticator app: its time step); true for exactly one caller. */
  consume(): Promise<boolean>;
};

/** How the typed code is compared: with the HMAC stored when it was sent, or (an authenticator app) by the core TOTP rule. */
export type CodeComparison =
  | {
      readonly keyring: Keyring;
      /** The HMAC purpose the code was stored under. */
      readonly purpose: string;
      /** What the code is bound to (a flow id, a pending registration's id): `${binding}:${code}` is what was hashed. */
      readonly binding: string;
      readonly codeHash: string;
    }
  | {
      /** Constant-time comparison of the typed digits (core/authenticator's `judgeTotp`); run only when an attempt was left. */
      readonly compare: (typed: string) => boolean;
    };

export type OneTimeCodeResult =
  | { readonly ok: true; readonly attempts: number }
  | {
      readonly ok: false;
      /** `already_used`: right and fresh, but another request consumed it first. */
      readonly reason: CodeRejection | 'already_used';
      readonly attempts: number | null;
      readonly attemptsLeft: number;
    };

export async function checkOneTimeCode(c: OneTimeCodeCheck): Promise<OneTimeCodeResult> {
  const attempts = await c.countAttempt();
  const matches =
    attempts !== null &&
    ('compare' in c ? c.compare(c.typed) : c.keyring.matches(c.purpose, `${c.binding}:${c.typed}`, c.codeHash));
  const verdict = judgeCode({ attempts, maxAttempts: c.maxAttempts, fresh: c.fresh, matches });
  if (!verdict.ok) return verdict;
  if (!(await c.consume())) return { ok: false, reason: 'already_used', attempts: verdict.attempts, attemptsLeft: 0 };
  return verdict;
}
