import type { TenantPolicy } from '../core/directory-model.ts';
import { DAY_MS, type ResetPolicy } from '../core/reset-policy.ts';
import { sendingRefusal, type SendingRefusal } from '../core/sending-limits.ts';
import type { Repos } from '../ports/store.ts';

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
  const accountSms = await tx.flows.countMessages({ accountId: target.accountId, channel: 'sms', since: now - DAY_MS });
  const tenantSms = await tx.flows.countMessages({ tenantId: target.tenantId, channel: 'sms', since: now - DAY_MS });
  return sendingRefusal(policy, { channel: 'sms', to: target.to, accountSms, tenantSms, tenant: target.tenant });
}
