import type { EmailContent, SmsContent } from '../core/message-templates.ts';
import { messageKind, NOTICE_LIMIT, noticeRefusal } from '../core/sending-limits.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Random } from '../ports/random.ts';
import type { OutboxChannel, Repos } from '../ports/store.ts';

/**
 * Putting a message in the transactional outbox. Call these INSIDE the transaction that makes
 * the change the message is about (`store.transaction(async (tx) => …)`), so the message exists
 * exactly when the change does; wake the worker (`OutboxWorker.wake()`) after the commit.
 * The destination and the rendered content are sealed by the Keyring: the database never holds
 * them in clear, and the worker erases them once the message is sent, failed or expired.
 */

export interface MessageQueueDeps {
  readonly keyring: Keyring;
  readonly random: Random;
}

interface QueuedMessageBase {
  readonly tenantId: string | null;
  readonly accountId: string | null;
  /** Template id, e.g. `security-info.changed`; kept for the audit trail after the content is erased. */
  readonly template: string;
  /** When the content stops being worth delivering (a code's lifetime); null for notices. */
  readonly expiresAt: number | null;
  /**
   * The code the message carries (the reset code's or security-info registration's id): the
   * worker drops the message at send time once that code was replaced, used, or its flow ended.
   */
  readonly codeId?: string | null;
  /** True: the same work, nothing stored or sent (see NewOutboxMessage.discard). */
  readonly discard?: boolean;
  readonly now: number;
}

export interface QueuedEmail extends QueuedMessageBase {
  readonly to: string;
  readonly content: EmailContent;
}

export interface QueuedSms extends QueuedMessageBase {
  /** E.164 */
  readonly to: string;
  readonly content: SmsContent;
}

/** What is sealed in `payload_sealed`; the recipient is sealed separately. */
export type OutboxPayload =
  | { readonly v: 1; readonly channel: 'email'; readonly subject: string; readonly text: string; readonly html: string }
  | { readonly v: 1; readonly channel: 'sms'; readonly body: string };

/** Enqueues an email; returns the outbox message id. */
export async function enqueueEmail(tx: Repos, deps: MessageQueueDeps, m: QueuedEmail): Promise<string> {
  const payload: OutboxPayload = {
    v: 1,
    channel: 'email',
    subject: m.content.subject,
    text: m.content.text,
    html: m.content.html,
  };
  return enqueue(tx, deps, m, 'email', payload);
}

/** Enqueues a text message; returns the outbox message id. */
export async function enqueueSms(tx: Repos, deps: MessageQueueDeps, m: QueuedSms): Promise<string> {
  const payload: OutboxPayload = { v: 1, channel: 'sms', body: m.content.body };
  return enqueue(tx, deps, m, 'sms', payload);
}

async function enqueue(
  tx: Repos,
  deps: MessageQueueDeps,
  m: QueuedMessageBase & { readonly to: string },
  channel: OutboxChannel,
  payload: OutboxPayload,
): Promise<string> {
  const id = deps.random.uuid();
  // a notice over its account's own cap is recorded as ended and never sent; codes never meet this
  // cap, and notices never count against the codes' limit (core/sending-limits.ts)
  const refused =
    channel === 'email' && m.accountId !== null && m.discard !== true && messageKind(m) === 'notice'
      ? noticeRefusal(
          await tx.flows.countMessages({
            accountId: m.accountId,
            channel,
            kind: 'notice',
            since: m.now - NOTICE_LIMIT.windowMs,
          }),
        )
      : null;
  await tx.outbox.enqueue({
    id,
    tenantId: m.tenantId,
    accountId: m.accountId,
    channel,
    template: m.template,
    recipientSealed: deps.keyring.seal(m.to),
    payloadSealed: deps.keyring.seal(JSON.stringify(payload)),
    expiresAt: m.expiresAt,
    codeId: m.codeId ?? null,
    ...(m.discard ? { discard: true } : {}),
    ...(refused ? { refused } : {}),
    now: m.now,
  });
  return id;
}

/**
 * Reads a sealed payload back; null when it is not a payload of `channel` (tampered, sealed
 * under another key, or written by an incompatible version).
 */
export function openPayload(keyring: Keyring, sealed: string, channel: OutboxChannel): OutboxPayload | null {
  let value: unknown;
  try {
    value = JSON.parse(keyring.open(sealed));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const p = value as Record<string, unknown>;
  if (p.v !== 1 || p.channel !== channel) return null;
  if (channel === 'email') {
    if (typeof p.subject !== 'string' || typeof p.text !== 'string' || typeof p.html !== 'string') return null;
    return { v: 1, channel, subject: p.subject, text: p.text, html: p.html };
  }
  if (typeof p.body !== 'string') return null;
  return { v: 1, channel, body: p.body };
}
