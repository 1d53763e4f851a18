import type { Account } from '../core/directory-model.ts';
import { renderSms } from '../core/message-templates.ts';
import type { Clock } from '../ports/clock.ts';
import type { Store } from '../ports/store.ts';
import type { OwnerNotice } from './caller-verification-service.ts';
import { messageLanguage } from './message-language.ts';
import type { MessageQueueDeps } from './message-queue.ts';
import { queueSmsNotice } from './sending-limits.ts';

// The owner's text message after a help-desk action (CallerVerificationService.notifyOwner).

export interface CallerOwnerNoticeDeps extends MessageQueueDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly outbox: { wake(): void };
}

/**
 * The owner hears of every help-desk action on all channels: the action's own notice goes to the
 * login and the alternate email; this adds a text message to the verified mobile phone (a notice:
 * no lifetime, no code; within the SMS notice budget, `queueSmsNotice`), in the account's
 * language, in words that name the action (`what`: a password reset or unlock, or the console
 * second factor reset).
 */
export async function notifyCallerOwner(
  d: CallerOwnerNoticeDeps,
  target: Account,
  what: OwnerNotice = 'reset',
): Promise<void> {
  const now = d.clock.now();
  const queued = await d.store.transaction(async (tx) => {
    const phone = (await tx.directory.listMethods(target.id)).find((m) => m.kind === 'phone' && m.verifiedAt !== null);
    if (!phone) return false;
    const { locale } = await messageLanguage(tx, target.tenantId, { saved: target.locale ?? null, page: null });
    const template = what === 'second_factor_reset' ? 'caller.factor_notice_sms' : 'caller.notice_sms';
    const sent = await queueSmsNotice(tx, d, {
      tenantId: target.tenantId,
      accountId: target.id,
      template,
      to: phone.value,
      content: renderSms(template, {}, locale),
      now,
    });
    return sent.queued;
  });
  if (queued) d.outbox.wake();
}
