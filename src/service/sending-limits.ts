import type { TenantPolicy } from '../core/directory-model.ts';
import { DAY_MS, type ResetPolicy } from '../core/reset-policy.ts';
import {
  SMS_NOTICE_LIMIT,
  sendingRefusal,
  smsNoticeRefusal,
  type SendingRefusal,
  type SmsNoticeRefusal,
} from '../core/sending-limits.ts';
import type { SmsContent } from '../core/message-templates.ts';
import { DEFAULT_TENANT_POLICY } from '../core/directory-model.ts';
import type { Repos } from '../ports/store.ts';
import { enqueueSms, type MessageQueueDeps } from './message-queue.ts';

/** Whom a code message would go to: the account's email, or a number for an account of a tenant. */
export type SendingTarget =
  | { readonly channel: 'email'; readonly accountId: string }
  | {
      readonly channel: 'sms';
      readonly accountId: string;
      readonly tenantId: string;
      readonly tenant: Pick<TenantPolicy, 'smsDailyBudget' | 'smsCountries'>;
      readonly to: string;
    };

/** From when the code and link emails an account was sent count against its email limit. */
export function emailWindowStart(policy: ResetPolicy, now: number): number {
  return now - policy.emailWindowMs;
}

/**
 * Counts what the sending limits look at (the same statements whatever the answer) and asks the
 * one rule in core (`core/sending-limits.ts`). Used by the reset flow and by security-info
 * registration alike.
 */
export async function sendingLimitRefusal(
  tx: Pick<Repos, 'flows'>,
  policy: ResetPolicy,
  target: SendingTarget,
  now: number,
): Promise<SendingRefusal | null> {
  if (target.channel === 'email') {
    const accountEmails = await tx.flows.countMessages({
      accountId: target.accountId,
      channel: 'email',
      // code and link messages only: notices never use up the budget codes need (core/sending-limits.ts)
      kind: 'code',
      since: emailWindowStart(policy, now),
    });
    return sendingRefusal(policy, { channel: 'email', accountEmails });
  }
  // codes only: text-message notices have their own cap (core SMS_NOTICE_LIMIT, `queueSmsNotice`)
  const accountSms = await tx.flows.countMessages({
    accountId: target.accountId,
    channel: 'sms',
    kind: 'code',
    since: now - DAY_MS,
  });
  const tenantSms = await tx.flows.countMessages({ tenantId: target.tenantId, channel: 'sms', since: now - DAY_MS });
  return sendingRefusal(policy, { channel: 'sms', to: target.to, accountSms, tenantSms, tenant: target.tenant });
}

/**
 * Queues a text-message notice (no code, no lifetime) to the account's verified phone within the
 * SMS notice budget (core `smsNoticeRefusal`: the tenant's SMS countries, `SMS_NOTICE_LIMIT` per
 * account, the tenant's daily SMS budget). Inside the transaction of the change it tells of; the
 * caller wakes the outbox after the commit. True when it was queued; a refused notice is not.
 */
export async function queueSmsNotice(
  tx: Repos,
  d: MessageQueueDeps,
  m: {
    readonly tenantId: string;
    readonly accountId: string;
    readonly template: string;
    /** E.164 */
    readonly to: string;
    readonly content: SmsContent;
    readonly now: number;
  },
): Promise<{ queued: true } | { queued: false; refusal: SmsNoticeRefusal }> {
  const tenant = (await tx.directory.getTenant(m.tenantId))?.policy ?? DEFAULT_TENANT_POLICY;
  const accountNotices = await tx.flows.countMessages({
    accountId: m.accountId,
    channel: 'sms',
    kind: 'notice',
    since: m.now - SMS_NOTICE_LIMIT.windowMs,
  });
  const tenantSms = await tx.flows.countMessages({ tenantId: m.tenantId, channel: 'sms', since: m.now - DAY_MS });
  const refusal = smsNoticeRefusal({ to: m.to, accountNotices, tenantSms, tenant });
  if (refusal) return { queued: false, refusal };
  await enqueueSms(tx, d, { ...m, expiresAt: null });
  return { queued: true };
}
