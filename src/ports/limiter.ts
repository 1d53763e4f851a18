/** Fixed-window counters for sending and request limits (memory in one process; Redis when scaled out). */
export interface LimitDecision {
  readonly allowed: boolean;
  /** When refused: how long until the window frees a slot. */
  readonly retryAfterMs: number;
}

export interface Limiter {
  /** Counts one event for `key`; refuses once `limit` events happened within `windowMs`. */
  consume(key: string, limit: number, windowMs: number): Promise<LimitDecision>;
}
