import type { Actor } from './admin-rules.ts';
import type { Account } from './directory-model.ts';

/**
 * The help desk's caller verification and the reverse check (issue 13 items 5 and 6), the one place
 * of their rules. Pure.
 *
 * - Before an admin, an operator or an API key sends a reset link, sets a temporary password,
 *   unblocks or unlocks an account, the caller proves to be that account's owner: sspr sends a
 *   one-time code to the account's registered methods (or the caller reads a code from their
 *   authenticator app) and the caller reads it back. The proof counts for that actor and that
 *   account for `CALLER_VERIFIED_MS` after it succeeded.
 * - Technical Support acting on an administrator also needs a second operator's approval: operator
 *   A asks, operator B (not A) approves, then A may act within `APPROVAL_VALID_MS`.
 * - The reverse check: the agent's console shows a phrase (8 digits) tied to agent, account and
 *   `CALL_CHECK_TTL_MS`; the person called types it on the public page /verify-call and sees who is
 *   calling. A phrase not confirmed within its lifetime is audited as an unconfirmed call.
 */

/** A code the caller reads back: valid 10 minutes, 5 tries, 6 digits (the reset code's shape). */
export const CALLER_CODE_TTL_MS = 10 * 60_000;
export const CALLER_CODE_MAX_ATTEMPTS = 5;
/** How long a successful verification unlocks the sensitive actions, for that actor and that account. */
export const CALLER_VERIFIED_MS = 10 * 60_000;
/** How long a second operator's approval lets the requesting operator act. */
export const APPROVAL_VALID_MS = 10 * 60_000;
/** The reverse check's phrase: its lifetime and its digits. */
export const CALL_CHECK_TTL_MS = 10 * 60_000;
export const CALL_CHECK_DIGITS = 8;
/**
 * The passkey way's ticket: digits the agent reads to the caller, who types them on the public
 * page /caller-passkey to sign with their passkey there. 12 digits (40 bits): with the page's
 * limit per client address a guess is hopeless, and a guessed ticket still needs the passkey.
 */
export const CALLER_TICKET_DIGITS = 12;

/**
 * How the caller proves it is them: `code` sends a one-time code to the account's verified email
 * and phone (their authenticator app's current code passes too); `authenticator` sends nothing and
 * only the app's current code passes; `passkey` gives the agent a ticket the caller opens on the
 * public page, where only an assertion of one of the account's passkeys passes.
 */
export const CALLER_WAYS = ['code', 'authenticator', 'passkey'] as const;
export type CallerWay = (typeof CALLER_WAYS)[number];

/** Whether a typed code may answer a verification started this way (never a passkey ticket's). */
export function acceptsTypedCode(way: CallerWay): boolean {
  return way !== 'passkey';
}

/** The help-desk actions that need a verified caller. */
export const SENSITIVE_ACTIONS = [
  'assisted_reset.link',
  'assisted_reset.temp_password',
  'unblock',
  'unlock',
  'second_factor.reset',
] as const;
export type SensitiveAction = (typeof SENSITIVE_ACTIONS)[number];

export function isSensitiveAction(action: string): action is SensitiveAction {
  return (SENSITIVE_ACTIONS as readonly string[]).includes(action);
}

/** Why a sensitive action may not go ahead yet; null when it may. */
export type CallerRefusal = 'caller_not_verified' | 'approval_required';

export interface CallerFacts {
  /** When this actor last verified the caller of this account (a confirmed code), or null. */
  readonly verifiedAt: number | null;
  /** When a second operator approved this operator's action on this account, or null. */
  readonly approvedAt: number | null;
  readonly now: number;
}

/** Whether a verification made at `verifiedAt` still holds at `now` (10 minutes, the end excluded). */
export function verificationHolds(verifiedAt: number | null, now: number): boolean {
  return verifiedAt !== null && verifiedAt <= now && now < verifiedAt + CALLER_VERIFIED_MS;
}

/** Technical Support acting on an administrator needs a second operator. */
export function needsSecondOperator(actor: Actor, target: Pick<Account, 'role'>): boolean {
  return actor.kind === 'operator' && (target.role === 'admin' || target.role === 'global_admin');
}

/** May `actor` take a sensitive action on `target` now? Verification first, then the approval. */
export function callerRefusal(actor: Actor, target: Pick<Account, 'role'>, f: CallerFacts): CallerRefusal | null {
  if (!verificationHolds(f.verifiedAt, f.now)) return 'caller_not_verified';
  if (needsSecondOperator(actor, target)) {
    if (f.approvedAt === null || f.approvedAt > f.now || f.now >= f.approvedAt + APPROVAL_VALID_MS)
      return 'approval_required';
  }
  return null;
}

/** May `approver` approve a request by `requester`? Never their own. */
export function canApprove(requester: string, approver: string): boolean {
  return requester !== approver;
}

/** What the console shows of a caller verification. */
export type VerificationState =
  | { readonly state: 'none' }
  | { readonly state: 'pending'; readonly expiresAt: number; readonly way: CallerWay }
  | { readonly state: 'verified'; readonly until: number }
  | { readonly state: 'expired' };

export function verificationState(
  latest: {
    readonly expiresAt: number;
    readonly verifiedAt: number | null;
    readonly failed: boolean;
    readonly way: CallerWay;
  } | null,
  now: number,
): VerificationState {
  if (!latest) return { state: 'none' };
  if (latest.verifiedAt !== null) {
    return verificationHolds(latest.verifiedAt, now)
      ? { state: 'verified', until: latest.verifiedAt + CALLER_VERIFIED_MS }
      : { state: 'expired' };
  }
  if (latest.failed || now >= latest.expiresAt) return { state: 'expired' };
  return { state: 'pending', expiresAt: latest.expiresAt, way: latest.way };
}

/**
 * A phrase (or, with `length`, a passkey ticket) as typed: digits only (spaces, dashes dropped);
 * null unless exactly `length` digits.
 */
export function normalizePhrase(input: string, length: number = CALL_CHECK_DIGITS): string | null {
  const digits = input.normalize('NFKC').replace(/[\s-]/g, '');
  return new RegExp(`^\\d{${length}}$`).test(digits) ? digits : null;
}

/** Digits as the console shows them, in fours: `48210937` is `4821 0937`. */
export function groupedPhrase(digits: string): string {
  return digits.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** Whether a reverse check is still open for confirmation. */
export function callCheckOpen(c: { readonly expiresAt: number; readonly confirmedAt: number | null }, now: number) {
  return c.confirmedAt === null && now < c.expiresAt;
}
