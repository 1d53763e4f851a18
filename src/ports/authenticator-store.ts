/**
 * Storage of authenticator apps (TOTP): per account at most one confirmed app and one pending
 * registration (waiting for its first code, bound to the session that started it). The secret is
 * stored sealed by the Keyring, never in the clear. Single use of a time step holds under races:
 * `acceptStep` and `confirm` are one conditional statement each (`last_step < step`).
 */
export interface AuthenticatorRecord {
  readonly id: string;
  readonly accountId: string;
  /** The base32 secret, sealed (`Keyring.seal`). */
  readonly secretSealed: string;
  /** HMAC of the session that started the registration (its `idHash`); only that session confirms it. */
  readonly sessionHash: string;
  readonly createdAt: number;
  /** Null while the registration waits for its first code. */
  readonly confirmedAt: number | null;
  /** Wrong codes typed for the registration (its first code). */
  readonly attempts: number;
  /** The time step of the last accepted code (RFC 6238's T), or null. */
  readonly lastStep: number | null;
}

export type NewAuthenticator = Pick<
  AuthenticatorRecord,
  'id' | 'accountId' | 'secretSealed' | 'sessionHash' | 'createdAt'
>;

export interface AuthenticatorRepo {
  /** Stores a pending registration; an earlier pending one of the account is deleted (its secret with it). */
  createPending(a: NewAuthenticator): Promise<void>;
  /** The account's pending (unconfirmed) registration, if any. */
  pending(accountId: string): Promise<AuthenticatorRecord | null>;
  /** The account's confirmed authenticator, if any. */
  confirmed(accountId: string): Promise<AuthenticatorRecord | null>;
  /** Counts one wrong-or-right attempt of a pending registration if fewer than `max` were made; the new count, or null. */
  countAttempt(id: string, max: number): Promise<number | null>;
  /** Confirms a pending registration with the step of its first code; true for exactly one caller. */
  confirm(id: string, step: number, now: number): Promise<boolean>;
  /** Records `step` as used if it is later than the last accepted one; true for exactly one caller per step. */
  acceptStep(id: string, step: number): Promise<boolean>;
  /** Deletes the account's authenticator and any pending registration; true when a confirmed one was removed. */
  remove(accountId: string): Promise<boolean>;
}
