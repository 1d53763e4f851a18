import {
  delayedChannels,
  DELIVERY_DELAYED_AFTER_MS,
  type ChannelEvidence,
  type DeliveryChannel,
} from '../core/delivery-health.ts';
import type { Clock } from '../ports/clock.ts';
import type { DeliveryHealthRepo } from '../ports/delivery-health.ts';
import type { Logger } from '../ports/logger.ts';

export interface DeliveryHealthOptions {
  readonly repo: DeliveryHealthRepo;
  readonly clock: Clock;
  readonly log?: Logger;
  /** How often `start()` reads the outbox again (default 5 s). */
  readonly refreshMs?: number;
  /** A channel counts as delayed after failing this long (default 60 s). */
  readonly delayedAfterMs?: number;
}

/**
 * "Are messages delayed?" for every reset page, at no cost on the hot path: `delayed()` reads
 * what the last refresh found and evaluates the rule (core/delivery-health.ts) at the current
 * time; the outbox is read only by `refresh()`, which `start()` runs every few seconds in the
 * background. The evidence lives in the shared outbox table, so every instance agrees (within
 * the refresh interval). Until the first refresh, and when a refresh fails, nothing is delayed
 * as far as the pages know (the worker's logs and metrics tell the operator).
 */
export class DeliveryHealthService {
  readonly #o: DeliveryHealthOptions;
  #evidence: Record<DeliveryChannel, ChannelEvidence> | null = null;
  #inFlight: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #logged = false;

  constructor(options: DeliveryHealthOptions) {
    this.#o = options;
  }

  /** The channels delayed right now (none: an empty list). No I/O. */
  delayed(): DeliveryChannel[] {
    if (!this.#evidence) return [];
    return delayedChannels(this.#evidence, this.#o.clock.now(), this.#o.delayedAfterMs ?? DELIVERY_DELAYED_AFTER_MS);
  }

  /** Reads the outbox again (concurrent calls share one read). Never throws. */
  refresh(): Promise<void> {
    this.#inFlight ??= this.#read().finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  /**
   * Refreshes every `refreshMs`, the first time one interval from now: `serve` starts the
   * workers before it migrates, and a read of a database not migrated yet would only log a
   * warning (the migration refreshes at once instead). The timer never keeps the process alive.
   */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.refresh(), this.#o.refreshMs ?? 5_000);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a read in flight. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#inFlight;
  }

  async #read(): Promise<void> {
    try {
      this.#evidence = await this.#o.repo.evidence();
      this.#logged = false;
    } catch (e) {
      // the database is down: /readyz says so; keep the last answer rather than flapping
      if (!this.#logged) {
        this.#logged = true;
        this.#o.log?.warn({ err: e instanceof Error ? e.name : typeof e }, 'could not read delivery health');
      }
    }
  }
}
