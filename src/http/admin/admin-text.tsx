import type { ComponentChildren, VNode } from 'preact';
import type { Denial } from '../../core/admin-rules.ts';
import type { DirectoryWriteError } from '../../core/directory-refusals.ts';
import { translator, type MessageId, type Translate, type UiLocale } from '../../core/i18n.ts';
import type { ProblemText } from '../../core/ui-text.ts';
import type { CallerRefusal } from '../../core/caller-verification.ts';

/**
 * The admin console's words that are not one page's: refusals, notices and the helpers that put
 * a login, code or address inside translated text. Every word comes from the catalogues
 * (`admin.*` in locales/<locale>.json).
 */

/** A login, phone number, address or code inside text: kept left to right in right-to-left pages. */
export function Ltr({ children }: { children?: ComponentChildren }): VNode {
  return <bdi class="ltr">{children}</bdi>;
}

/** "@a.example or @b.example" in the page's language. */
export function orList(items: readonly string[], locale: UiLocale): string {
  const lang = locale === 'en-XA' ? 'en' : locale;
  return new Intl.ListFormat(lang, { type: 'disjunction' }).format(items);
}

export type DenialId = Denial | CallerRefusal | 'mode_not_allowed' | 'no_methods';

/** Why an action is not offered or was refused, in words (never "403"). */
export function denialText(t: Translate, denial: DenialId): ProblemText {
  return {
    title: t(`admin.denial.${denial}.title` as MessageId),
    message: t(`admin.denial.${denial}.message` as MessageId),
  };
}

/** The notices a console action leaves on the user's page (`?done=<id>`). */
export const DONE_NOTICE_IDS = [
  'link_sent',
  'unblocked',
  'unlocked',
  'methods',
  'role',
  'created',
  'caller_sent',
  'caller_verified',
  'factor_reset',
] as const;
export type DoneNoticeId = (typeof DONE_NOTICE_IDS)[number];

export function isDoneNotice(value: unknown): value is DoneNoticeId {
  return typeof value === 'string' && (DONE_NOTICE_IDS as readonly string[]).includes(value);
}

export function doneNoticeText(t: Translate, id: DoneNoticeId): string {
  return t(`admin.users.done.${id}` as MessageId);
}

/** For an administrator whose change the directory refused: why, and that nothing changed. */
export function directoryRefusedText(t: Translate, error: DirectoryWriteError): ProblemText {
  return {
    title: t('admin.users.directoryRefused.title'),
    message: t('admin.users.directoryRefused.message', {
      reason: t(`admin.users.directoryReason.${error}` as MessageId),
    }),
  };
}

/** A console form that expired or came from another page. */
export function formExpiredText(t: Translate): ProblemText {
  return { title: t('admin.formExpired.title'), message: t('admin.formExpired.message') };
}

const DENIAL_IDS: readonly DenialId[] = [
  'self',
  'needs_global_admin',
  'other_tenant',
  'scope_missing',
  'not_allowed',
  'mode_not_allowed',
  'no_methods',
  'caller_not_verified',
  'approval_required',
];

/** The refusals in English (for callers without a request's language; pages use `denialText`). */
export const DENIAL_TEXT: Readonly<Record<DenialId, ProblemText>> = Object.fromEntries(
  DENIAL_IDS.map((id) => [id, denialText(translator('en'), id)]),
) as Record<DenialId, ProblemText>;
