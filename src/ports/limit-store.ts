/** A counter row of a rate limit kept in the database (the embedded limiter; Redis when scaled out). */
export interface LimitCounter {
  readonly points: number;
  /** End of the window in ms since the epoch; null: no expiry. */
  readonly expire: number | null;
}

export interface LimitRepo {
  /**
   * Adds `points` to `key` in one atomic statement and returns the row after: a window that has
   * ended (`expire <= now`) starts again with `points` and `now + windowMs`; `reset` starts it
   * again regardless.
   */
  add(key: string, points: number, windowMs: number, now: number, reset: boolean): Promise<LimitCounter>;
  /** The live counter of `key`, or null when there is none (or its window ended). */
  get(key: string, now: number): Promise<LimitCounter | null>;
  delete(key: string): Promise<boolean>;
}
