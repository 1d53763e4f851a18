import type { MethodKind } from '../core/contact.ts';

/**
 * Storage of "My security info": a pending registration (a new or re-confirmed method waiting
 * for its code, bound to the session that started it), the cooling-off time of methods that
 * replaced another one, and which sessions were already prompted to re-confirm. Attempt limits
 * and single use hold under races: `countAttempt` and `consume` are one conditional statement each.
 */
export type PendingPurpose = 'change' | 'reconfirm';

export interface PendingMethodRecord {
  readonly id: string;
  readonly accountId: string;
  /** HMAC of the session that started it (the session's `idHash`); only that session may confirm. */
  readonly sessionHash: string;
  readonly kind: MethodKind;
  /** The normalised value being registered (a contact address, not a secret). */
  readonly value: string;
  readonly purpose: PendingPurpose;
  /** HMAC of the current code; a resend replaces it. */
  readonly codeHash: string;
  readonly sentAt: number;
  readonly expiresAt: number;
  /** Wrong entries of the current code. */
  readonly attempts: number;
  /** Codes sent for this registration (first + resends). */
  readonly codesSent: number;
  readonly usedAt: number | null;
  readonly supersededAt: number | null;
  readonly createdAt: number;
}

export type NewPendingMethod = Omit<PendingMethodRecord, 'attempts' | 'codesSent' | 'usedAt' | 'supersededAt'>;

export interface SecurityInfoRepo {
  /** Stores a new pending registration and supersedes every earlier live one of the account for that kind. */
  createPending(p: NewPendingMethod): Promise<void>;
  /** The newest live (not used, not superseded) pending registration of the account for a kind, from any session. */
  livePending(accountId: string, kind: MethodKind): Promise<PendingMethodRecord | null>;
  /**
   * Replaces the code of a live pending registration (a resend: attempts back to 0, codes_sent + 1),
   * only if it still has `codesSent` codes (a parallel resend loses); true when it applied.
   */
  reissueCode(id: string, codesSent: number, codeHash: string, sentAt: number, expiresAt: number): Promise<boolean>;
  /** Counts one attempt if fewer than `max` were made and the registration is live; the new count, or null. */
  countAttempt(id: string, max: number): Promise<number | null>;
  /** Marks it used; true for exactly one caller. */
  consume(id: string, now: number): Promise<boolean>;
  /** Supersedes every live pending registration of the account (all kinds when `kind` is omitted). */
  endPending(accountId: string, now: number, kind?: MethodKind): Promise<void>;

  /** Sets when the account's method of `kind` may be used for a reset (null: at once). No-op without the method. */
  setUsableFrom(accountId: string, kind: MethodKind, usableFrom: number | null): Promise<void>;
  /** The `usable_from` of each of the account's methods that has one. */
  usableFrom(accountId: string): Promise<Partial<Record<MethodKind, number>>>;

  /** Records that this session was prompted to re-confirm; true the first time only. */
  markPrompted(sessionHash: string, accountId: string, now: number): Promise<boolean>;
  wasPrompted(sessionHash: string): Promise<boolean>;
}
