import { type UiLocale } from '../../core/i18n.ts';
import type { MethodKind } from '../../core/contact.ts';
import type { Method } from '../../core/directory-model.ts';
import { helpText, renderEmail, renderSms } from '../../core/message-templates.ts';
import type { Keyring } from '../../ports/keyring.ts';
import type { Metrics } from '../../ports/metrics.ts';
import type { Random } from '../../ports/random.ts';
import type { Repos } from '../../ports/store.ts';
import { enqueueEmail, enqueueSms } from '../message-queue.ts';
import { queueSmsNotice } from '../sending-limits.ts';
import type { Authenticated } from '../session-service.ts';
import { messageLanguage } from '../message-language.ts';

/** The messages of security-info registration: the code to the new value, and the change notice to the old addresses. */
type MessageDeps = { readonly keyring: Keyring; readonly random: Random; readonly metrics?: Metrics };

export async function queueCode(
  tx: Repos,
  d: MessageDeps,
  auth: Authenticated,
  kind: MethodKind,
  to: string,
  code: string,
  expiresAt: number,
  now: number,
  /** The pending registration: its message is dropped at send time once the code is replaced or used. */
  codeId: string,
  /** The language of the page that asked for the code (docs/i18n.md). */
  locale: UiLocale | null = null,
): Promise<void> {
  const { locale: lang } = await messageLanguage(tx, auth.tenant.id, {
    saved: auth.account.locale ?? null,
    page: locale,
  });
  const minutes = Math.max(1, Math.round((expiresAt - now) / 60_000));
  const base = { tenantId: auth.tenant.id, accountId: auth.account.id, expiresAt, codeId, now, to };
  if (kind === 'email') {
    const content = renderEmail('security-info.code', { displayName: auth.account.displayName, code, minutes }, lang);
    await enqueueEmail(tx, d, { ...base, template: 'security-info.code', content });
    d.metrics?.messageQueued('email', 'security-info.code');
  } else {
    const content = renderSms('security-info.sms', { displayName: auth.account.displayName, code, minutes }, lang);
    await enqueueSms(tx, d, { ...base, template: 'security-info.sms', content });
    d.metrics?.messageQueued('sms', 'security-info.sms');
  }
}

/**
 * "Your security info changed" to the OLD addresses: the sign-in address and the alternate email
 * on file before the change (never the new value, which just proved itself). A NEW authenticator
 * app or passkey is also told by text message to the verified mobile phone (a way in someone may
 * have added behind the owner's back; within the SMS notice budget, `queueSmsNotice`). Returns how
 * many messages were queued.
 */
export async function queueChangeNotices(
  tx: Repos,
  d: MessageDeps,
  auth: Authenticated,
  /** `authenticator`, `passkey`: `maskedValue` says `added` or `removed`. */
  kind: MethodKind | 'authenticator' | 'passkey',
  maskedValue: string,
  previous: Method | null,
  before: readonly Method[],
  newValue: string,
  now: number,
  /** The language of the page where the change was made (docs/i18n.md). */
  locale: UiLocale | null = null,
): Promise<number> {
  const oldEmail =
    kind === 'email' ? (previous?.value ?? null) : (before.find((m) => m.kind === 'email')?.value ?? null);
  const recipients = [auth.account.login, oldEmail].filter(
    (to, i, all): to is string => to !== null && to.toLowerCase() !== newValue.toLowerCase() && all.indexOf(to) === i,
  );
  const { locale: lang, timeZone } = await messageLanguage(tx, auth.tenant.id, {
    saved: auth.account.locale ?? null,
    page: locale,
  });
  const content = renderEmail(
    'security-info.changed',
    {
      displayName: auth.account.displayName,
      kind,
      maskedValue,
      when: new Date(now).toISOString(),
      changedBy: 'you',
      helpText: helpText(auth.tenant.policy, lang),
    },
    lang,
    timeZone,
  );
  for (const to of recipients) {
    await enqueueEmail(tx, d, {
      tenantId: auth.tenant.id,
      accountId: auth.account.id,
      template: 'security-info.changed',
      expiresAt: null,
      now,
      to,
      content,
    });
    d.metrics?.messageQueued('email', 'security-info.changed');
  }
  const phone = before.find((m) => m.kind === 'phone' && m.verifiedAt !== null);
  if ((kind === 'authenticator' || kind === 'passkey') && maskedValue === 'added' && phone) {
    const sms = await queueSmsNotice(tx, d, {
      tenantId: auth.tenant.id,
      accountId: auth.account.id,
      template: 'security-info.strong_added_sms',
      to: phone.value,
      content: renderSms('security-info.strong_added_sms', { kind }, lang),
      now,
    });
    if (sms.queued) {
      d.metrics?.messageQueued('sms', 'security-info.strong_added_sms');
      return recipients.length + 1;
    }
  }
  return recipients.length;
}
