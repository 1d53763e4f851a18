/**
 * Message templates: a template id and its parameters in, the words of an email or a text
 * message out. Pure: no clock, no I/O. Every parameter is HTML-escaped in the HTML part by
 * construction (a template returns plain-text blocks; the HTML is built from them here), and
 * the text part never carries markup.
 *
 * The registry is small on purpose: adding `reset.code`, `reset.link`… means adding one entry
 * to `EMAIL_TEMPLATES` (and `SMS_TEMPLATES` when it also goes by text message).
 */

import { formatDateTime, i18nFor, type I18n, type UiLocale } from './i18n.ts';

export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface SmsContent {
  readonly body: string;
}

/**
 * One block of an email: a paragraph, a value set apart (a code, a masked address), or a link
 * (http/https only; shown in full in the text part).
 */
export type EmailBlock =
  { readonly p: string } | { readonly strong: string } | { readonly link: string; readonly label: string };

interface EmailDraft {
  readonly subject: string;
  /** A short line shown by mail clients next to the subject; never a secret. */
  readonly preview: string;
  readonly blocks: readonly EmailBlock[];
}

export interface SecurityInfoChangedParams {
  readonly displayName: string;
  readonly kind: 'email' | 'phone';
  /** The new value, already masked (`a••••@example.com`, `••• ••• ••23`). */
  readonly maskedValue: string;
  /** ISO 8601 time of the change. */
  readonly when: string;
  /** `directory`: a directory sync copied it from the organisation's directory (trusted contact attributes). */
  readonly changedBy: 'you' | 'an administrator' | 'directory';
  /** Where to get help, e.g. "Contact the IT help desk at help@example.com or +44 20 7946 0000." */
  readonly helpText: string;
  /** The reset page, when the sender knows the public URL: where "change your password now" happens. */
  readonly resetUrl?: string | null;
}

/** A code that proves a person can receive at the address or number they are registering. */
export interface SecurityInfoCodeParams {
  readonly displayName: string;
  readonly code: string;
  readonly minutes: number;
}

export interface ResetCodeParams {
  readonly displayName: string;
  /** The 6-digit code. */
  readonly code: string;
  /** The one-time link (https in production). */
  readonly link: string;
  /** Minutes until the code and link expire. */
  readonly minutes: number;
  /** ISO 8601 time of the request. */
  readonly when: string;
}

export interface ResetSmsParams {
  readonly code: string;
  readonly minutes: number;
}

export interface ResetCompletedParams {
  readonly displayName: string;
  readonly login: string;
  readonly when: string;
  /** IP address the reset came from, or `unknown`. */
  readonly ip: string;
  readonly helpText: string;
}

export interface ResetAdminNoticeParams {
  /** The administrator receiving the notice. */
  readonly displayName: string;
  /** The administrator whose password was reset. */
  readonly adminLogin: string;
  readonly adminName: string;
  readonly when: string;
  readonly ip: string;
}

/** While codes are paused (a self-service block): the email a reset start sends, with the link only. */
export interface ResetBlockedLinkParams {
  readonly displayName: string;
  /** The one-time link (https in production). */
  readonly link: string;
  /** Minutes until the link expires. */
  readonly minutes: number;
  /** ISO 8601 time of the request. */
  readonly when: string;
  /** ISO 8601 time the pause of codes ends. */
  readonly until: string;
  readonly helpText: string;
}

/** The one notice sent when a self-service block starts. */
export interface ResetBlockedParams {
  readonly displayName: string;
  readonly login: string;
  /** ISO 8601 time the block started. */
  readonly when: string;
  /** ISO 8601 time it ends. */
  readonly until: string;
  /** Where a reset starts (`<public url>/reset`). */
  readonly resetUrl: string;
  readonly helpText: string;
}

export interface AdminResetLinkParams {
  readonly displayName: string;
  readonly login: string;
  /** The one-time link (`…/reset/assisted?t=…`). */
  readonly link: string;
  /** Hours until the link expires. */
  readonly hours: number;
  readonly when: string;
  /** `an administrator of your organisation` or `Technical Support`. */
  readonly issuedBy: string;
  readonly helpText: string;
}

export interface AdminTempPasswordParams {
  readonly displayName: string;
  readonly login: string;
  readonly when: string;
  readonly hours: number;
  readonly helpText: string;
}

export interface AdminResetNoticeParams {
  /** The administrator receiving the notice. */
  readonly displayName: string;
  readonly targetLogin: string;
  readonly targetName: string;
  /** `a one-time reset link was sent` or `a temporary password was set`. */
  readonly what: string;
  /** Who did it, e.g. `Avery Admin (admin@contoso.example)` or `Technical Support`. */
  readonly by: string;
  readonly when: string;
}

/** To the account whose role changed, and (`admin.role_notice`) to the tenant's other admins when it concerns an admin. */
/** A directory account was unlocked without a password change (self-service or an administrator). */
export interface AccountUnlockedParams {
  readonly displayName: string;
  readonly login: string;
  readonly when: string;
  /** IP address the unlock came from, or `unknown`. */
  readonly ip: string;
  /** Who unlocked it: `you, after the security checks of a password reset`, or an administrator. */
  readonly by: string;
  readonly helpText: string;
}

/** To the tenant's other administrators when an administrator's account was unlocked. */
export interface AdminUnlockNoticeParams {
  /** The administrator receiving the notice. */
  readonly displayName: string;
  readonly targetLogin: string;
  readonly targetName: string;
  readonly by: string;
  readonly when: string;
  readonly ip: string;
}

/** A tenant's directory settings changed (or were removed): told to every other administrator. */
export interface DirectoryNoticeParams {
  /** The person receiving the notice. */
  readonly displayName: string;
  /** What happened, e.g. `changed the directory settings (urls, bindDn)`, `removed the directory`. */
  readonly what: string;
  readonly by: string;
  readonly when: string;
}

export interface RoleChangedParams {
  /** The person receiving the notice. */
  readonly displayName: string;
  readonly targetLogin: string;
  readonly targetName: string;
  /** Role names as stored: `user`, `admin`, `global_admin`. */
  readonly from: string;
  readonly to: string;
  /** Who did it, e.g. `Avery Admin (admin@contoso.example)`, `Technical Support`, `the command line`. */
  readonly by: string;
  readonly when: string;
}

/** To each administrator of the tenant: someone asked them for help (the message itself stays in the console). */
export interface HelpAdminRequestParams {
  readonly displayName: string;
  readonly requesterName: string;
  readonly requesterLogin: string;
  readonly reference: string;
  readonly when: string;
  /** `<public url>/admin/requests` */
  readonly consoleUrl: string;
}

/** To the requester's registered addresses: the request was received. */
export interface HelpReceivedParams {
  readonly displayName: string;
  readonly reference: string;
  readonly when: string;
  /** Who will handle it: the organisation's administrators or Technical Support. */
  readonly routedTo: 'admins' | 'support';
}

/** To the requester's registered addresses: what was done about the request. */
export interface HelpOutcomeParams {
  readonly displayName: string;
  readonly reference: string;
  readonly when: string;
  readonly outcome: 'reset_link' | 'temp_password' | 'dismissed' | 'promoted';
  /** `an administrator of your organisation` or `Technical Support`. */
  readonly by: string;
  /** The reason given for a dismissal. */
  readonly reason: string | null;
}

export interface TestMessageParams {
  /** ISO 8601 time the operator asked for the test. */
  readonly when: string;
}

const KIND_WORDS = {
  email: { noun: 'alternate email address', title: 'Alternate email address' },
  phone: { noun: 'mobile phone number', title: 'Mobile phone number' },
} as const;

const EMAIL_TEMPLATES = {
  'security-info.changed': (p: SecurityInfoChangedParams): EmailDraft => {
    const words = KIND_WORDS[p.kind];
    const who =
      p.changedBy === 'you'
        ? 'The change was made while signed in to your account.'
        : p.changedBy === 'directory'
          ? "It was copied from your organisation's directory, where your administrators keep your contact details."
          : 'The change was made by an administrator of your organisation.';
    return {
      subject: `${words.title} for password reset changed`,
      preview: `The ${words.noun} used to reset your password was changed.`,
      blocks: [
        { p: `Hello ${p.displayName},` },
        { p: `The ${words.noun} used to reset your password was set to:` },
        { strong: p.maskedValue },
        { p: `When: ${formatWhen(p.when)}. ${who}` },
        { p: 'If this was you, or you expected it, there is nothing else to do.' },
        {
          p: `If you do not recognise this change, someone else may be trying to take over your account. Change your password now and tell your administrator.${p.resetUrl ? ` You can reset your password at ${p.resetUrl}.` : ''} ${p.helpText}`.trim(),
        },
        { p: 'We will never ask you for your password or for a security code by email or phone.' },
      ],
    };
  },
  'security-info.code': (p: SecurityInfoCodeParams, { t }: I18n): EmailDraft => ({
    // the code is never in the subject or the preview
    subject: t('email.security-info.code.subject'),
    preview: t('email.security-info.code.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      { p: t('email.security-info.code.asked') },
      { strong: p.code },
      { p: t('email.security-info.code.expires', { minutes: wholeMinutes(p.minutes) }) },
      { p: t('email.security-info.code.ignore') },
    ],
  }),
  'reset.code': (p: ResetCodeParams, { t, when }: I18n): EmailDraft => ({
    // the code is never in the subject or the preview: both show on lock screens and in inbox lists
    subject: t('email.reset.code.subject'),
    preview: t('email.reset.code.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      { p: t('email.reset.code.asked', { when: when(p.when) }) },
      { strong: p.code },
      { p: t('email.reset.code.orLink') },
      { link: p.link, label: t('email.reset.code.linkLabel') },
      { p: t('email.reset.code.expires', { minutes: wholeMinutes(p.minutes) }) },
      { p: t('email.reset.code.ignore') },
    ],
  }),
  'reset.completed': (p: ResetCompletedParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.reset.completed.subject'),
    preview: t('email.reset.completed.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      { p: t('email.reset.completed.what', { login: p.login, when: when(p.when), ip: p.ip }) },
      { p: t('email.reset.completed.ifYou') },
      { p: t('email.reset.completed.ifNot', { helpText: p.helpText }).trim() },
    ],
  }),
  'reset.blocked_link': (p: ResetBlockedLinkParams): EmailDraft => ({
    subject: 'Your password reset link',
    preview: 'Use this link to continue resetting your password.',
    blocks: [
      { p: `Hello ${p.displayName},` },
      {
        p: `Someone asked to reset the password of your account on ${formatWhen(p.when)}. Security codes for your account are paused until ${formatWhen(p.until)}, because too many wrong codes were typed. That may not have been you: anyone who knows your user ID can type wrong codes.`,
      },
      {
        p: 'This email has no code, but the link still works. If it was you who asked, open it in the same browser where you started:',
      },
      { link: p.link, label: 'Continue resetting my password' },
      { p: `The link works once and expires in ${minutesText(p.minutes)}.` },
      {
        p: `If you cannot use the link, or your account also needs a text message code, get help: ${p.helpText}`.trim(),
      },
      { p: 'If you did not ask for this, you can ignore this email: your password has not been changed.' },
    ],
  }),
  'reset.blocked': (p: ResetBlockedParams): EmailDraft => ({
    subject: 'Password reset codes paused for your account',
    preview: 'Too many wrong security codes were typed for your account.',
    blocks: [
      { p: `Hello ${p.displayName},` },
      {
        p: `On ${formatWhen(p.when)}, too many wrong security codes were typed to reset the password of ${p.login}. To protect your account, security codes are not accepted until ${formatWhen(p.until)}, and every password reset in progress was stopped. Your password has not been changed.`,
      },
      {
        p: 'That may not have been you: anyone who knows your user ID can type wrong codes. If it was not you, someone may be trying to get into your account.',
      },
      {
        p: 'You can still reset your password: start a reset here and open the link from the email we send you, in the same browser.',
      },
      { link: p.resetUrl, label: 'Reset my password' },
      { p: `If you need help, or your account also needs a text message code: ${p.helpText}`.trim() },
    ],
  }),
  'reset.admin_notice': (p: ResetAdminNoticeParams): EmailDraft => ({
    subject: `Administrator password reset: ${p.adminLogin}`,
    preview: 'Another administrator of your organisation reset their password.',
    blocks: [
      { p: `Hello ${p.displayName},` },
      {
        p: `The password of the administrator ${p.adminName} (${p.adminLogin}) was reset through self-service on ${formatWhen(p.when)} (from IP address ${p.ip}).`,
      },
      {
        p: 'You are told because every administrator is notified when an administrator account changes its password. If this was expected, there is nothing to do.',
      },
      {
        p: `If it was not expected, contact ${p.adminName} by a channel you trust, and check the audit log for this account.`,
      },
    ],
  }),
  'admin.reset_link': (p: AdminResetLinkParams): EmailDraft => ({
    subject: 'Reset your password with this link',
    preview: 'A one-time link to choose a new password was issued for your account.',
    blocks: [
      { p: `Hello ${p.displayName},` },
      {
        p: `On ${formatWhen(p.when)}, ${p.issuedBy} issued a one-time link to reset the password of ${p.login}. Open it to choose a new password:`,
      },
      { link: p.link, label: 'Choose a new password' },
      { p: `The link works once and expires in ${p.hours} hours. Nobody else can see your new password.` },
      {
        p: `If you did not ask for help with your password, do not open the link and tell your administrator. ${p.helpText}`.trim(),
      },
    ],
  }),
  'admin.temp_password': (p: AdminTempPasswordParams): EmailDraft => ({
    subject: 'An administrator set a temporary password',
    preview: 'Your password was replaced by a temporary password.',
    blocks: [
      { p: `Hello ${p.displayName},` },
      {
        p: `On ${formatWhen(p.when)}, an administrator of your organisation set a temporary password for ${p.login}. Every session of the account was signed out.`,
      },
      {
        p: `Your administrator gives you the temporary password directly; it is never sent by email. It works for ${p.hours} hours, and you must choose a new password when you sign in with it.`,
      },
      {
        p: `If you did not ask for this, contact your administrator now. ${p.helpText}`.trim(),
      },
    ],
  }),
  'account.unlocked': (p: AccountUnlockedParams): EmailDraft => ({
    subject: 'Your account was unlocked',
    preview: 'Your account was unlocked; its password was not changed.',
    blocks: [
      { p: `Hello ${p.displayName},` },
      {
        p: `The account ${p.login} was unlocked in your organisation's directory on ${formatWhen(p.when)} by ${p.by} (from IP address ${p.ip}). It had been locked after too many wrong passwords. Its password was not changed, and nobody was signed out.`,
      },
      { p: 'If this was you, there is nothing else to do: sign in with the password you have.' },
      {
        p: `If it was not you, someone may be trying to get into your account. Reset your password now and tell your administrator: ${p.helpText}`.trim(),
      },
    ],
  }),
  'admin.unlock_notice': (p: AdminUnlockNoticeParams): EmailDraft => ({
    subject: `Administrator account unlocked: ${p.targetLogin}`,
    preview: "An administrator's account of your organisation was unlocked.",
    blocks: [
      { p: `Hello ${p.displayName},` },
      {
        p: `The administrator account of ${p.targetName} (${p.targetLogin}) was unlocked in the directory on ${formatWhen(p.when)} by ${p.by} (from IP address ${p.ip}). Its password was not changed.`,
      },
      {
        p: `Every administrator is told when an administrator account is unlocked. If this was expected, there is nothing to do; otherwise contact ${p.targetName} by a channel you trust, and check the audit log for this account.`,
      },
    ],
  }),
  'admin.reset_notice': (p: AdminResetNoticeParams): EmailDraft => ({
    subject: `Admin-assisted password reset: ${p.targetLogin}`,
    preview: 'An administrator helped someone in your organisation reset a password.',
    blocks: [
      { p: `Hello ${p.displayName},` },
      {
        p: `For ${p.targetName} (${p.targetLogin}), ${p.what} on ${formatWhen(p.when)} by ${p.by}.`,
      },
      {
        p: 'Every administrator is told about admin-assisted resets. If this was expected, there is nothing to do; otherwise check the audit log for this account.',
      },
    ],
  }),
  'account.role_changed': (p: RoleChangedParams): EmailDraft => ({
    subject: 'Your role in the password reset service changed',
    preview: `The role of ${p.targetLogin} changed from ${p.from} to ${p.to}.`,
    blocks: [
      { p: `Hello ${p.displayName},` },
      { p: `On ${formatWhen(p.when)}, ${p.by} changed the role of ${p.targetLogin} from ${p.from} to ${p.to}.` },
      { p: 'If you expected this, there is nothing to do; otherwise tell your administrator now.' },
    ],
  }),
  'admin.role_notice': (p: RoleChangedParams): EmailDraft => ({
    subject: `Administrator role changed: ${p.targetLogin}`,
    preview: 'The administrators of your organisation changed.',
    blocks: [
      { p: `Hello ${p.displayName},` },
      {
        p: `On ${formatWhen(p.when)}, ${p.by} changed the role of ${p.targetName} (${p.targetLogin}) from ${p.from} to ${p.to}.`,
      },
      {
        p: 'Every administrator is told when an administrator is added or removed. If this was expected, there is nothing to do; otherwise check the audit log for this account.',
      },
    ],
  }),
  'admin.directory_notice': (p: DirectoryNoticeParams): EmailDraft => ({
    subject: 'Your organisation’s directory settings changed',
    preview: 'Where the passwords of your organisation are reset has changed.',
    blocks: [
      { p: `Hello ${p.displayName},` },
      { p: `On ${formatWhen(p.when)}, ${p.by} ${p.what}.` },
      {
        p: 'These settings decide where every password of your organisation is reset and checked (OpenLDAP or Active Directory, or sspr itself). Every administrator is told when they change.',
      },
      {
        p: 'If this was expected, there is nothing to do. Otherwise look at the Directory page and the audit log of the admin console now, and contact the person who made the change.',
      },
    ],
  }),
  'test.message': (p: TestMessageParams): EmailDraft => ({
    subject: 'sspr test email',
    preview: 'This is a test email from sspr.',
    blocks: [
      { p: 'This is a test email from sspr, the password reset service.' },
      { p: `It was requested by the operator on ${formatWhen(p.when)}.` },
      { p: 'If it reached you, email delivery works. You do not need to do anything.' },
    ],
  }),
  'help.admin_request': (p: HelpAdminRequestParams): EmailDraft => ({
    subject: `Help request from ${p.requesterName}`,
    preview: 'Someone in your organisation cannot reset their password and asked for help.',
    blocks: [
      { p: `Hello ${p.displayName},` },
      {
        p: `${p.requesterName} (${p.requesterLogin}) asked the administrators of your organisation for help with their password on ${formatWhen(p.when)}. Reference:`,
      },
      { strong: p.reference },
      {
        p: 'Read the request and answer it in the admin console: send a one-time reset link, set a temporary password, or dismiss it with a reason.',
      },
      { link: p.consoleUrl, label: 'Open the help requests' },
      {
        p: 'Before you act, make sure the request really comes from this person (for example, call them on a number you already know). Never ask anyone for a security code.',
      },
    ],
  }),
  'help.received': (p: HelpReceivedParams): EmailDraft => ({
    subject: `We received your request for help (${p.reference})`,
    preview: 'Your request for help with your password was received.',
    blocks: [
      { p: `Hello ${p.displayName},` },
      {
        p: `We received your request for help with your password on ${formatWhen(p.when)}. Your reference is:`,
      },
      { strong: p.reference },
      {
        p:
          p.routedTo === 'admins'
            ? 'We passed it to the administrators of your organisation. One of them will contact you or send you a way to reset your password.'
            : 'You are the only administrator of your organisation, so we passed it to Technical Support. They will contact you to confirm it is you before anything is changed. Keep the reference at hand.',
      },
      {
        p: 'If you did not ask for help, tell your administrator. Nobody will ever ask you for your password or a security code.',
      },
    ],
  }),
  'help.outcome': (p: HelpOutcomeParams): EmailDraft => {
    const what =
      p.outcome === 'reset_link'
        ? `${p.by} sent a one-time link to reset your password to your registered addresses. Look for it in your inbox.`
        : p.outcome === 'temp_password'
          ? `${p.by} set a temporary password for your account. They will give it to you; you will choose a new password when you sign in with it.`
          : p.outcome === 'promoted'
            ? `${p.by} made another person of your organisation an administrator. They can now help you reset your password.`
            : `${p.by} closed your request without changing anything. The reason given: ${p.reason ?? '(none)'}`;
    return {
      subject: `Your request for help was answered (${p.reference})`,
      preview: 'There is news about your request for help with your password.',
      blocks: [
        { p: `Hello ${p.displayName},` },
        { p: `Your request for help ${p.reference} was answered on ${formatWhen(p.when)}.` },
        { p: what },
        { p: 'If you did not ask for help, tell your administrator. Nobody will ever ask you for a security code.' },
      ],
    };
  },
} satisfies Record<string, (params: never, i18n: I18n) => EmailDraft>;

const SMS_TEMPLATES = {
  'security-info.sms': (p: SecurityInfoCodeParams, { t }: I18n): string =>
    t('sms.security-info.sms', { code: p.code, minutes: wholeMinutes(p.minutes) }),
  'reset.sms': (p: ResetSmsParams, { t }: I18n): string =>
    t('sms.reset.sms', { code: p.code, minutes: wholeMinutes(p.minutes) }),
  'test.message': (p: TestMessageParams, { t, locale }: I18n): string =>
    // English as in its emails; other languages with a numeric date (no month names outside GSM-7)
    t('sms.test.message', {
      when: locale === 'en' ? formatWhen(p.when) : formatDateTime(p.when, locale, 'UTC', 'numeric'),
    }),
} satisfies Record<string, (params: never, i18n: I18n) => string>;

export type EmailTemplateId = keyof typeof EMAIL_TEMPLATES;
export type SmsTemplateId = keyof typeof SMS_TEMPLATES;
export type EmailTemplateParams<K extends EmailTemplateId> = Parameters<(typeof EMAIL_TEMPLATES)[K]>[0];
export type SmsTemplateParams<K extends SmsTemplateId> = Parameters<(typeof SMS_TEMPLATES)[K]>[0];

/**
 * Message `help.contact`: where to get help, in a notice — the tenant's help desk (its email, its
 * page, or both), or its administrator. The one wording: every service's notices take it from here.
 */
export function helpText(
  helpdesk: { readonly helpdeskEmail: string | null; readonly helpdeskUrl: string | null } | null,
  locale: UiLocale = 'en',
): string {
  const { t } = i18nFor(locale);
  const email = helpdesk?.helpdeskEmail ?? null;
  const url = helpdesk?.helpdeskUrl ?? null;
  if (email && url) return t('help.contact.both', { email, url });
  if (email) return t('help.contact.email', { email });
  if (url) return t('help.contact.url', { url });
  return t('help.contact.admin');
}

export const EMAIL_TEMPLATE_IDS = Object.keys(EMAIL_TEMPLATES) as EmailTemplateId[];
export const SMS_TEMPLATE_IDS = Object.keys(SMS_TEMPLATES) as SmsTemplateId[];

export function isEmailTemplateId(id: string): id is EmailTemplateId {
  return Object.hasOwn(EMAIL_TEMPLATES, id);
}

export function isSmsTemplateId(id: string): id is SmsTemplateId {
  return Object.hasOwn(SMS_TEMPLATES, id);
}

/**
 * An email in `locale` (default English). Templates not yet in the catalogues (see docs/i18n.md)
 * are still written in English whatever the locale; their HTML part says `lang="en"`.
 */
export function renderEmail<K extends EmailTemplateId>(
  id: K,
  params: EmailTemplateParams<K>,
  locale: UiLocale = 'en',
  timeZone = 'UTC',
): EmailContent {
  const template = EMAIL_TEMPLATES[id] as (p: EmailTemplateParams<K>, i18n: I18n) => EmailDraft;
  const i18n = i18nFor(LOCALIZED_EMAILS.has(id) ? locale : 'en', timeZone);
  return composeEmail(template(params, i18n), i18n);
}

/** The email templates whose words come from the catalogues; the others are English only so far. */
export const LOCALIZED_EMAILS: ReadonlySet<EmailTemplateId> = new Set([
  'reset.code',
  'reset.completed',
  'security-info.code',
]);

/** A text message in `locale` (default English): every SMS template is in the catalogues. */
export function renderSms<K extends SmsTemplateId>(
  id: K,
  params: SmsTemplateParams<K>,
  locale: UiLocale = 'en',
): SmsContent {
  const template = SMS_TEMPLATES[id] as (p: SmsTemplateParams<K>, i18n: I18n) => string;
  return { body: gsmFriendly(oneLine(template(params, i18nFor(locale)))) };
}

/** Spaces and signs Intl writes that have a plain GSM-7 twin (a narrow no-break space, U+2212 minus). */
function gsmFriendly(s: string): string {
  return s.replace(/[\u00a0\u202f]/g, ' ').replace(/\u2212/g, '-');
}

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const ENGLISH = { locale: 'en', dir: 'ltr' } as const;

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Builds the text and HTML parts from the same blocks, so they always say the same thing. */
export function composeEmail(draft: EmailDraft, i18n: Pick<I18n, 'locale' | 'dir'> = ENGLISH): EmailContent {
  const subject = oneLine(draft.subject);
  const text = draft.blocks.map(textBlock).join('\n\n') + '\n';
  const body = draft.blocks.map(htmlBlock).join('\n');
  const html = [
    '<!doctype html>',
    `<html lang="${escapeHtml(i18n.locale)}" dir="${i18n.dir}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${escapeHtml(subject)}</title></head>`,
    '<body style="margin:0;padding:24px;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:16px;line-height:1.5;color:#1a1a1a">',
    `<div style="display:none;max-height:0;overflow:hidden">${escapeHtml(draft.preview)}</div>`,
    '<div style="max-width:560px">',
    body,
    '</div>',
    '</body>',
    '</html>',
  ].join('\n');
  return { subject, text, html };
}

function textBlock(b: EmailBlock): string {
  if ('p' in b) return b.p;
  if ('strong' in b) return `    ${b.strong}`;
  return `    ${safeHref(b.link) ?? '(link unavailable)'}`;
}

function htmlBlock(b: EmailBlock): string {
  if ('p' in b) return `<p style="margin:0 0 16px">${escapeHtml(b.p)}</p>`;
  if ('strong' in b)
    return `<p style="margin:0 0 16px;font-size:20px;letter-spacing:2px"><strong>${escapeHtml(b.strong)}</strong></p>`;
  const href = safeHref(b.link);
  if (href === null) return `<p style="margin:0 0 16px">(link unavailable)</p>`;
  return `<p style="margin:0 0 16px"><a href="${escapeHtml(href)}">${escapeHtml(b.label)}</a><br><span style="font-size:13px;word-break:break-all">${escapeHtml(href)}</span></p>`;
}

/** Only http(s) URLs without whitespace become links: a `javascript:` or broken URL never does. */
function safeHref(url: string): string | null {
  return /^https?:\/\/[^\s<>"'`]+$/i.test(url) ? url : null;
}

/** Minutes as a whole number, at least 1 (a message never says "expires in 0 minutes"). */
function wholeMinutes(minutes: number): number {
  return Math.max(1, Math.round(minutes));
}

function minutesText(minutes: number): string {
  const n = wholeMinutes(minutes);
  return n === 1 ? '1 minute' : `${n} minutes`;
}

/** `2025-03-04T09:05:00.000Z` → `4 Mar 2025, 09:05 UTC`; anything unparsable is shown as given. */
export function formatWhen(iso: string): string {
  return formatDateTime(iso, 'en', 'UTC');
}

/** Subjects and text messages are single lines: line breaks and other controls become spaces. */
function oneLine(s: string): string {
  return s
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}
