import type { TenantPolicy } from './directory-model.ts';
import { DAY_MS, type ResetPolicy } from './reset-policy.ts';

/**
 * The one sending-limits rule, for every message that carries a one-time code (a reset's email
 * or SMS, a security-info registration's code): the account's emails in the email window, the
 * account's SMS per day, the tenant's daily SMS budget, and the tenant's SMS countries.
 *
 * One fixed order, for SMS: the country first (a fact about the number: it holds whatever the
 * counts are, and only it tells the person something they can act on — use another number), then
 * the account's own daily limit (the narrower, the one an attack on one account hits first), then
 * the tenant's budget (shared by everyone: an account over its own limit is not blamed on it).
 */
export type SendingRefusal =
  | 'account_email_limit'
  | 'account_sms_limit'
  | 'tenant_sms_budget'
  | 'sms_country_not_allowed';

export type SendingRequest =
  | {
      readonly channel: 'email';
      /** Code and link emails (`messageKind` 'code', never notices) queued for the account within `policy.emailWindowMs`. */
      readonly accountEmails: number;
    }
  | {
      readonly channel: 'sms';
      /** The E.164 number the text would go to. */
      readonly to: string;
      /** Code text messages (`messageKind` 'code', never notices) queued for the account in the last day. */
      readonly accountSms: number;
      /** Text messages the tenant sent in the last day. */
      readonly tenantSms: number;
      /** The tenant's SMS budget and countries. */
      readonly tenant: TenantSendingPolicy;
    };

export type SendingPolicy = Pick<ResetPolicy, 'maxEmailsPerAccount' | 'maxSmsPerAccountPerDay'>;
export type TenantSendingPolicy = Pick<TenantPolicy, 'smsDailyBudget' | 'smsCountries'>;

/** The refusal for this send, or null when it may go out. */
export function sendingRefusal(policy: SendingPolicy, req: SendingRequest): SendingRefusal | null {
  if (req.channel === 'email') return req.accountEmails >= policy.maxEmailsPerAccount ? 'account_email_limit' : null;
  if (!smsCountryAllowed(req.tenant, req.to)) return 'sms_country_not_allowed';
  if (req.accountSms >= policy.maxSmsPerAccountPerDay) return 'account_sms_limit';
  if (req.tenantSms >= req.tenant.smsDailyBudget) return 'tenant_sms_budget';
  return null;
}

/**
 * Which budget a message draws on. A message with a lifetime carries a one-time code or link (a
 * reset's code or link, a security-info registration's code, an admin's assisted-reset link): the
 * per-account email limit above counts only these. A message without a lifetime is a notice
 * (password changed, method changed, a block started, an admin's notice of another's reset, …):
 * notices never count against that limit, so whoever can cause notices cannot use them to starve
 * an account of its reset or registration codes; they have their own cap, `NOTICE_LIMIT`.
 */
export type MessageKind = 'code' | 'notice';

export function messageKind(m: { readonly expiresAt: number | null }): MessageKind {
  return m.expiresAt === null ? 'notice' : 'code';
}

/**
 * The notices' own cap: at most `max` notice emails to one account within `windowMs`, so notices
 * cannot be used to flood a mailbox either. Generous: a burst of real events (an admin hearing
 * of a helpdesk's resets, both addresses of an account told of a change) stays far below it.
 */
export const NOTICE_LIMIT = { max: 30, windowMs: 10 * 60_000 } as const;

/** The reason a notice is not sent (it is recorded as ended with it), or null when it may go out. */
export function noticeRefusal(accountNotices: number): 'account_notice_limit' | null {
  return accountNotices >= NOTICE_LIMIT.max ? 'account_notice_limit' : null;
}

/**
 * Text-message notices (a help desk acted on the account, a new authenticator app or passkey, …)
 * to one account per day. They cost money and reach a phone: far fewer than email notices. Like
 * email notices they never count against the codes' limit (the account's SMS per day counts codes
 * only), but they draw on the tenant's daily SMS budget and go only to its SMS countries.
 */
export const SMS_NOTICE_LIMIT = { max: 5, windowMs: DAY_MS } as const;

export type SmsNoticeRefusal = 'sms_country_not_allowed' | 'account_sms_notice_limit' | 'tenant_sms_budget';

/** Whether a text-message notice may go out (null), or why not: the same order as a code's. */
export function smsNoticeRefusal(req: {
  /** The E.164 number. */
  readonly to: string;
  /** Text-message notices queued for the account within `SMS_NOTICE_LIMIT.windowMs`. */
  readonly accountNotices: number;
  /** Text messages the tenant sent in the last day (codes and notices). */
  readonly tenantSms: number;
  readonly tenant: TenantSendingPolicy;
}): SmsNoticeRefusal | null {
  if (!smsCountryAllowed(req.tenant, req.to)) return 'sms_country_not_allowed';
  if (req.accountNotices >= SMS_NOTICE_LIMIT.max) return 'account_sms_notice_limit';
  if (req.tenantSms >= req.tenant.smsDailyBudget) return 'tenant_sms_budget';
  return null;
}

/** Whether the tenant sends text messages to this number (no list: everywhere). */
export function smsCountryAllowed(tenant: Pick<TenantPolicy, 'smsCountries'>, to: string): boolean {
  return !tenant.smsCountries || tenant.smsCountries.some((prefix) => to.startsWith(prefix));
}
