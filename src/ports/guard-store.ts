/**
 * The per-account guards that are not flows: the attempt guard (failures and blocks), the record of
 * used CAPTCHA solutions, and the password history. Each is its own repository of `Repos`, written
 * in the transaction of the step that needs it.
 */

/**
 * The attempt guard: failures and blocks are kept per subject — an account id, or for a login that
 * matched no account the service's keyed hash of the login (`login:<hmac>`).
 */
export interface LockoutRepo {
  /**
   * Serialises the attempt guard of one subject until the transaction ends: parallel checks of the
   * account's codes, spread over several flows, then read the block and the failure count one after
   * another. Call it inside a transaction.
   */
  lockGuard(subject: string): Promise<void>;
  recordFailure(subject: string, now: number): Promise<void>;
  countFailures(subject: string, since: number): Promise<number>;
  /** Starts the subject's block at `now` (a block already recorded is restarted). */
  block(subject: string, now: number): Promise<void>;
  blockedAt(subject: string): Promise<number | null>;
  /**
   * What a reset start reads under the subject's guard, the same reads for every login: the
   * subject's block, and the code and link emails queued for `accountId` since `since` (its
   * sending limit; NO_ACCOUNT for a login without one). One statement on PostgreSQL.
   */
  startReads(
    subject: string,
    accountId: string,
    since: number,
  ): Promise<{ blockedAt: number | null; codeEmails: number }>;
  /** Clears failures and any block (after a successful reset, or an admin's unblock). */
  clearGuard(subject: string): Promise<void>;
}

export interface CaptchaRepo {
  /** Records a used CAPTCHA solution; false when it was used before. Expired ones are purged (PurgeService). */
  markUsed(signature: string, expiresAt: number): Promise<boolean>;
}

export interface PasswordHistoryRepo {
  add(accountId: string, hash: string, now: number): Promise<void>;
  /** The account's most recent password hashes, newest first. */
  recent(accountId: string, limit: number): Promise<string[]>;
}
