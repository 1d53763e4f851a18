import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { LimitDecision, LimitOptions, Limiter, LimiterStatus } from '../ports/limiter.ts';
import type { Logger } from '../ports/logger.ts';

export interface RedisLimiterOptions {
  /** `redis://[:password@]host:6379[/db]` or `rediss://…` */
  readonly url: string;
  /** Prefix of every key (several deployments or test runs can share one Redis). Default `sspr`. */
  readonly keyPrefix?: string;
  /**
   * Share of each limit the in-process fallback allows while Redis is unreachable (default 0.5,
   * at least 1 event): every instance counts on its own then, so the fallback is kept tighter.
   */
  readonly fallbackShare?: number;
  /** A Redis command that takes longer than this counts as Redis being down (default 1000 ms). */
  readonly commandTimeoutMs?: number;
  readonly log?: Logger;
}

interface Pair {
  /** Falls back to the in-process `insuranceLimiter` when Redis fails. */
  readonly insured: RateLimiterRedis;
  /** No fallback: a Redis failure rejects with an Error (fail closed). */
  readonly strict: RateLimiterRedis;
}

/**
 * Limits shared by every instance, in Redis (rate-limiter-flexible's `RateLimiterRedis`: one Lua
 * script per event, atomic across instances). When Redis cannot be reached (refused, not ready,
 * or slower than `commandTimeoutMs`), an ordinary check counts in this process's memory with a
 * tighter limit (rate-limiter-flexible's `insuranceLimiter`), while a `failClosed` check refuses
 * with `unavailable`. ioredis reconnects on its own (backoff up to 2 s), so both recover without
 * anyone's help once Redis is back.
 */
export class RedisLimiter implements Limiter {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #share: number;
  readonly #log: Logger | undefined;
  readonly #pairs = new Map<string, Pair>();
  /** Settles when the first connection is ready or failed (or after the connect timeout). */
  readonly #firstConnection: Promise<void>;
  #down = false;

  /**
   * The limiter on the Redis at `options.url`. ioredis is loaded here, once, not when the service
   * starts: a deployment without Redis never holds it.
   */
  static async open(options: RedisLimiterOptions): Promise<RedisLimiter> {
    const { Redis } = await import('ioredis');
    return new RedisLimiter(options, Redis);
  }

  private constructor(options: RedisLimiterOptions, RedisClient: typeof Redis) {
    this.#prefix = options.keyPrefix ?? 'sspr';
    this.#share = Math.min(1, Math.max(0, options.fallbackShare ?? 0.5));
    this.#log = options.log;
    this.#redis = new RedisClient(options.url, {
      // fail at once while disconnected instead of queueing: the fallback (or 503) answers now
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 1_000,
      connectTimeout: 3_000,
      retryStrategy: (times) => Math.min(times * 100, 2_000),
    });
    // the first checks after start-up wait for the first connection instead of falling back at once
    this.#firstConnection = new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#redis.off('ready', done).off('error', done).off('end', done);
        resolve();
      };
      const timer = setTimeout(done, 3_000);
      timer.unref();
      this.#redis.once('ready', done).once('error', done).once('end', done);
    });
    this.#redis.on('error', (e: unknown) => this.#markDown(e));
    this.#redis.on('ready', () => {
      if (this.#down) this.#log?.info('redis is reachable again: shared limits apply');
      this.#down = false;
    });
  }

  async consume(key: string, limit: number, windowMs: number, options: LimitOptions = {}): Promise<LimitDecision> {
    await this.#firstConnection;
    const pair = this.#pair(limit, windowMs);
    try {
      const res = await (options.failClosed ? pair.strict : pair.insured).consume(key, 1);
      return { allowed: true, retryAfterMs: 0, ...(FROM_FALLBACK.has(res) ? { local: true } : {}) };
    } catch (e) {
      if (e instanceof RateLimiterRes)
        return { allowed: false, retryAfterMs: e.msBeforeNext, ...(FROM_FALLBACK.has(e) ? { local: true } : {}) };
      // only the strict limiter rejects with an Error: Redis failed and there is no fallback
      this.#markDown(e);
      return { allowed: false, retryAfterMs: 0, unavailable: true };
    }
  }

  /**
   * `degraded` while Redis is known to be unreachable (an error since the last ready) or does
   * not answer a PING within the command timeout; `ok` otherwise. For `/readyz` and the
   * `sspr_limiter_degraded` gauge: the instance keeps serving on the fallback meanwhile.
   */
  async health(): Promise<LimiterStatus> {
    if (this.#down) return 'degraded';
    return (await this.ping()) ? 'ok' : 'degraded';
  }

  /** Whether Redis answers a PING within the command timeout. */
  async ping(): Promise<boolean> {
    await this.#firstConnection;
    try {
      return (await this.#redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.#redis.status === 'ready') {
      try {
        await this.#redis.quit();
        return;
      } catch {
        // fall through: cut the connection
      }
    }
    this.#redis.disconnect();
  }

  #pair(limit: number, windowMs: number): Pair {
    const id = `${limit}/${windowMs}`;
    let pair = this.#pairs.get(id);
    if (pair) return pair;
    const duration = Math.max(1, Math.ceil(windowMs / 1000));
    const common = {
      storeClient: this.#redis,
      points: limit,
      duration,
      keyPrefix: `${this.#prefix}:rl:${id}`,
      rejectIfRedisNotReady: true,
    };
    pair = {
      insured: new RateLimiterRedis({
        ...common,
        insuranceLimiter: new FallbackLimiter({
          points: Math.max(1, Math.floor(limit * this.#share)),
          duration,
          keyPrefix: `fallback:${id}`,
        }),
      }),
      strict: new RateLimiterRedis(common),
    };
    this.#pairs.set(id, pair);
    return pair;
  }

  #markDown(e: unknown): void {
    if (this.#down) return;
    this.#down = true;
    const code = (e as { code?: unknown } | null)?.code;
    this.#log?.warn(
      { err: typeof code === 'string' ? code : e instanceof Error ? e.name : typeof e },
      'redis is unreachable: starting a reset uses tighter in-process limits, checking codes answers 503 until it is back',
    );
  }
}

/** The answers (allowed or refused) that the in-process fallback gave, not Redis. */
const FROM_FALLBACK = new WeakSet<object>();

/** The in-process fallback: marks its answers, so a decision says it holds for this process only. */
class FallbackLimiter extends RateLimiterMemory {
  override async consume(
    key: string | number,
    points?: number,
    options?: { [key: string]: unknown },
  ): Promise<RateLimiterRes> {
    try {
      const res = await super.consume(key, points, options);
      FROM_FALLBACK.add(res);
      return res;
    } catch (e) {
      if (e instanceof RateLimiterRes) FROM_FALLBACK.add(e);
      throw e;
    }
  }
}
