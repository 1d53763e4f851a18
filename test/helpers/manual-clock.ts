import type { Clock } from '../../src/ports/clock.ts';

/** 2023-11-14T22:13:20Z: the instant tests start from unless they set another. */
export const T0 = 1_700_000_000_000;

/**
 * A clock that moves only when the test moves it: pass it to `createApp` / `createTestApp` (option
 * `clock`) or to a service, then `advance()` past a lifetime, cooldown or window instead of
 * sleeping through it.
 */
export class ManualClock implements Clock {
  #t: number;

  constructor(start: number = T0) {
    this.#t = start;
  }

  now(): number {
    return this.#t;
  }

  /** Jumps to `t` (may go back: a clock that is set back). */
  set(t: number): void {
    this.#t = t;
  }

  advance(ms: number): void {
    this.#t += ms;
  }
}
