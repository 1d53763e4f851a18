import { createRequire } from 'node:module';
import {
  RateLimiterMemory,
  RateLimiterRes,
  type RateLimiterStoreAbstract as StoreAbstract,
} from 'rate-limiter-flexible';
import type { LimitCounter, LimitRepo } from '../ports/limit-store.ts';
import type { LimitDecision, LimitOptions, Limiter } from '../ports/limiter.ts';
import type { Store } from '../ports/store.ts';
import type { Clock } from '../ports/clock.ts';
import { systemClock } from './system-clock.ts';

// The base class of rate-limiter-flexible's store limiters (Redis, PostgreSQL, SQLite…) is typed
// but not exported from the package's index (11.4): load it from its file.
const RateLimiterStoreAbstract = createRequire(import.meta.url)(
  'rate-limiter-flexible/lib/RateLimiterStoreAbstract.js',
) as typeof StoreAbstract;

type Run = <T>(fn: (limits: LimitRepo) => Promise<T>) => Promise<T>;

/**
 * rate-limiter-flexible's store limiter on our own database: each event is one atomic upsert in
 * the `rate_limits` table (see SqlLimitRepo), run through the store's connection, so it never
 * interleaves with a transaction that holds SQLite's only connection.
 */
class RateLimiterSqlStore extends RateLimiterStoreAbstract {
  readonly #run: Run;
  readonly #clock: Clock;

  constructor(
    options: { points: number; duration: number; keyPrefix: string; insuranceLimiter?: RateLimiterMemory },
    run: Run,
    clock: Clock,
  ) {
    super({ ...options, storeClient: run });
    this.#run = run;
    this.#clock = clock;
  }

  // the four hooks rate-limiter-flexible's store limiters implement (not in its type declarations)
  _upsert(
    key: string,
    points: number,
    msDuration: number,
    forceExpire = false,
    options: { within?: { readonly limits: LimitRepo } } = {},
  ): Promise<LimitCounter> {
    const add = (limits: LimitRepo) => limits.add(key, points, msDuration, this.#clock.now(), forceExpire);
    // inside the caller's transaction when it gave one (see LimitOptions.within)
    return options.within ? add(options.within.limits) : this.#run(add);
  }

  _get(key: string): Promise<LimitCounter | null> {
    return this.#run((limits) => limits.get(key, this.#clock.now()));
  }

  _delete(key: string): Promise<boolean> {
    return this.#run((limits) => limits.delete(key));
  }

  _getRateLimiterRes(_key: string, changedPoints: number, result: LimitCounter): RateLimiterRes {
    return new RateLimiterRes(
      Math.max(this.points - result.points, 0),
      result.expire === null ? -1 : Math.max(result.expire - this.#clock.now(), 0),
      result.points,
      changedPoints === result.points,
    );
  }
}

interface Pair {
  /** Falls back to a tighter in-process limiter when the database fails. */
  readonly insured: RateLimiterSqlStore;
  /** No fallback: a database failure means `unavailable` (fail closed). */
  readonly strict: RateLimiterSqlStore;
}

/**
 * Limits kept in the SQL store — the embedded default (SQLite), and PostgreSQL without Redis.
 * They survive a restart and are shared by every process on the same database. On SQLite each
 * event commits with relaxed durability (a power loss may forget the last counts).
 */
export class SqlLimiter implements Limiter {
  readonly #run: Run;
  readonly #pairs = new Map<string, Pair>();
  readonly #clock: Clock;

  /** `clock`: when windows start and end (the app's clock, so tests can move time). */
  constructor(store: Store, clock: Clock = systemClock) {
    this.#clock = clock;
    this.#run =
      store.dialect === 'sqlite'
        ? (fn) => store.transaction((tx) => fn(tx.limits), { durability: 'relaxed' })
        : (fn) => fn(store.limits); // one statement: atomic on its own, no extra round trips
  }

  async consume(key: string, limit: number, windowMs: number, options: LimitOptions = {}): Promise<LimitDecision> {
    const pair = this.#pair(limit, windowMs);
    try {
      await (options.failClosed ? pair.strict : pair.insured).consume(key, 1, { within: options.within });
      return { allowed: true, retryAfterMs: 0 };
    } catch (e) {
      if (e instanceof RateLimiterRes) return { allowed: false, retryAfterMs: e.msBeforeNext };
      // only the strict limiter rejects with an Error: the database failed and there is no fallback
      return { allowed: false, retryAfterMs: 0, unavailable: true };
    }
  }

  #pair(limit: number, windowMs: number): Pair {
    const id = `${limit}/${windowMs}`;
    let pair = this.#pairs.get(id);
    if (pair) return pair;
    const duration = Math.max(1, Math.ceil(windowMs / 1000));
    const common = { points: limit, duration, keyPrefix: `rl:${id}` };
    pair = {
      insured: new RateLimiterSqlStore(
        {
          ...common,
          insuranceLimiter: new RateLimiterMemory({
            points: Math.max(1, Math.floor(limit / 2)),
            duration,
            keyPrefix: `fallback:${id}`,
          }),
        },
        this.#run,
        this.#clock,
      ),
      strict: new RateLimiterSqlStore(common, this.#run, this.#clock),
    };
    this.#pairs.set(id, pair);
    return pair;
  }
}
