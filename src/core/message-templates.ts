/**
 * Message templates: a template id and its parameters in, the words of an email or a text
 * message out. Pure: no clock, no I/O. Every parameter is HTML-escaped in the HTML part by
 * construction (a template returns plain-text blocks; the HTML is built from them here), and
 * the text part never carries markup.
 *
 * The registry is small on purpose: adding `reset.code`, `reset.link`… means adding one entry
 * to `EMAIL_TEMPLATES` (and `SMS_TEMPLATES` when it also goes by text message).
 */

import { formatDateTime, i18nFor, type I18n, type MessageId, type Translate, type UiLocale } from './i18n.ts';

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
  | { readonly p: string }
  | { readonly strong: string }
  | { readonly link: string; readonly label: string };

interface EmailDraft {
  readonly subject: string;
  /** A short line shown by mail clients next to the subject; never a secret. */
  readonly preview: string;
  readonly blocks: readonly EmailBlock[];
}

export interface SecurityInfoChangedParams {
  readonly displayName: string;
  readonly kind: 'email' | 'phone' | 'authenticator' | 'passkey';
  /** The new value, already masked (`a••••@example.com`, `••• ••• ••23`); `added` or `removed` for the authenticator app. */
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

/** A recovery code of the consoles' second factor was used to sign in (core/console-factor.ts). */
export interface SecondFactorResetParams {
  readonly displayName: string;
  readonly login: string;
  /** ISO 8601 time of the reset. */
  readonly when: string;
  /** IP address the administrator or operator acted from, or `unknown`. */
  readonly ip: string;
  /** Who reset it: the administrator by name and login, or Technical Support. */
  readonly by: NoticeWords;
  readonly helpText: string;
}

export interface RecoveryCodeUsedParams {
  readonly displayName: string;
  readonly login: string;
  /** ISO 8601 time of the sign-in. */
  readonly when: string;
  /** IP address the sign-in came from, or `unknown`. */
  readonly ip: string;
  /** Recovery codes left. */
  readonly left: number;
  readonly helpText: string;
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
  readonly issuedBy: NoticeWords;
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
  /** `a one-time reset link was sent`, `a temporary password was set`, … */
  readonly what: NoticeWords;
  /** Who did it, e.g. `Avery Admin (admin@contoso.example)` or `Technical Support`. */
  readonly by: NoticeWords;
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
  readonly by: NoticeWords;
  readonly helpText: string;
}

/** To the tenant's other administrators when an administrator's account was unlocked. */
export interface AdminUnlockNoticeParams {
  /** The administrator receiving the notice. */
  readonly displayName: string;
  readonly targetLogin: string;
  readonly targetName: string;
  readonly by: NoticeWords;
  readonly when: string;
  readonly ip: string;
}

/** A tenant's directory settings changed (or were removed): told to every other administrator. */
export interface DirectoryNoticeParams {
  /** The person receiving the notice. */
  readonly displayName: string;
  /** What happened, e.g. `changed the directory settings (urls, bindDn)`. */
  readonly what: NoticeWords;
  readonly by: NoticeWords;
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
  readonly by: NoticeWords;
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
  readonly outcome: 'reset_link' | 'temp_password' | 'dismissed' | 'promoted' | 'second_factor_reset';
  /** `an administrator of your organisation` or `Technical Support` (the sentence starts with it). */
  readonly by: NoticeWords;
  /** The reason given for a dismissal (as the administrator typed it). */
  readonly reason: string | null;
}

export interface TestMessageParams {
  /** ISO 8601 time the operator asked for the test. */
  readonly when: string;
}

/** A phrase of the catalogue that services pass into notices (`email.phrase.*`). */
export type NoticePhraseId = Extract<MessageId, `email.phrase.${string}`>;

/**
 * Words a service passes into a notice (who acted, what was done): a catalogue phrase with its
 * arguments, rendered in the recipient's language, or a name as given (an administrator's
 * `Avery Admin (admin@contoso.example)`), never an English sentence.
 */
export type NoticeWords =
  | { readonly phrase: NoticePhraseId; readonly params?: Readonly<Record<string, string>> }
  | { readonly name: string };

/** `{ phrase: id, params }`: a catalogue phrase for a notice. */
export function noticePhrase(phrase: NoticePhraseId, params?: Readonly<Record<string, string>>): NoticeWords {
  return params ? { phrase, params } : { phrase };
}

/** `{ name }`: a person's name (and login) as given, the same in every language. */
export function noticeName(name: string): NoticeWords {
  return { name };
}

function phrase(t: Translate, w: NoticeWords): string {
  return 'name' in w ? w.name : t(w.phrase, w.params);
}

function capitalise(s: string): string {
  return s.length > 0 ? s[0]!.toLocaleUpperCase() + s.slice(1) : s;
}

function role(t: Translate, r: string): string {
  return t('email.role', { role: r });
}

const EMAIL_TEMPLATES = {
  'security-info.changed': (p: SecurityInfoChangedParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.security-info.changed.subject', { kind: p.kind }),
    preview: t('email.security-info.changed.preview', { kind: p.kind }),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      { p: t('email.security-info.changed.setTo', { kind: p.kind }) },
      {
        strong:
          p.kind === 'authenticator'
            ? t('email.security-info.changed.authenticator', {
                change: p.maskedValue === 'removed' ? 'removed' : 'added',
              })
            : p.kind === 'passkey'
              ? t('email.security-info.changed.passkey', {
                  change: p.maskedValue === 'removed' ? 'removed' : 'added',
                })
              : p.maskedValue,
      },
      {
        p: t('email.security-info.changed.when', {
          when: when(p.when),
          changedBy: p.changedBy === 'you' ? 'you' : p.changedBy === 'directory' ? 'directory' : 'admin',
        }),
      },
      { p: t('email.security-info.changed.ifYou') },
      {
        p: [
          t('email.security-info.changed.ifNot'),
          p.resetUrl ? t('email.security-info.changed.resetAt', { url: p.resetUrl }) : '',
          p.helpText,
        ]
          .filter((s) => s !== '')
          .join(' ')
          .trim(),
      },
      { p: t('email.neverAsk') },
    ],
  }),
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
  'caller.code': (p: SecurityInfoCodeParams, { t }: I18n): EmailDraft => ({
    // the code is never in the subject or the preview
    subject: t('email.caller.code.subject'),
    preview: t('email.caller.code.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      { p: t('email.caller.code.asked') },
      { strong: p.code },
      { p: t('email.caller.code.expires', { minutes: wholeMinutes(p.minutes) }) },
      { p: t('email.caller.code.ignore') },
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
  'reset.blocked_link': (p: ResetBlockedLinkParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.reset.blocked_link.subject'),
    preview: t('email.reset.blocked_link.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      { p: t('email.reset.blocked_link.asked', { when: when(p.when), until: when(p.until) }) },
      { p: t('email.reset.blocked_link.noCode') },
      { link: p.link, label: t('email.reset.code.linkLabel') },
      { p: t('email.reset.blocked_link.expires', { minutes: wholeMinutes(p.minutes) }) },
      { p: t('email.reset.blocked_link.help', { helpText: p.helpText }).trim() },
      { p: t('email.reset.ignoreNotChanged') },
    ],
  }),
  'reset.blocked': (p: ResetBlockedParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.reset.blocked.subject'),
    preview: t('email.reset.blocked.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      { p: t('email.reset.blocked.what', { when: when(p.when), login: p.login, until: when(p.until) }) },
      { p: t('email.reset.blocked.maybeNot') },
      { p: t('email.reset.blocked.still') },
      { link: p.resetUrl, label: t('email.reset.blocked.linkLabel') },
      { p: t('email.reset.blocked.help', { helpText: p.helpText }).trim() },
    ],
  }),
  'reset.admin_notice': (p: ResetAdminNoticeParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.reset.admin_notice.subject', { adminLogin: p.adminLogin }),
    preview: t('email.reset.admin_notice.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      {
        p: t('email.reset.admin_notice.what', {
          adminName: p.adminName,
          adminLogin: p.adminLogin,
          when: when(p.when),
          ip: p.ip,
        }),
      },
      { p: t('email.reset.admin_notice.why') },
      { p: t('email.reset.admin_notice.ifNot', { adminName: p.adminName }) },
    ],
  }),
  'admin.reset_link': (p: AdminResetLinkParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.admin.reset_link.subject'),
    preview: t('email.admin.reset_link.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      {
        p: t('email.admin.reset_link.what', { when: when(p.when), issuedBy: phrase(t, p.issuedBy), login: p.login }),
      },
      { link: p.link, label: t('email.admin.reset_link.linkLabel') },
      { p: t('email.admin.reset_link.expires', { hours: p.hours }) },
      { p: t('email.admin.reset_link.ifNot', { helpText: p.helpText }).trim() },
    ],
  }),
  'admin.temp_password': (p: AdminTempPasswordParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.admin.temp_password.subject'),
    preview: t('email.admin.temp_password.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      { p: t('email.admin.temp_password.what', { when: when(p.when), login: p.login }) },
      { p: t('email.admin.temp_password.how', { hours: p.hours }) },
      { p: t('email.admin.temp_password.ifNot', { helpText: p.helpText }).trim() },
    ],
  }),
  'account.unlocked': (p: AccountUnlockedParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.account.unlocked.subject'),
    preview: t('email.account.unlocked.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      { p: t('email.account.unlocked.what', { login: p.login, when: when(p.when), by: phrase(t, p.by), ip: p.ip }) },
      { p: t('email.account.unlocked.ifYou') },
      { p: t('email.account.unlocked.ifNot', { helpText: p.helpText }).trim() },
    ],
  }),
  'console.recovery-code-used': (p: RecoveryCodeUsedParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.console.recovery_used.subject'),
    preview: t('email.console.recovery_used.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      { p: t('email.console.recovery_used.what', { login: p.login, when: when(p.when), ip: p.ip, left: p.left }) },
      { p: t('email.console.recovery_used.ifNot', { helpText: p.helpText }).trim() },
    ],
  }),
  'admin.second_factor_reset': (p: SecondFactorResetParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.admin.factor_reset.subject'),
    preview: t('email.admin.factor_reset.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      {
        p: t('email.admin.factor_reset.what', {
          by: capitalise(phrase(t, p.by)),
          login: p.login,
          when: when(p.when),
          ip: p.ip,
        }),
      },
      { p: t('email.admin.factor_reset.next') },
      { p: t('email.admin.factor_reset.ifNot', { helpText: p.helpText }).trim() },
    ],
  }),
  'admin.unlock_notice': (p: AdminUnlockNoticeParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.admin.unlock_notice.subject', { targetLogin: p.targetLogin }),
    preview: t('email.admin.unlock_notice.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      {
        p: t('email.admin.unlock_notice.what', {
          targetName: p.targetName,
          targetLogin: p.targetLogin,
          when: when(p.when),
          by: phrase(t, p.by),
          ip: p.ip,
        }),
      },
      { p: t('email.admin.unlock_notice.why', { targetName: p.targetName }) },
    ],
  }),
  'admin.reset_notice': (p: AdminResetNoticeParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.admin.reset_notice.subject', { targetLogin: p.targetLogin }),
    preview: t('email.admin.reset_notice.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      {
        p: t('email.admin.reset_notice.what', {
          targetName: p.targetName,
          targetLogin: p.targetLogin,
          what: phrase(t, p.what),
          when: when(p.when),
          by: phrase(t, p.by),
        }),
      },
      { p: t('email.admin.reset_notice.why') },
    ],
  }),
  'account.role_changed': (p: RoleChangedParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.account.role_changed.subject'),
    preview: t('email.account.role_changed.preview', {
      targetLogin: p.targetLogin,
      from: role(t, p.from),
      to: role(t, p.to),
    }),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      {
        p: t('email.account.role_changed.what', {
          when: when(p.when),
          by: phrase(t, p.by),
          targetLogin: p.targetLogin,
          from: role(t, p.from),
          to: role(t, p.to),
        }),
      },
      { p: t('email.account.role_changed.ifNot') },
    ],
  }),
  'admin.role_notice': (p: RoleChangedParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.admin.role_notice.subject', { targetLogin: p.targetLogin }),
    preview: t('email.admin.role_notice.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      {
        p: t('email.admin.role_notice.what', {
          when: when(p.when),
          by: phrase(t, p.by),
          targetName: p.targetName,
          targetLogin: p.targetLogin,
          from: role(t, p.from),
          to: role(t, p.to),
        }),
      },
      { p: t('email.admin.role_notice.why') },
    ],
  }),
  'admin.directory_notice': (p: DirectoryNoticeParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.admin.directory_notice.subject'),
    preview: t('email.admin.directory_notice.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      {
        p: t('email.admin.directory_notice.what', { when: when(p.when), by: phrase(t, p.by), what: phrase(t, p.what) }),
      },
      { p: t('email.admin.directory_notice.why') },
      { p: t('email.admin.directory_notice.ifNot') },
    ],
  }),
  'test.message': (p: TestMessageParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.test.message.subject'),
    preview: t('email.test.message.preview'),
    blocks: [
      { p: t('email.test.message.intro') },
      { p: t('email.test.message.when', { when: when(p.when) }) },
      { p: t('email.test.message.works') },
    ],
  }),
  'help.admin_request': (p: HelpAdminRequestParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.help.admin_request.subject', { requesterName: p.requesterName }),
    preview: t('email.help.admin_request.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      {
        p: t('email.help.admin_request.what', {
          requesterName: p.requesterName,
          requesterLogin: p.requesterLogin,
          when: when(p.when),
        }),
      },
      { strong: p.reference },
      { p: t('email.help.admin_request.act') },
      { link: p.consoleUrl, label: t('email.help.admin_request.linkLabel') },
      { p: t('email.help.admin_request.verify') },
    ],
  }),
  'help.received': (p: HelpReceivedParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.help.received.subject', { reference: p.reference }),
    preview: t('email.help.received.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      { p: t('email.help.received.what', { when: when(p.when) }) },
      { strong: p.reference },
      { p: t('email.help.received.routed', { routedTo: p.routedTo }) },
      { p: t('email.help.received.ifNot') },
    ],
  }),
  'help.outcome': (p: HelpOutcomeParams, { t, when }: I18n): EmailDraft => ({
    subject: t('email.help.outcome.subject', { reference: p.reference }),
    preview: t('email.help.outcome.preview'),
    blocks: [
      { p: t('email.hello', { displayName: p.displayName }) },
      { p: t('email.help.outcome.answered', { reference: p.reference, when: when(p.when) }) },
      {
        p: t('email.help.outcome.what', {
          outcome: p.outcome,
          // the sentence starts with it
          by: capitalise(phrase(t, p.by)),
          reason: p.reason ?? t('email.help.outcome.noReason'),
        }),
      },
      { p: t('email.help.outcome.ifNot') },
    ],
  }),
} satisfies Record<string, (params: never, i18n: I18n) => EmailDraft>;

const SMS_TEMPLATES = {
  'security-info.sms': (p: SecurityInfoCodeParams, { t }: I18n): string =>
    t('sms.security-info.sms', { code: p.code, minutes: wholeMinutes(p.minutes) }),
  'caller.notice_sms': (_p: Record<string, never>, { t }: I18n): string => t('sms.caller.notice'),
  'caller.factor_notice_sms': (_p: Record<string, never>, { t }: I18n): string => t('sms.caller.factorNotice'),
  'security-info.strong_added_sms': (p: { kind: 'authenticator' | 'passkey' }, { t }: I18n): string =>
    t(p.kind === 'passkey' ? 'sms.security-info.passkeyAdded' : 'sms.security-info.authenticatorAdded'),
  'caller.sms': (p: SecurityInfoCodeParams, { t }: I18n): string =>
    t('sms.caller.sms', { code: p.code, minutes: wholeMinutes(p.minutes) }),
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
 * An email in `locale` (default English), dates in `timeZone` with the zone shown. Every email
 * template's words come from the catalogues (`email.<template id>.*`).
 */
export function renderEmail<K extends EmailTemplateId>(
  id: K,
  params: EmailTemplateParams<K>,
  locale: UiLocale = 'en',
  timeZone = 'UTC',
): EmailContent {
  const template = EMAIL_TEMPLATES[id] as (p: EmailTemplateParams<K>, i18n: I18n) => EmailDraft;
  const i18n = i18nFor(locale, timeZone);
  return composeEmail(template(params, i18n), i18n);
}

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
