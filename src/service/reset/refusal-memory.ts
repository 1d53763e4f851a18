/**
 * Refusals of the shared limiter, remembered in this process until the time the limiter gave
 * (its `retryAfterMs`): until then the same key is refused here, without a database (or Redis)
 * round trip. A flood from one address then costs one shared check per window, not one per
 * request.
 *
 * Safe by construction: only a refusal the shared limiter itself gave is remembered, and only
 * until the end of the window it named. The limits are fixed windows whose counts only grow
 * until the window ends, so within that time the shared limiter would refuse the key again
 * (whatever any other instance did meanwhile). A refusal answered here is not counted in the
 * shared store; past the limit a count changes nothing before the window ends.
 * (test/service/refusal-memory.test.ts checks this against the real limiters.)
 *
 * Bounded: at most `capacity` keys; when full, the ended ones go first, then the oldest.
 */
export class RefusalMemory {
  readonly #until = new Map<string, number>();
  readonly #capacity: number;
  /** At most the earliest end remembered (a lower bound): while it lies ahead, nothing has ended and no scan is needed. */
  #earliest = Infinity;

  constructor(capacity = 10_000) {
    this.#capacity = Math.max(1, capacity);
  }

  /** How long the remembered refusal of `key` still holds at `now` (ms), 0 when none does. */
  refusedFor(key: string, now: number): number {
    const until = this.#until.get(key);
    if (until === undefined) return 0;
    if (until > now) return until - now;
    this.#until.delete(key);
    return 0;
  }

  /** Remembers that the shared limiter refused `key` at `now` for `retryAfterMs`. */
  remember(key: string, now: number, retryAfterMs: number): void {
    if (!(retryAfterMs > 0)) return;
    this.#until.delete(key);
    if (this.#until.size >= this.#capacity) {
      // full during a flood of many addresses: scan for ended refusals only when one may have ended
      if (this.#earliest <= now) {
        this.#earliest = Infinity;
        for (const [k, until] of this.#until)
          if (until <= now) this.#until.delete(k);
          else this.#earliest = Math.min(this.#earliest, until);
      }
      const oldest = this.#until.keys().next();
      if (this.#until.size >= this.#capacity && !oldest.done) this.#until.delete(oldest.value);
    }
    this.#until.set(key, now + retryAfterMs);
    this.#earliest = Math.min(this.#earliest, now + retryAfterMs);
  }

  /** Keys remembered now (ended ones included until they are looked up or pushed out). */
  get size(): number {
    return this.#until.size;
  }
}
