import { isAdminRole, type Role } from './directory-model.ts';

/**
 * The consoles' second factor (issue 13 item 4): tenant admins (the admin console) and Technical
 * Support operators (the support console) sign in with a password and THEN an authenticator code,
 * a passkey or a recovery code. Pure rules; the service sequences the statements.
 *
 * - After the password, a *pending console sign-in* exists: its own cookie, no session. No page
 *   or API that needs a session accepts it; it lives 10 minutes and takes 5 wrong codes.
 * - The second step passing ends the pending sign-in once (single use) and opens a fresh session.
 * - Someone without a second factor registers one during the pending sign-in (an authenticator
 *   app by its QR code), and gets ten recovery codes, shown once.
 * - A recovery code is 10 characters of an alphabet without look-alikes (50 bits), stored only as
 *   an HMAC, each works once; a new set voids the old one.
 */
export const CONSOLE_PENDING_MS = 10 * 60_000;
/** Wrong second-step entries one pending sign-in takes; then the password is asked again. */
export const CONSOLE_FACTOR_MAX_ATTEMPTS = 5;
export const RECOVERY_CODE_COUNT = 10;
/** Crockford-like base32 without I, L, O, U: nothing to confuse when read from paper. */
export const RECOVERY_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const RECOVERY_CODE_LENGTH = 10;

export type ConsoleOwnerKind = 'account' | 'operator';

/** Whether an account's sign-in needs the second step: every administrator's does. */
export function needsConsoleFactor(role: Role): boolean {
  return isAdminRole(role);
}

/** A pending console sign-in is usable strictly before `createdAt + CONSOLE_PENDING_MS`. */
export function isPendingLive(p: { readonly expiresAt: number; readonly doneAt: number | null }, now: number): boolean {
  return p.doneAt === null && now < p.expiresAt;
}

/** A recovery code from random indexes into the alphabet (`RECOVERY_CODE_LENGTH` numbers below 32). */
export function recoveryCodeOf(indexes: readonly number[]): string {
  if (indexes.length !== RECOVERY_CODE_LENGTH) throw new Error('recovery code: wrong length');
  return indexes.map((i) => RECOVERY_CODE_ALPHABET[i]!).join('');
}

/** As printed: two groups of five (`ABCDE-12345`). */
export function formatRecoveryCode(code: string): string {
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/**
 * A typed recovery code, normalised: NFKC, upper case, spaces and dashes dropped, and the
 * look-alikes read as what they look like (O → 0, I and L → 1). Null when it cannot be one.
 */
export function normalizeRecoveryCode(input: string): string | null {
  const v = input.normalize('NFKC').toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (v.length !== RECOVERY_CODE_LENGTH) return null;
  for (const c of v) if (!RECOVERY_CODE_ALPHABET.includes(c)) return null;
  return v;
}

/** What the second step accepts, as the page offers it. */
export type SecondStepKind = 'authenticator' | 'passkey' | 'recovery_code';
