// Pure rules for external directories (OpenLDAP, Active Directory): how a typed login becomes a
// search filter, and what a directory's refusal means for the person who is stuck.
import { translator, type MessageId, type Translate } from './i18n.ts';

/** Why a directory refused an operation, as the person (or the admin) is told. */
export type DirectoryRefusal =
  /** The new password is shorter than the directory's minimum. */
  | 'too_short'
  /** It does not meet the directory's complexity (character classes, name parts) or quality check. */
  | 'not_complex'
  /** It was used before (the directory's password history). */
  | 'in_history'
  /** The password was changed too recently (minimum password age). */
  | 'too_young'
  /** The account is locked after too many wrong passwords. */
  | 'locked'
  /** The account is disabled in the directory. */
  | 'disabled'
  /** The password was set by an administrator and must be changed before anything else. */
  | 'must_change'
  /** The password (in a bind) is wrong. */
  | 'wrong_password'
  /** The directory requires an encrypted connection (a configuration problem). */
  | 'tls_required'
  /** The service account may not do this (a rights problem: the admin must fix the delegation). */
  | 'not_allowed'
  /** No server answered, or it answered too late. */
  | 'unreachable'
  /** Any other refusal: the diagnostic goes to the audit log for the admin. */
  | 'rejected';

/** The parts of an LDAP result that tell refusals apart. */
export interface DirectoryAnswer {
  /** LDAP result code (RFC 4511), or null for a transport failure (refused, reset, timeout, TLS). */
  readonly code: number | null;
  /** The server's diagnostic message (AD: `0000052D: …`; OpenLDAP: the ppolicy text). */
  readonly message: string;
}

const AD_BIND_DATA: Readonly<Record<string, DirectoryRefusal>> = {
  '52e': 'wrong_password',
  '525': 'wrong_password', // no such user: answered as a wrong password, never told apart
  '530': 'not_allowed', // not permitted to log on at this time
  '531': 'not_allowed', // not permitted from this workstation
  '532': 'must_change', // password expired
  '533': 'disabled',
  '701': 'disabled', // account expired
  '773': 'must_change',
  '775': 'locked',
};

/**
 * Classifies a directory's answer. One table for both kinds: AD and Samba put a hex code and the
 * reason in the diagnostic (`0000052D: Constraint violation - … too short …`, `data 775`), OpenLDAP's
 * ppolicy overlay puts its reason in the text of result 19 or 49.
 */
export function classifyDirectoryAnswer(answer: DirectoryAnswer): DirectoryRefusal {
  const { code } = answer;
  const text = answer.message.toLowerCase();
  if (code === null) return 'unreachable';
  // transport encryption: 13 confidentialityRequired; AD 8 strongerAuthRequired / 00002077
  if (code === 13 || (code === 8 && /transport encryption|00002077/.test(text)) || /00002077/.test(text))
    return 'tls_required';
  if (code === 49) {
    const data = /data ([0-9a-f]{3,4})/.exec(text)?.[1];
    if (data && AD_BIND_DATA[data]) return AD_BIND_DATA[data];
    if (/locked/.test(text)) return 'locked';
    if (/must be changed|pwdreset/.test(text)) return 'must_change';
    return 'wrong_password';
  }
  if (code === 50) return 'not_allowed';
  // busy, unavailable, time limit, other/server down: try again later
  if (code === 51 || code === 52 || code === 3 || code === 80 || code === 81) return 'unreachable';
  if (code === 19 || code === 53) {
    // OpenLDAP answers "fails quality checking policy" for both a short and a weak password (the
    // ppolicy response control tells them apart, which the client does not surface): the service
    // checks the directory's pwdMinLength itself before writing, so that text means quality here.
    if (/too short|pwdminlength/.test(text)) return 'too_short';
    // OpenLDAP answers the current password itself with "not being changed from existing value"
    if (/in history|already used|history of old passwords|not being changed from existing value/.test(text))
      return 'in_history';
    if (/too young|too recently|changed too soon/.test(text)) return 'too_young';
    if (/complexity|quality/.test(text)) return 'not_complex';
    if (/locked/.test(text)) return 'locked';
    return 'rejected';
  }
  return 'rejected';
}

/** The refusals a person can fix by choosing another password (the flow stays on the new-password step). */
export function isPasswordRuleRefusal(r: DirectoryRefusal): boolean {
  return r === 'too_short' || r === 'not_complex' || r === 'in_history';
}

/**
 * Escapes a value for an LDAP search filter (RFC 4515 §3): `*`, `(`, `)`, `\` and NUL become `\2a`,
 * `\28`, `\29`, `\5c`, `\00`; so does every byte outside printable ASCII, so a typed login can never
 * change the filter's structure.
 */
export function escapeFilterValue(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const safe = byte >= 0x20 && byte < 0x7f && byte !== 0x2a && byte !== 0x28 && byte !== 0x29 && byte !== 0x5c;
    out += safe ? String.fromCharCode(byte) : `\\${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/**
 * The user filter with the typed login put in its place: every `{login}` in the template becomes the
 * escaped login. The template must hold `{login}` and be one parenthesised filter.
 */
export function userFilter(template: string, login: string): string {
  return template.split('{login}').join(escapeFilterValue(login));
}

/** Checks an operator's user-filter template (settings validation). */
export function checkUserFilterTemplate(template: string): 'ok' | 'no_placeholder' | 'not_a_filter' {
  if (!template.includes('{login}')) return 'no_placeholder';
  if (!template.startsWith('(') || !template.endsWith(')')) return 'not_a_filter';
  let depth = 0;
  for (const ch of template) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return 'not_a_filter';
  }
  return depth === 0 ? 'ok' : 'not_a_filter';
}

/**
 * Words of a check step: a catalogue message (`directory.check.*`) with its arguments, or text as
 * the directory gave it (a diagnostic, a DN), the same in every language.
 */
export type CheckText =
  | { readonly id: CheckMessageId; readonly params?: Readonly<Record<string, string | number>> }
  | { readonly raw: string };
export type CheckMessageId = Extract<MessageId, `directory.check.${string}`>;

/** One line of `sspr directory check`: what was tried, how it went, and what to fix. */
export interface DirectoryCheckStep {
  /** Stable id: `connect`, `tls`, `service_bind`, `test_account`, `password_rules`, `policy_hints`, `reset_right`, `unlock_right`, `protected_accounts`. */
  readonly id: string;
  /** What was checked, for the operator (English: the CLI's words). */
  readonly title: string;
  /** pass; warn (works, with a weakness to know); fail (resets will not work); skip (could not be checked without changing anyone). */
  readonly status: 'pass' | 'warn' | 'fail' | 'skip';
  readonly detail: string;
  /** What to do when it is not a pass. */
  readonly fix?: string;
  /** The same words as catalogue messages, for the console and the API in the reader's language. */
  readonly words?: { readonly title: CheckText; readonly detail: CheckText; readonly fix?: CheckText };
}

/** A check text in a language: the catalogue's message, or the directory's own text as given. */
export function checkText(t: Translate, text: CheckText): string {
  return 'raw' in text ? text.raw : t(text.id, text.params);
}

/** `{ id, params }`: a catalogue message of a check step. */
export function said(id: CheckMessageId, params?: Readonly<Record<string, string | number>>): CheckText {
  return params ? { id, params } : { id };
}

/** `{ raw }`: the directory's own words (a diagnostic, a DN), kept as given. */
export function asGiven(raw: string): CheckText {
  return { raw };
}

/** A check step from its words: the English title, detail and fix (what the CLI prints) and the words for other languages. */
export function checkStep(
  id: string,
  status: DirectoryCheckStep['status'],
  words: { readonly title: CheckText; readonly detail: CheckText; readonly fix?: CheckText },
): DirectoryCheckStep {
  const en = translator('en');
  return {
    id,
    title: checkText(en, words.title),
    status,
    detail: checkText(en, words.detail),
    ...(words.fix ? { fix: checkText(en, words.fix) } : {}),
    words,
  };
}

/** A step's title, detail and fix in a language (a step without words keeps its own text). */
export function stepIn(
  t: Translate,
  step: DirectoryCheckStep,
): { readonly title: string; readonly detail: string; readonly fix?: string } {
  const w = step.words;
  if (!w) return { title: step.title, detail: step.detail, ...(step.fix !== undefined ? { fix: step.fix } : {}) };
  return {
    title: checkText(t, w.title),
    detail: checkText(t, w.detail),
    ...(w.fix ? { fix: checkText(t, w.fix) } : {}),
  };
}

export interface DirectoryCheckReport {
  readonly steps: readonly DirectoryCheckStep[];
  /** ready: resets will work; not_ready: at least one step failed. */
  readonly verdict: 'ready' | 'not_ready';
}

/** The verdict is "ready" only when no step failed (warnings and skips are listed, not blocking). */
export function checkVerdict(steps: readonly DirectoryCheckStep[]): DirectoryCheckReport {
  return { steps, verdict: steps.some((s) => s.status === 'fail') ? 'not_ready' : 'ready' };
}
