import type { ConsoleOwnerKind } from '../core/console-factor.ts';

/**
 * Storage of the consoles' second factor (core/console-factor.ts): pending console sign-ins (a
 * password passed, the second step not yet), recovery codes (HMACs only), for accounts and
 * operators alike. Operators' authenticator apps use the `AuthenticatorRepo` contract over their
 * own table (`Repos.operatorAuthenticators`). Single use holds under races: `countAttempt`,
 * `finish` and `useRecoveryCode` are one conditional statement each.
 */
export interface ConsoleOwner {
  readonly kind: ConsoleOwnerKind;
  /** The account's or the operator's id. */
  readonly id: string;
}

export interface PendingConsoleSignin {
  /** HMAC of the pending sign-in's secret (the Keyring's, purpose `console-signin`); the secret is only in its cookie. */
  readonly idHash: string;
  readonly owner: ConsoleOwner;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Wrong second-step entries so far. */
  readonly attempts: number;
  /** When the second step passed (or the sign-in was abandoned), or null. */
  readonly doneAt: number | null;
}

export interface ConsoleFactorRepo {
  createPending(p: Omit<PendingConsoleSignin, 'attempts' | 'doneAt'>): Promise<void>;
  getPending(idHash: string): Promise<PendingConsoleSignin | null>;
  /** Counts one attempt if fewer than `max` were made and it is not done; the new count, or null. */
  countAttempt(idHash: string, max: number): Promise<number | null>;
  /** Ends a pending sign-in; true for exactly one caller. */
  finish(idHash: string, now: number): Promise<boolean>;

  /** Replaces the owner's recovery codes with these HMACs (the old set, used or not, is deleted). */
  replaceRecoveryCodes(owner: ConsoleOwner, hashes: readonly string[], now: number): Promise<void>;
  /** Marks the owner's unused code with this HMAC used; true for exactly one caller. */
  useRecoveryCode(owner: ConsoleOwner, codeHash: string, now: number): Promise<boolean>;
  /** How many of the owner's recovery codes are unused. */
  recoveryCodesLeft(owner: ConsoleOwner): Promise<number>;
  /** Deletes the owner's recovery codes (a second factor reset). */
  removeRecoveryCodes(owner: ConsoleOwner): Promise<void>;
}
