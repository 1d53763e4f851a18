import { brandEmail, emailLogo, linksOnTenantHost } from '../core/tenant-look.ts';
import {
  afterFailure,
  afterUnopenable,
  isDeliverable,
  type BackoffPolicy,
  type DeliveryFailure,
  type NextStep,
} from '../core/outbox-policy.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Logger } from '../ports/logger.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { DeliveryResult, Mailer, SmsSender } from '../ports/messaging.ts';
import type { Random } from '../ports/random.ts';
import type { OutboxMessage, Store } from '../ports/store.ts';
import { openPayload } from './message-queue.ts';
import { appendAudit } from './request-context.ts';
import { errorSummary, guard, scrub } from './outbox-reasons.ts';
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
  readonly metrics?: Metrics;
  /**
   * SSPR_PUBLIC_URL: a tenant with its own address (look `host`) gets its emails' links moved
   * from this to `https://<host>` (core `linksOnTenantHost`). Absent: links stay as queued.
   */
  readonly publicUrl?: string;
}

/**
 * `superseded`: a code message whose code is no longer the one to use (a newer code was sent, it
 * was used, or its flow ended) — dropped like an expired one (status `expired`, audit
 * `message.expired` with outcome `superseded`). `deferred`: this instance cannot open the
 * message (sealed under a key it does not hold): left for an instance that can, its tries not
 * counted, no audit event.
 */
type Outcome = 'sent' | 'retry' | 'failed' | 'expired' | 'superseded' | 'deferred' | 'lost';

const RELAXED = { durability: 'relaxed' } as const;

/**
 * Delivers what the transactional outbox holds. It claims due messages, opens the sealed
 * content, drops what is too old to be useful (a code past its lifetime is never sent late),
 * sends the rest and records the outcome together with an audit event. A transport that throws
 * counts as a retryable failure; one bad row never stops the loop. Logs and audit events name
 * the message, channel, template, attempt and outcome — never the recipient or the content.
 */
export class OutboxWorker {
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
  readonly #runs = new Set<Promise<number>>();
  /** A round is scheduled to run at once (start, wake-up, or more was due). */
  #immediate = false;
  /** Callers of idle() waiting for the worker to have nothing in hand. */
  #idleWaiters: (() => void)[] = [];
  /** Tenants' sender names and looks, read at most once a minute per tenant. */
  readonly #tenantMail: TenantMailCache;

  constructor(options: OutboxWorkerOptions) {
    this.#o = options;
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
    this.#batchSize = Math.max(this.#concurrency, Math.floor(options.batchSize ?? this.#concurrency * 4));
    this.#tenantMail = new TenantMailCache(options.store, options.clock);
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
  runOnce(): Promise<number> {
    const run = this.#runOnce();
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
   * Messages waiting to be sent (pending), for health and metrics. The port has no count, so this
   * counts one page of `list`: at most 1000 with the SQL store ("1000 or more").
   */
  async pending(): Promise<number> {
    const rows = await this.#o.store.outbox.list({ status: 'pending', limit: 1000 });
    return rows.length;
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

  /** One wake-up: run until nothing is due (or woken again), then sleep until the next due time or the poll. */
  async #drive(): Promise<void> {
    let nextDelay = this.#o.pollMs;
    try {
      for (;;) {
        this.#again = false;
        const handled = await this.runOnce();
        if (this.#stopping) return;
        if (handled < this.#batchSize && !this.#again) break;
      }
      const due = await this.#o.store.outbox.nextDueAt();
      if (due !== null) nextDelay = Math.min(nextDelay, due - this.#o.clock.now());
    } catch (e) {
      this.#o.log.error({ err: errorSummary(e) }, 'outbox worker round failed; will try again at the next poll');
    }
    if (this.#again) nextDelay = 0;
    this.#schedule(nextDelay);
  }

  async #runOnce(): Promise<number> {
    if (this.#stopping) return 0;
    const { store, workerId, claimMs } = this.#o;
    const now = this.#o.clock.now();
    // relaxed: a claim or an outcome that a power loss undoes only makes a message go out again
    const claimed = await store.transaction(
      (tx) => tx.outbox.claimDue(workerId, now, now + claimMs, this.#batchSize),
      RELAXED,
    );
    if (claimed.length === 0) return 0;
    let next = 0;
    let handled = 0;
    // A send starts only while at least half of the claim is left (keep claimMs ≥ 2 × a transport's
    // time limit): a backlog never outlives its claim, so no other worker takes over a message
    // that is still being sent. What is left over lapses and is claimed again.
    const sendBy = now + claimMs / 2;
    const lane = async (): Promise<void> => {
      while (next < claimed.length && !this.#stopping) {
        const message = claimed[next++] as OutboxMessage;
        if (this.#o.clock.now() > sendBy) continue;
        try {
          await this.#process(message);
          handled++;
        } catch (e) {
          // infrastructure trouble (the database): the claim lapses and the message is tried again later
          this.#o.log.error(
            { messageId: message.id, channel: message.channel, template: message.template, err: errorSummary(e) },
            'outbox message could not be processed',
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, claimed.length) }, lane));
    return handled;
  }

  async #process(m: OutboxMessage): Promise<Outcome> {
    const now = this.#o.clock.now();
    if (!isDeliverable(m.expiresAt, now)) return this.#finish(m, 'expired', m.attempts, null);
    // a code is delivered only while it is the one to use: never one a newer code replaced, one
    // already used, or one whose flow ended (completed, expired, ended by a new start)
    if (m.codeId !== null && !(await this.#o.store.outbox.codeIsCurrent(m.codeId, m.createdAt, now)))
      return this.#finish(m, 'superseded', m.attempts, 'the code was replaced, used, or its flow ended');

    if (m.recipientSealed === null || m.payloadSealed === null) {
      return this.#finish(m, 'failed', m.attempts, 'message content is missing');
    }
    let recipient: string;
    try {
      recipient = this.#o.keyring.open(m.recipientSealed);
    } catch {
      return this.#unopenable(m, now);
    }
    const payload = openPayload(this.#o.keyring, m.payloadSealed, m.channel);
    if (!payload) return this.#unopenable(m, now);

    const attempt = m.attempts + 1;
    let result: DeliveryResult;
    if (payload.channel === 'sms') {
      const sms = this.#o.sms;
      if (!sms) return this.#finish(m, 'failed', attempt, 'SMS is not configured');
      result = await guard(() => sms.send({ to: recipient, body: payload.body }));
    } else {
      const { fromName, look, logo, host } = await this.#tenantMail.get(m.tenantId);
      const shown = logo ? emailLogo(logo) : null;
      const linked = this.#o.publicUrl ? linksOnTenantHost(payload, this.#o.publicUrl, host) : payload;
      const { subject, text, html } = brandEmail(linked, look, shown);
      // the logo travels inside the message (cid:), only when the HTML part shows it
      const inlineImages =
        logo && shown && html.includes(`cid:${shown.cid}`)
          ? [{ cid: shown.cid, contentType: 'image/png' as const, content: logo.png, filename: 'logo.png' }]
          : [];
      result = await guard(() => this.#o.mailer.send({ to: recipient, subject, text, html, fromName, inlineImages }));
    }

    if (result.ok) return this.#finish(m, 'sent', attempt, null, result.providerId);
    const failure: DeliveryFailure = { retryable: result.retryable, reason: scrub(result.reason, recipient) };
    const after = this.#o.clock.now();
    const step = afterFailure(this.#o.policy, attempt, failure, after, m, this.#o.random.unit());
    return this.#step(m, step, attempt, failure.reason, 'retry');
  }

  /**
   * Sealed under a key this instance does not hold (a rolling key rotation in progress): back to
   * pending for an instance that holds it, the try not counted; it ends only past its horizon.
   */
  #unopenable(m: OutboxMessage, now: number): Promise<Outcome> {
    const step = afterUnopenable(this.#o.policy, now, m, this.#o.random.unit());
    return this.#step(m, step, m.attempts, "message content cannot be opened with this instance's keys", 'deferred');
  }

  #step(
    m: OutboxMessage,
    step: NextStep,
    attempts: number,
    reason: string,
    retry: 'retry' | 'deferred',
  ): Promise<Outcome> {
    switch (step.kind) {
      case 'retry':
        return this.#finish(m, retry, attempts, reason, null, step.at);
      case 'fail':
        return this.#finish(m, 'failed', attempts, step.reason);
      case 'expire':
        return this.#finish(m, 'expired', attempts, reason);
    }
  }

  /** Records the outcome (only while the claim is still ours) and its audit event in one transaction. */
  async #finish(
    m: OutboxMessage,
    outcome: Exclude<Outcome, 'lost'>,
    attempts: number,
    reason: string | null,
    providerId: string | null = null,
    retryAt = 0,
  ): Promise<Outcome> {
    const { store, workerId, clock, log } = this.#o;
    const now = clock.now();
    const applied = await store.transaction(async (tx) => {
      let done: boolean;
      switch (outcome) {
        case 'sent':
          done = await tx.outbox.markSent(m.id, workerId, now);
          break;
        case 'retry':
        case 'deferred':
          done = await tx.outbox.markRetry(m.id, workerId, attempts, retryAt, reason ?? 'unknown');
          break;
        case 'failed':
          done = await tx.outbox.markFailed(m.id, workerId, attempts, reason ?? 'unknown', now);
          break;
        case 'expired':
        case 'superseded':
          done = await tx.outbox.markExpired(m.id, workerId, now);
          break;
      }
      if (!done) return false;
      // a deferral is not an attempt: no audit event (it may repeat until an instance with the key takes it)
      if (outcome === 'deferred') return true;
      const details: Record<string, string | number | boolean | null> = {
        messageId: m.id,
        channel: m.channel,
        template: m.template,
        attempts,
        reason,
      };
      if (outcome === 'sent') details.providerId = providerId;
      if (outcome === 'retry') details.nextAttemptAt = retryAt;
      await appendAudit(tx, {
        at: now,
        tenantId: m.tenantId,
        accountId: m.accountId,
        actor: 'system',
        type: outcome === 'superseded' ? 'message.expired' : `message.${outcome}`,
        outcome,
        rc: null,
        details,
      });
      return true;
    }, RELAXED);

    const fields = { messageId: m.id, channel: m.channel, template: m.template, attempt: attempts, outcome, reason };
    if (!applied) {
      log.warn({ ...fields, outcome: 'lost' }, 'outbox message claim lapsed before the outcome was recorded');
      return 'lost';
    }
    this.#o.metrics?.messageDone(m.channel, outcome, now - m.createdAt);
    if (outcome === 'sent') log.info(fields, 'message sent');
    else if (outcome === 'retry') log.warn({ ...fields, nextAttemptAt: retryAt }, 'message will be retried');
    else if (outcome === 'deferred')
      log.warn({ ...fields, nextAttemptAt: retryAt }, 'message left for an instance holding its key');
    else if (outcome === 'failed') log.error(fields, 'message failed');
    else if (outcome === 'superseded') log.info(fields, 'code message dropped: its code is no longer the one to use');
    else log.warn(fields, 'message expired before it could be delivered');
    return outcome;
  }
}
