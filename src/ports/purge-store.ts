/**
 * Deleting what has expired, in small batches. Each batch is one short statement (its own
 * transaction), so the purge never holds locks for long and never blocks the reset flow.
 */
export type PurgeTarget =
  /** Reset flows created before `before` (their codes go with them). */
  | 'flows'
  /** Outbox messages that reached sent, failed or expired before `before` (pending ones are never touched). */
  | 'outbox'
  /** Sign-in sessions that expired before `before`. */
  | 'sessions'
  /** Failed verifications recorded before `before`. */
  | 'verification_failures'
  /** Self-service blocks that started before `before`. */
  | 'account_blocks'
  /** Used CAPTCHA solutions that expired before `before`. */
  | 'captcha_used'
  /** Rate-limit counters (embedded limiter) whose window ended before `before`. */
  | 'rate_limits'
  /** Technical Support sign-in sessions that expired before `before`. */
  | 'operator_sessions'
  /** Security-info registration codes that expired before `before`. */
  | 'security_info_pending';

export interface PurgeBatches {
  /** Deletes at most `limit` rows of `target` older than `before`; returns how many it deleted. */
  deleteBatch(target: PurgeTarget, before: number, limit: number): Promise<number>;
}

export interface PurgeRepo {
  /**
   * Runs `fn` while holding the purge lock (PostgreSQL: a session advisory lock, so one instance
   * purges at a time); `{ ran: false }` without running it when another instance holds the lock.
   */
  exclusive<T>(fn: (batches: PurgeBatches) => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }>;
}
