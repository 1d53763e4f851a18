import type { LimitRepo } from './limit-store.ts';

/** Fixed-window counters for sending and request limits (memory in one process; Redis when scaled out). */
export interface LimitDecision {
  readonly allowed: boolean;
  /** When refused: how long until the window frees a slot. */
  readonly retryAfterMs: number;
  /**
   * Set (with `allowed: false`) only for a `failClosed` check whose shared store could not be
   * reached: nothing was counted, and the caller should answer "try again later".
   */
  readonly unavailable?: boolean;
  /**
   * Set when the shared store (Redis) could not be reached and this process's tighter fallback
   * counted and decided instead: the decision holds for this process only (a refusal must not be
   * remembered as the shared limiter's, `RefusalMemory`).
   */
  readonly local?: boolean;
}

export interface LimitOptions {
  /**
   * What to do when the shared store (Redis) cannot be reached. Default (false): count in this
   * process only, with tighter limits, so the request can go on. True: refuse with
   * `unavailable` — for checks where guessing must never become unlimited (code verification).
   */
  readonly failClosed?: boolean;
  /**
   * The repos of the transaction this check belongs to: a limiter that keeps its counts in that
   * store counts inside it (one commit for the step and its count); others ignore it.
   */
  readonly within?: { readonly limits: LimitRepo };
}

/**
 * - `ok`: the limits are shared as configured;
 * - `degraded`: the shared store (Redis) does not answer: limits are counted per process with the
 *   tighter fallback, and `failClosed` checks (code verification) refuse until it is back.
 */
export type LimiterStatus = 'ok' | 'degraded';

export interface Limiter {
  /** Counts one event for `key`; refuses once `limit` events happened within `windowMs`. */
  consume(key: string, limit: number, windowMs: number, options?: LimitOptions): Promise<LimitDecision>;
  /** Whether the limiter's own shared store answers (absent: it has none besides the database). */
  health?(): Promise<LimiterStatus>;
}
