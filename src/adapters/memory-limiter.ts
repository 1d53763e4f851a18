import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { LimitDecision, Limiter } from '../ports/limiter.ts';

/**
 * Limits in this process's memory (rate-limiter-flexible), for the embedded single-instance
 * setup. Several instances share a Redis limiter instead (same port).
 */
export class MemoryLimiter implements Limiter {
  readonly #limiters = new Map<string, RateLimiterMemory>();

  // one process: the store is always reachable, so `failClosed` changes nothing here
  async consume(key: string, limit: number, windowMs: number): Promise<LimitDecision> {
    const id = `${limit}/${windowMs}`;
    let limiter = this.#limiters.get(id);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points: limit, duration: Math.max(1, Math.ceil(windowMs / 1000)) });
      this.#limiters.set(id, limiter);
    }
    try {
      await limiter.consume(key, 1);
      return { allowed: true, retryAfterMs: 0 };
    } catch (e) {
      if (e instanceof RateLimiterRes) return { allowed: false, retryAfterMs: e.msBeforeNext };
      throw e;
    }
  }
}
