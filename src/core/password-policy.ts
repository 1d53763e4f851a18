import { createRequire } from 'node:module';
import { err, ok, type Result } from './result.ts';

/**
 * New-password rules (NIST SP 800-63B-4, OWASP ASVS 6.2): a minimum length (15 by default, a
 * tenant may lower it to 8), at most 256 characters, Unicode NFKC, no composition rules; refused
 * when it is a commonly used password, when it contains the person's own identifiers, or when it
 * is one character or a short pattern repeated.
 */
export const PASSWORD_MAX_LENGTH = 256;
export const PASSWORD_MIN_LENGTH_DEFAULT = 15;
export const PASSWORD_MIN_LENGTH_FLOOR = 8;
export const PASSWORD_MIN_LENGTH_CEILING = 64;

/**
 * How many earlier passwords a new one may not repeat, besides the current one: one number for
 * every path that sets a password (self-service, assisted link, temporary, signed-in, CLI).
 */
export const PASSWORD_HISTORY_LENGTH = 5;

/** What a guesser knows about a person: the words every path checks a new password against. */
export interface PersonalFacts {
  readonly login: string;
  readonly displayName: string;
  /** The tenant's name, when the account has one. */
  readonly tenantName: string | null;
  /** Every email address on record for the account (verified or not: a guesser may know both). */
  readonly emails: readonly string[];
}

/** The one list of context words (`PasswordContext.personal`) built from a person's facts. */
export function personalWords(facts: PersonalFacts): string[] {
  return [facts.login, facts.displayName, ...(facts.tenantName !== null ? [facts.tenantName] : []), ...facts.emails];
}

export type PasswordProblem =
  | 'password_too_short'
  | 'password_too_long'
  | 'password_common'
  | 'password_personal'
  | 'password_repetitive';

export interface PasswordContext {
  readonly minLength: number;
  /** Login, display name, tenant name, email addresses: anything a guesser knows about the person. */
  readonly personal: readonly string[];
}

let common: ReadonlySet<string> | undefined;

/**
 * The list of common passwords (zxcvbn's, ~50,000 entries), loaded on first use and kept: loading it
 * costs a few hundred milliseconds that a process which never checks a password should not pay.
 */
function commonPasswords(): ReadonlySet<string> {
  if (common === undefined) {
    const { dictionary } = createRequire(import.meta.url)('@zxcvbn-ts/language-common') as {
      dictionary: { readonly 'passwords-common': readonly string[] };
    };
    common = new Set(dictionary['passwords-common'].map((p) => p.normalize('NFKC').toLowerCase()));
  }
  return common;
}

/** Characters counted as the person sees them (code points, not UTF-16 units). */
export function passwordLength(password: string): number {
  return [...password.normalize('NFKC')].length;
}

export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

export function checkPassword(password: string, ctx: PasswordContext): Result<string, PasswordProblem> {
  const value = normalizePassword(password);
  const length = [...value].length;
  if (length < ctx.minLength) {
    return err('password_too_short', `Use at least ${ctx.minLength} characters; a few unrelated words work well.`);
  }
  if (length > PASSWORD_MAX_LENGTH) return err('password_too_long', `Use at most ${PASSWORD_MAX_LENGTH} characters.`);
  const lower = value.toLowerCase();
  if (isCommon(lower)) return err('password_common', 'This password is on a list of commonly used passwords.');
  if (isRepetitive(lower)) return err('password_repetitive', 'Avoid repeating the same characters or pattern.');
  for (const raw of personalTokens(ctx.personal)) {
    if (lower.includes(raw)) return err('password_personal', 'Do not use your name, user ID, email or company name.');
  }
  return ok(value);
}

function isCommon(lower: string): boolean {
  const list = commonPasswords();
  if (list.has(lower)) return true;
  // "password1234567!" is as weak as "password": strip trailing digits and symbols, then look again.
  const stem = lower.replace(/[\d\W_]+$/u, '');
  if (stem.length >= 4 && list.has(stem)) return true;
  // a common password repeated ("qwertyqwertyqwerty")
  for (let size = 3; size <= lower.length / 2; size++) {
    const unit = lower.slice(0, size);
    if (list.has(unit) && unit.repeat(Math.ceil(lower.length / size)).startsWith(lower)) return true;
  }
  return false;
}

const SEQUENCES = [
  'abcdefghijklmnopqrstuvwxyz',
  '01234567890',
  'qwertyuiopasdfghjklzxcvbnm',
  '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p',
];

/** Whether `b` follows `a` (or precedes it) in the alphabet, the digits or a keyboard walk. */
function isStep(a: string, b: string): boolean {
  return SEQUENCES.some((seq) => {
    const i = seq.indexOf(a);
    return i >= 0 && (seq[i + 1] === b || seq[i - 1] === b);
  });
}

function isRepetitive(lower: string): boolean {
  const chars = [...lower];
  if (new Set(chars).size <= 2) return true;
  // "123456789012345", "abcdefghijklmnop", "qwertyuiopasdfgh": mostly one walk along a row
  let steps = 0;
  for (let i = 1; i < chars.length; i++) if (isStep(chars[i - 1]!, chars[i]!)) steps++;
  if (steps >= (chars.length - 1) * 0.75) return true;
  for (let size = 1; size <= 4; size++) {
    const unit = chars.slice(0, size).join('');
    if (unit.repeat(Math.ceil(chars.length / size)).startsWith(lower)) return true;
  }
  return false;
}

/** Splits identifiers into the pieces a person might reuse: `ada.lovelace@example.com` → ada, lovelace, example. */
function personalTokens(values: readonly string[]): string[] {
  const tokens = new Set<string>();
  for (const v of values) {
    const lower = v.normalize('NFKC').toLowerCase();
    const local = lower.includes('@') ? lower.slice(0, lower.lastIndexOf('@')) : lower;
    if (local.length >= 4) tokens.add(local);
    for (const part of lower.split(/[^\p{L}\p{N}]+/u)) {
      if (part.length >= 4 && !['com', 'org', 'net', 'mail'].includes(part)) tokens.add(part);
    }
  }
  return [...tokens];
}
