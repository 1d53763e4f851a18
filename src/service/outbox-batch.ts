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
import type { AuditEventInput, OutboxMessage, OutboxOutcome, Store } from '../ports/store.ts';
import { openPayload } from './message-queue.ts';
import { errorSummary, guard, scrub } from './outbox-reasons.ts';
import type { TenantMailCache } from './outbox-tenant-mail.ts';

/**
 * `superseded`: a code message whose code is no longer the one to use (a newer code was sent, it
 * was used, or its flow ended) — dropped like an expired one (status `expired`, audit
 * `message.expired` with outcome `superseded`). `deferred`: this instance cannot open the
 * message (sealed under a key it does not hold): left for an instance that can, its tries not
 * counted, no audit event.
 */
export type Outcome = 'sent' | 'retry' | 'failed' | 'expired' | 'superseded' | 'deferred';

/** What the worker decided for one message of the batch, recorded with the others at the batch's end. */
interface Decided {
  readonly m: OutboxMessage;
  readonly outcome: Outcome;
  readonly attempts: number;
  readonly reason: string | null;
  readonly providerId: string | null;
  readonly retryAt: number;
  readonly at: number;
}

export interface BatchDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly mailer: Mailer;
  readonly sms: SmsSender | null;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Logger;
  readonly policy: BackoffPolicy;
  readonly workerId: string;
  readonly metrics?: Pick<Metrics, 'messageDone'>;
  readonly publicUrl?: string;
  readonly tenantMail: TenantMailCache;
  /** Sends in flight at once. */
  readonly concurrency: number;
  /** True once the worker is stopping: no new send starts. */
  readonly stopping: () => boolean;
}

/** The next batch to claim in the transaction that records this one's outcomes. */
export interface NextClaim {
  readonly now: number;
  readonly claimUntil: number;
  readonly limit: number;
}

/** Messages claimed at `at` (the claim's own time: a send starts only before `at` + claimMs / 2). */
export interface Claimed {
  readonly messages: readonly OutboxMessage[];
  readonly at: number;
}

export interface BatchResult {
  /** How many messages got an outcome. */
  readonly handled: number;
  /** The next batch, claimed with the outcomes when `claimNext` asked for it (perhaps empty); else null. */
  readonly next: Claimed | null;
}

const RELAXED = { durability: 'relaxed' } as const;

/**
 * Delivers one claimed batch: which of its codes are still the ones to use (one read for the
 * batch), then the sends, at most `concurrency` at a time, then every outcome and its audit event
 * in one transaction (one UPDATE of the outbox for the batch, one INSERT of the audit events).
 * A send starts only before `sendBy`; what is left lapses and is claimed again. Holds nothing
 * beyond the batch: its messages, their outcomes, gone once it returns. `claimNext`, asked just
 * before the outcomes are recorded, may have the next batch claimed in that same transaction (one
 * turn at the database's write lock and one commit instead of two).
 */
export async function deliverBatch(
  d: BatchDeps,
  claimed: readonly OutboxMessage[],
  sendBy: number,
  claimNext: () => NextClaim | null = () => null,
): Promise<BatchResult> {
  const start = d.clock.now();
  const coded = claimed.filter((m) => m.codeId !== null && isDeliverable(m.expiresAt, start));
  // a code is delivered only while it is the one to use: never one a newer code replaced, one
  // already used, or one whose flow ended (completed, expired, ended by a new start)
  const answers = await d.store.outbox.currentCodes(
    coded.map((m) => ({ codeId: m.codeId as string, queuedAt: m.createdAt })),
    start,
  );
  // the ids of the code messages whose code is still the one to use
  const current = new Set(coded.filter((_, i) => answers[i] === true).map((m) => m.id));
  const decided: Decided[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < claimed.length && !d.stopping()) {
      const m = claimed[next++] as OutboxMessage;
      if (d.clock.now() > sendBy) continue;
      try {
        decided.push(await decide(d, m, current));
      } catch (e) {
        // trouble outside the transport (it never throws: guard): the claim lapses, tried again later
        d.log.error(
          { messageId: m.id, channel: m.channel, template: m.template, err: errorSummary(e) },
          'outbox message could not be processed',
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(d.concurrency, claimed.length) }, lane));
  if (decided.length === 0) return { handled: 0, next: null };
  return { handled: decided.length, next: await record(d, decided, claimNext()) };
}

async function decide(d: BatchDeps, m: OutboxMessage, current: ReadonlySet<string>): Promise<Decided> {
  const now = d.clock.now();
  const done = (outcome: Outcome, attempts: number, reason: string | null, extra: Partial<Decided> = {}): Decided => ({
    m,
    outcome,
    attempts,
    reason,
    providerId: null,
    retryAt: 0,
    at: d.clock.now(),
    ...extra,
  });
  if (!isDeliverable(m.expiresAt, now)) return done('expired', m.attempts, null);
  if (m.codeId !== null && !current.has(m.id))
    return done('superseded', m.attempts, 'the code was replaced, used, or its flow ended');
  if (m.recipientSealed === null || m.payloadSealed === null)
    return done('failed', m.attempts, 'message content is missing');
  let recipient: string;
  try {
    recipient = d.keyring.open(m.recipientSealed);
  } catch {
    return unopenable(d, m, now);
  }
  const payload = openPayload(d.keyring, m.payloadSealed, m.channel);
  if (!payload) return unopenable(d, m, now);

  const attempt = m.attempts + 1;
  let result: DeliveryResult;
  if (payload.channel === 'sms') {
    const sms = d.sms;
    if (!sms) return done('failed', attempt, 'SMS is not configured');
    result = await guard(() => sms.send({ to: recipient, body: payload.body }));
  } else {
    const { fromName, look, logo, host } = await d.tenantMail.get(m.tenantId);
    const shown = logo ? emailLogo(logo) : null;
    const linked = d.publicUrl ? linksOnTenantHost(payload, d.publicUrl, host) : payload;
    const { subject, text, html } = brandEmail(linked, look, shown);
    // the logo travels inside the message (cid:), only when the HTML part shows it
    const inlineImages =
      logo && shown && html.includes(`cid:${shown.cid}`)
        ? [{ cid: shown.cid, contentType: 'image/png' as const, content: logo.png, filename: 'logo.png' }]
        : [];
    result = await guard(() => d.mailer.send({ to: recipient, subject, text, html, fromName, inlineImages }));
  }

  if (result.ok) return done('sent', attempt, null, { providerId: result.providerId });
  const failure: DeliveryFailure = { retryable: result.retryable, reason: scrub(result.reason, recipient) };
  const step = afterFailure(d.policy, attempt, failure, d.clock.now(), m, d.random.unit());
  return fromStep(m, step, attempt, failure.reason, 'retry', d.clock.now());
}

/**
 * Sealed under a key this instance does not hold (a rolling key rotation in progress): back to
 * pending for an instance that holds it, the try not counted; it ends only past its horizon.
 */
function unopenable(d: BatchDeps, m: OutboxMessage, now: number): Decided {
  const step = afterUnopenable(d.policy, now, m, d.random.unit());
  return fromStep(m, step, m.attempts, "message content cannot be opened with this instance's keys", 'deferred', now);
}

function fromStep(
  m: OutboxMessage,
  step: NextStep,
  attempts: number,
  reason: string,
  retry: 'retry' | 'deferred',
  at: number,
): Decided {
  const base = { m, attempts, providerId: null, retryAt: 0, at };
  switch (step.kind) {
    case 'retry':
      return { ...base, outcome: retry, reason, retryAt: step.at };
    case 'fail':
      return { ...base, outcome: 'failed', reason: step.reason };
    case 'expire':
      return { ...base, outcome: 'expired', reason };
  }
}

function toOutcome(x: Decided): OutboxOutcome {
  const { m, attempts, at } = x;
  switch (x.outcome) {
    case 'sent':
      // the row keeps the number of failed tries (the audit event names the attempt that went through)
      return { id: m.id, status: 'sent', attempts: m.attempts, at };
    case 'retry':
    case 'deferred':
      return { id: m.id, status: 'pending', attempts, nextAttemptAt: x.retryAt, error: x.reason ?? 'unknown', at };
    case 'failed':
      return { id: m.id, status: 'failed', attempts, error: x.reason ?? 'unknown', at };
    case 'expired':
    case 'superseded':
      return { id: m.id, status: 'expired', attempts: m.attempts, at };
  }
}

function auditEvent(x: Decided): AuditEventInput {
  const { m, outcome, attempts, reason } = x;
  const details: Record<string, string | number | boolean | null> = {
    messageId: m.id,
    channel: m.channel,
    template: m.template,
    attempts,
    reason,
  };
  if (outcome === 'sent') details.providerId = x.providerId;
  if (outcome === 'retry') details.nextAttemptAt = x.retryAt;
  return {
    at: x.at,
    tenantId: m.tenantId,
    accountId: m.accountId,
    actor: 'system',
    type: outcome === 'superseded' ? 'message.expired' : `message.${outcome}`,
    outcome,
    ip: null,
    userAgent: null,
    details,
  };
}

/**
 * Records the batch's outcomes (each only while its claim is still ours) and their audit events in
 * one transaction, and claims the `next` batch in it when asked: relaxed, since an outcome or a
 * claim that a power loss undoes only makes a message go out again. A failure records and claims
 * nothing: the claims lapse and the messages are tried again.
 */
async function record(d: BatchDeps, decided: readonly Decided[], next: NextClaim | null): Promise<Claimed | null> {
  const { applied, claimed } = await d.store.transaction(async (tx) => {
    const ids = await tx.outbox.recordOutcomes(d.workerId, decided.map(toOutcome));
    // a deferral is not an attempt: no audit event (it may repeat until an instance with the key takes it)
    const events = decided.filter((x) => ids.has(x.m.id) && x.outcome !== 'deferred').map(auditEvent);
    await tx.audit.appendMany(events);
    const more = next ? await tx.outbox.claimDue(d.workerId, next.now, next.claimUntil, next.limit) : null;
    return { applied: ids, claimed: more };
  }, RELAXED);
  for (const x of decided) report(d, x, applied.has(x.m.id));
  return claimed && next ? { messages: claimed, at: next.now } : null;
}

function report(d: BatchDeps, x: Decided, applied: boolean): void {
  const { m, outcome, attempts, reason, retryAt } = x;
  const fields = { messageId: m.id, channel: m.channel, template: m.template, attempt: attempts, outcome, reason };
  const { log } = d;
  if (!applied) {
    log.warn({ ...fields, outcome: 'lost' }, 'outbox message claim lapsed before the outcome was recorded');
    return;
  }
  d.metrics?.messageDone(m.channel, outcome, x.at - m.createdAt);
  if (outcome === 'sent') log.info(fields, 'message sent');
  else if (outcome === 'retry') log.warn({ ...fields, nextAttemptAt: retryAt }, 'message will be retried');
  else if (outcome === 'deferred')
    log.warn({ ...fields, nextAttemptAt: retryAt }, 'message left for an instance holding its key');
  else if (outcome === 'failed') log.error(fields, 'message failed');
  else if (outcome === 'superseded') log.info(fields, 'code message dropped: its code is no longer the one to use');
  else log.warn(fields, 'message expired before it could be delivered');
}
