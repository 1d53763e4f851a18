import type { BackoffPolicy } from '../core/outbox-policy.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Logger } from '../ports/logger.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { Mailer, SmsSender } from '../ports/messaging.ts';
import type { Random } from '../ports/random.ts';
import type { Store } from '../ports/store.ts';
import { deliverBatch, type BatchDeps, type BatchResult, type Claimed, type NextClaim } from './outbox-batch.ts';
import { errorSummary } from './outbox-reasons.ts';
import { TenantMailCache } from './outbox-tenant-mail.ts';

export interface OutboxWorkerOptions {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly mailer: Mailer;
  readonly sms: SmsSender | null;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Logger;
  readonly policy: BackoffPolicy;
  /** Fallback poll interval; the worker is also woken right after each commit. */
  readonly pollMs: number;
  /** How long a claim lasts before another worker may take the message over. */
  readonly claimMs: number;
  /** Unique per process; claims are made in this name. */
  readonly workerId: string;
  /** Sends in flight at once (default 8). */
  readonly concurrency?: number;
  /** Messages claimed per round (default 4 × concurrency). */
  readonly batchSize?: number;
  /** Counts each finished attempt and the message's age (optional: nothing is counted without it). */
  readonly metrics?: Pick<Metrics, 'messageDone'>;
  /**
   * SSPR_PUBLIC_URL: a tenant with its own address (look `host`) gets its emails' links moved
   * from this to `https://<host>` (core `linksOnTenantHost`). Absent: links stay as queued.
   */
  readonly publicUrl?: string;
}

const RELAXED = { durability: 'relaxed' } as const;

/**
 * What the rest of sspr sees of outbox delivery: the worker itself (OutboxWorker, on the thread
 * that answers requests) or a proxy of one running on a thread of its own
 * (src/adapters/outbox-thread.ts).
 */
export interface OutboxDelivery {
  readonly workerId: string;
  /** Starts delivering (idempotent). */
  start(): void;
  /** Delivers soon (coalesced): call right after committing a transaction that enqueued a message. */
  wake(): void;
  /** One round now; how many messages it handled. */
  runOnce(): Promise<number>;
  /** Resolves once nothing is in hand (no round running or about to run). */
  idle(): Promise<void>;
  /** Whether anything is in hand now (a gauge at /metrics). */
  readonly busy: boolean;
  /** Stops: waits for the sends in flight, gives back the claims still held. */
  stop(): Promise<void>;
  /** Messages waiting to be sent (counted up to 1000). */
  pending(): Promise<number>;
}

/** Sends at once per instance (default). */
export const OUTBOX_DEFAULT_CONCURRENCY = 8;
/**
 * Messages claimed per round by default (4 × the sends at once): their outcomes are recorded
 * together, so a crash between the sends and that record sends at most this many again.
 */
export const OUTBOX_DEFAULT_BATCH = OUTBOX_DEFAULT_CONCURRENCY * 4;

/**
 * Delivers what the transactional outbox holds. It claims due messages in batches (one
 * statement), opens the sealed content, drops what is too old to be useful (a code past its
 * lifetime is never sent late) or whose code is no longer the one to use, sends the rest and
 * records the batch's outcomes with their audit events (outbox-batch.ts). Between batches it
 * yields to the event loop, so a long backlog never holds requests back. A transport that throws
 * counts as a retryable failure; one bad row never stops the loop. Logs and audit events name
 * the message, channel, template, attempt and outcome — never the recipient or the content.
 */
export class OutboxWorker implements OutboxDelivery {
  readonly #o: OutboxWorkerOptions;
  readonly #concurrency: number;
  readonly #batchSize: number;
  #started = false;
  #stopping = false;
  #timer: NodeJS.Timeout | null = null;
  /** The drive loop currently running, if any. */
  #loop: Promise<void> | null = null;
  /** Set by wake() while the loop runs: go round once more before sleeping. */
  #again = false;
  /** Every runOnce() in progress (the loop's and direct calls'). */
  readonly #runs = new Set<Promise<unknown>>();
  /** A round is scheduled to run at once (start, wake-up, or more was due). */
  #immediate = false;
  /** Callers of idle() waiting for the worker to have nothing in hand. */
  #idleWaiters: (() => void)[] = [];
  /** What a batch needs (outbox-batch.ts), tenants' sender names and looks cached there. */
  readonly #batch: BatchDeps;

  constructor(options: OutboxWorkerOptions) {
    this.#o = options;
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? OUTBOX_DEFAULT_CONCURRENCY));
    this.#batchSize = Math.max(this.#concurrency, Math.floor(options.batchSize ?? this.#concurrency * 4));
    this.#batch = {
      ...options,
      tenantMail: new TenantMailCache(options.store, options.clock),
      concurrency: this.#concurrency,
      stopping: () => this.#stopping,
    };
  }

  get workerId(): string {
    return this.#o.workerId;
  }

  /** Starts polling (and runs once right away). Idempotent. */
  start(): void {
    if (this.#started || this.#stopping) return;
    this.#started = true;
    this.#schedule(0);
  }

  /** Runs soon (coalesced): call right after committing a transaction that enqueued a message. */
  wake(): void {
    if (!this.#started || this.#stopping) return;
    if (this.#loop) {
      this.#again = true;
      return;
    }
    this.#schedule(0);
  }

  /**
   * Claims the messages that are due and processes them, at most `concurrency` at a time.
   * Returns how many it handled (sent, retried, failed or expired).
   */
  async runOnce(): Promise<number> {
    return (await this.#tracked(null, false)).handled;
  }

  /** A round (#round), counted among the runs in progress until it ends. */
  #tracked(carried: Claimed | null, claimNext: boolean): Promise<BatchResult> {
    const run = this.#round(carried, claimNext);
    this.#runs.add(run);
    const forget = (): void => {
      this.#runs.delete(run);
      this.#settle();
    };
    run.then(forget, forget);
    return run;
  }

  /**
   * Resolves once the worker has nothing in hand: no round running or about to run at once (after
   * start() or wake()), no runOnce() in flight. Everything that was due has then been handled;
   * what is left waits for a later time (a retry) or a new wake-up. Lets a caller (a test, a
   * shutdown report) know that nothing more goes out now, without waiting a fixed time.
   */
  idle(): Promise<void> {
    if (!this.#busy()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Whether the worker has anything in hand now (what idle() waits out); exported as a gauge at /metrics. */
  get busy(): boolean {
    return this.#busy();
  }

  #busy(): boolean {
    return this.#loop !== null || this.#runs.size > 0 || this.#immediate;
  }

  #settle(): void {
    if (this.#busy()) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  /** Stops polling, waits for the sends in flight, then gives back the claims it still holds. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#immediate = false;
    if (this.#loop) await this.#loop;
    await Promise.allSettled([...this.#runs]);
    this.#settle();
    try {
      const released = await this.#o.store.outbox.release(this.#o.workerId);
      if (released > 0) this.#o.log.info({ released }, 'outbox worker released its claims');
    } catch (e) {
      this.#o.log.error({ err: errorSummary(e) }, 'outbox worker could not release its claims');
    }
  }

  /**
   * Messages waiting to be sent (pending), for health and metrics: counted up to 1000 ("1000 or
   * more") without loading any of them.
   */
  async pending(): Promise<number> {
    return (await this.#o.store.outbox.backlog()).pending;
  }

  #schedule(delayMs: number): void {
    if (this.#stopping) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#immediate = delayMs <= 0;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#immediate = false;
        this.#loop = this.#drive().finally(() => {
          this.#loop = null;
          this.#settle();
        });
      },
      Math.max(0, delayMs),
    );
    // the worker never keeps a process alive on its own: the HTTP server (or the CLI) does
    this.#timer.unref();
  }

  /**
   * One wake-up: run until nothing is due (or woken again), then sleep until the next due time or
   * the poll. While it goes round again, each round's outcomes and the next round's claim share one
   * transaction (`#claimNext`); a round that claimed nothing ends the loop unless woken meanwhile.
   */
  async #drive(): Promise<void> {
    let nextDelay = this.#o.pollMs;
    try {
      let carried: Claimed | null = null;
      for (;;) {
        // a carried claim reset the wake-up flag when it was made (#claimNext)
        if (carried === null) this.#again = false;
        const { handled, next } = await this.#tracked(carried, true);
        carried = next !== null && next.messages.length > 0 ? next : null;
        // stopping: a claim carried over is given back by stop()
        if (this.#stopping) return;
        // a next claim that came back empty saw everything queued before it
        const more = next !== null ? carried !== null : handled >= this.#batchSize;
        if (!more && !this.#again) break;
        // let requests that arrived meanwhile run before the next batch (the claims, sends and
        // records of a batch resolve as microtasks and I/O; a backlog must not keep them waiting)
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const due = await this.#o.store.outbox.nextDueAt();
      if (due !== null) nextDelay = Math.min(nextDelay, due - this.#o.clock.now());
    } catch (e) {
      this.#o.log.error({ err: errorSummary(e) }, 'outbox worker round failed; will try again at the next poll');
    }
    if (this.#again) nextDelay = 0;
    this.#schedule(nextDelay);
  }

  /**
   * One round: the batch `carried` over from the previous round's record, or one claimed now;
   * its sends; its outcomes, with the next batch claimed in the same transaction when `claimNext`
   * and the worker is to go round again.
   */
  async #round(carried: Claimed | null, claimNext: boolean): Promise<BatchResult> {
    const none: BatchResult = { handled: 0, next: null };
    if (this.#stopping) return none;
    const { store, workerId, claimMs } = this.#o;
    let batch = carried;
    if (batch === null) {
      const now = this.#o.clock.now();
      // relaxed: a claim or an outcome that a power loss undoes only makes a message go out again
      const messages = await store.transaction(
        (tx) => tx.outbox.claimDue(workerId, now, now + claimMs, this.#batchSize),
        RELAXED,
      );
      batch = { messages, at: now };
    }
    const claimed = batch.messages;
    if (claimed.length === 0) return none;
    // A send starts only while at least half of the claim is left (keep claimMs ≥ 2 × a transport's
    // time limit): a backlog never outlives its claim, so no other worker takes over a message
    // that is still being sent. What is left over lapses and is claimed again.
    try {
      const next = claimNext ? () => this.#claimNext(claimed.length) : undefined;
      return await deliverBatch(this.#batch, claimed, batch.at + claimMs / 2, next);
    } catch (e) {
      // infrastructure trouble (the database): the claims lapse and the messages are tried again later
      this.#o.log.error(
        { messages: claimed.length, err: errorSummary(e) },
        'outbox batch could not be processed; its claims will lapse',
      );
      return none;
    }
  }

  /**
   * Asked as a round's outcomes are about to be recorded: the next batch to claim in the same
   * transaction, when the loop will go round again (woken meanwhile, or the batch was full).
   * Taking that claim stands for the wake-ups so far: a later one makes another round.
   */
  #claimNext(claimed: number): NextClaim | null {
    if (this.#stopping || (!this.#again && claimed < this.#batchSize)) return null;
    this.#again = false;
    const now = this.#o.clock.now();
    return { now, claimUntil: now + this.#o.claimMs, limit: this.#batchSize };
  }
}
