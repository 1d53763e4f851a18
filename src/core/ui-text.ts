import { catalogue, type I18n, type MessageId } from './i18n.ts';
import { formatWhen } from './message-templates.ts';

/**
 * Every user-facing sentence of the reset flow, keyed by a stable id (ready for translation).
 * Pages and the JSON API both take their words from here; the API also returns the id as its
 * error code. Written for a person who is stuck: what happened, what to do next.
 */
export interface ProblemText {
  readonly title: string;
  readonly message: string;
}

/** A problem's words from the English catalogue (locales/en.json: `problem.<id>.title`, `.message`). */
function englishProblem(id: string): ProblemText {
  const en = catalogue('en');
  const title = en[`problem.${id}.title`];
  const message = en[`problem.${id}.message`];
  if (title === undefined || message === undefined) throw new Error(`problem.${id} is missing from locales/en.json`);
  return { title, message };
}

/** The seed article's message, word for word: shown for a wrong code, an expired code and a used or killed code alike. */
export const INVALID_SECURITY_CODE: ProblemText = englishProblem('invalid_code');

/**
 * The error codes a step of the flow can answer with; their words are in the catalogues
 * (`problem.<code>.title` / `.message`, in every locale). STEP_PROBLEMS is the English.
 */
export const STEP_PROBLEM_IDS = [
  'invalid_code',
  'code_superseded',
  'passkey_refused',
  'method_cooling_off',
  'sms_paused',
  'code_malformed',
  'flow_not_found',
  'flow_expired',
  'flow_completed',
  'wrong_step',
  'wrong_browser',
  'resend_too_soon',
  'too_many_codes',
  'phone_invalid',
  'password_mismatch',
  'password_reused',
  'password_too_short',
  'password_too_long',
  'password_common',
  'password_personal',
  'password_repetitive',
  'login_invalid',
  'captcha_failed',
  'rate_limited',
  'service_unavailable',
  // the organisation's directory (OpenLDAP, Active Directory) refused the new password: nothing was changed
  'directory_too_short',
  'directory_not_complex',
  'directory_in_history',
  'directory_too_young',
  'directory_locked',
  'directory_disabled',
  'directory_must_change',
  'directory_tls_required',
  'directory_not_allowed',
  'directory_rejected',
  'directory_unreachable',
] as const;

export type StepProblemId = (typeof STEP_PROBLEM_IDS)[number];

/** Problems a step of the flow can answer with, by error code, in English. */
export const STEP_PROBLEMS: Readonly<Record<StepProblemId, ProblemText>> = Object.fromEntries(
  STEP_PROBLEM_IDS.map((id) => [id, englishProblem(id)]),
) as Record<StepProblemId, ProblemText>;

/**
 * For an administrator (console, CLI) whose change the directory refused; `{reason}` is the error
 * code's meaning from core/error-codes.ts.
 */
export const DIRECTORY_REFUSED_FOR_ADMIN: ProblemText = {
  title: 'The directory refused the password',
  message:
    "{reason} Nothing was changed: the account keeps its password. The directory's own answer is in the audit log (event directory.write_refused).",
};

/** One line in the admin console when the tenant's directory skips its password history on resets. */
export const DIRECTORY_HISTORY_NOT_ON_RESET =
  "Your directory does not check a person's earlier passwords when sspr resets them (it lacks the password-policy-hints control): only the passwords set through sspr are refused as used before.";

/** Added on a reset page after `directory_unreachable`: the flow waits on the new-password step. */
export const RESET_STAYS_OPEN = catalogue('en')['problem.reset_stays_open']!;

/** A form of the consoles (admin, support) or of the assisted reset page that expired or came from another page. */
export const CONSOLE_FORM_EXPIRED: ProblemText = {
  title: 'This form has expired',
  message: 'This form expired or was sent from another page, so nothing was changed. Reload the page and try again.',
};

/** What every dead end offers besides starting over. */
export const CONTACT_ADMIN = {
  title: 'Still stuck?',
  message:
    'Contact your company administrator to reset your password. If you are the only administrator in your company, contact Technical Support.',
  /** The link to the built-in help request form (`/help`). */
  helpLink: 'Contact your administrator',
} as const;

/**
 * Fills `{name}` placeholders of a catalogue text. Unknown placeholders are left as they are, so
 * a missing value shows up in review instead of vanishing.
 */
export function formatText(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{([a-zA-Z]+)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? String(values[name]) : whole,
  );
}

/**
 * A problem's words with `{time}` filled from a step's `detail` (ms since the epoch, as the
 * service gives it for `code_superseded` and `sms_paused`), e.g. `4 Mar 2025, 09:05 UTC`.
 */
export function withTime(problem: ProblemText, detail: string | undefined): ProblemText {
  if (!problem.message.includes('{time}')) return problem;
  const at = Number(detail);
  const time = detail !== undefined && Number.isFinite(at) ? formatWhen(new Date(at).toISOString()) : 'recently';
  return { title: problem.title, message: formatText(problem.message, { time }) };
}

/** Problems the reset pages add to STEP_PROBLEMS (the form itself, not a step of the flow). */
export const PAGE_PROBLEMS = {
  csrf_invalid: englishProblem('csrf_invalid'),
} as const satisfies Record<string, ProblemText>;

/**
 * A problem in a person's language, `{time}` filled from a step's `detail` (ms since the epoch)
 * in their locale and time zone. `directory_unreachable` with a detail adds when the reset
 * stays open until.
 */
export function problemIn(
  i18n: Pick<I18n, 't' | 'when'>,
  id: StepProblemId | keyof typeof PAGE_PROBLEMS,
  detail?: string,
): ProblemText {
  const at = Number(detail);
  const time = detail !== undefined && Number.isFinite(at) ? i18n.when(at) : i18n.t('time.recently');
  const title = i18n.t(`problem.${id}.title` as MessageId);
  const message = i18n.t(`problem.${id}.message` as MessageId, { time });
  if (id === 'directory_unreachable' && detail !== undefined) {
    return { title, message: `${message} ${i18n.t('problem.reset_stays_open', { time })}` };
  }
  return { title, message };
}

/**
 * Every other word of the reset pages: titles, labels, buttons, hints, keyed by page. `{name}`
 * placeholders are filled with `formatText`.
 */
export const RESET_PAGE_TEXT = {
  common: {
    stepOf: 'Step {step} of {total}',
    step: 'Step {step}',
    expiresAt: 'This reset expires at {time}',
    expiresIn: 'in {minutes, plural, one {# minute} other {# minutes}}',
    expiresInOne: 'in 1 minute',
    expiresSoon: 'in less than a minute',
    timeZoneUtc: 'UTC',
    startNew: 'Start a new reset',
    problemHeading: 'There is a problem',
    stepLabel: 'Progress',
    reference: 'If you contact support, quote this reference: {id}',
  },
  start: {
    title: 'Reset your password',
    intro:
      'Forgot your password, or locked out? Prove it is you with the email address or phone you registered, then choose a new password.',
    loginLabel: 'User ID',
    loginHint: 'Your work sign-in name, like name@company.com.',
    captchaLabel: 'Confirm you are a person',
    captchaHint: 'Your browser solves a short puzzle: no pictures to pick. It needs JavaScript.',
    noScript:
      'This page needs JavaScript for the anti-robot check. Turn on JavaScript, or ask your administrator to reset your password.',
    submit: 'Next',
  },
  emailCode: {
    title: 'Check your email',
    sentTo: 'We sent an email to {email}.',
    whatNext:
      'Open the link from the email in this browser, or type the security code from the email here. They work for {minutes, plural, one {# minute} other {# minutes}}. If the email says codes are paused, use the link.',
    codeLabel: 'Security code',
    codeHint: '6 digits, like 123456.',
    verify: 'Verify',
    noEmail: 'No email? Check your spam or junk folder, or ask for a new code.',
    resend: 'Send a new code',
    resendAfter: 'You can ask for a new code after {time}.',
    noCodesLeft: 'No more codes can be sent for this reset.',
    usePhone: 'Text my phone instead',
  },
  phoneNumber: {
    title: 'Confirm your mobile phone',
    intro:
      'Type the full mobile number registered on your account. We send a code by text message only when it matches.',
    masked: 'The number on your account ends like this: {phone}.',
    phoneLabel: 'Mobile phone number',
    phoneHint: 'With the country code, like +44 7700 900123.',
    submit: 'Send code',
    backToEmail: 'Use email instead',
  },
  smsCode: {
    title: 'Enter the code we texted you',
    sentTo: 'If the number matched, we sent a code by text message to {phone}.',
    sentToUnknown: 'If the number matched, we sent a code by text message.',
    twoStepHint:
      'Accounts that need two checks must confirm the email step first: the text message is sent only after that. If no text arrives, use email instead.',
    codeLabel: 'Security code',
    codeHint: '6 digits, like 123456.',
    verify: 'Verify',
    resend: 'Send a new code',
    retypePhone: 'Change the number',
    backToEmail: 'Use email instead',
  },
  newPassword: {
    title: 'Choose a new password',
    intro: 'Almost done. Choose a password you do not use anywhere else.',
    minLength: 'Use at least {min} characters. A few unrelated words make a long password that is easy to remember.',
    directoryRules: "Your organisation's directory, where your password is kept, also checks it:",
    directoryMinLength: 'at least {min} characters;',
    directoryComplexity:
      'characters of at least three kinds (capital letters, small letters, digits, symbols), and not your name or user ID;',
    directoryHistory: '{count, plural, one {not your last password.} other {not one of your last # passwords.}}',
    directoryNoHistoryOnReset:
      'The directory does not check your earlier passwords on a reset; we still refuse the ones you set here before.',
    passwordLabel: 'New password',
    confirmLabel: 'Type it again',
    submit: 'Change password',
  },
  completed: {
    title: 'Your password was changed',
    message:
      'Sign in with your new password. For your security, you were signed out everywhere, and we sent a notice to your email addresses.',
    signIn: 'Sign in',
  },
  invalidCode: {
    linkText: 'click here',
    tryAgain: 'Type the code again',
  },
  link: {
    title: 'Continue your password reset',
    intro:
      'Select Continue to confirm your email address. Use the same browser where you asked to reset your password.',
    submit: 'Continue',
  },
} as const;

/**
 * The notice every reset page and API answer carries while a delivery channel has been failing for
 * more than a minute (core/delivery-health.ts). It depends only on the channels, never on the
 * login or the account, so it reveals nothing about anyone.
 */
export const MESSAGES_DELAYED = {
  email: {
    title: 'Emails are running late',
    message:
      'Our email service is having trouble right now, so emails with security codes and links may arrive late. Meanwhile you can: use a text message to your mobile phone instead, if this reset offers it; wait a few minutes and check your inbox and spam or junk folder (we keep trying); or contact your administrator.',
  },
  sms: {
    title: 'Text messages are running late',
    message:
      'Our text message service is having trouble right now, so security codes sent by text message may arrive late. Meanwhile you can: use the code or link we email you instead, if this reset offers it; wait a few minutes (we keep trying); or contact your administrator.',
  },
  both: {
    title: 'Emails and text messages are running late',
    message:
      'Our email and text message services are having trouble right now, so security codes and links may arrive late. Meanwhile you can wait a few minutes and check your inbox, spam or junk folder and phone (we keep trying), or contact your administrator.',
  },
} as const satisfies Record<string, ProblemText>;

/** The notice for the channels that are delayed, or null when none is. */
export function messagesDelayedText(channels: readonly ('email' | 'sms')[]): ProblemText | null {
  const email = channels.includes('email');
  const sms = channels.includes('sms');
  if (email && sms) return MESSAGES_DELAYED.both;
  if (email) return MESSAGES_DELAYED.email;
  if (sms) return MESSAGES_DELAYED.sms;
  return null;
}

// ---- directory accounts: unlocking without a reset (issue 11 item 6) ------------------------

/** Unlocking a directory account without changing its password: the reset's last step, the console. */
export const UNLOCK_TEXT = {
  offerTitle: 'Or: unlock your account and keep your password',
  offer:
    "If your account was locked after too many wrong passwords and you remember your password, you don't need a new one: unlock the account and sign in with the password you have.",
  button: 'Unlock my account, keep my password',
  doneTitle: 'Your account is unlocked',
  doneMessage:
    'Your password was not changed: sign in with the password you have. If it is locked again soon, someone may be guessing at it: reset your password and tell your administrator.',
  signIn: 'Go to sign-in',
  console: {
    heading: 'Directory lock',
    locked: 'Locked in the directory after too many wrong passwords: the person cannot sign in anywhere that uses it.',
    notLocked: 'Not locked in the directory.',
    unknown: 'The directory did not answer, so its lock could not be read. Try again in a few minutes.',
    button: 'Unlock in directory',
    hint: 'Clears the lock only: the password stays as it is, and the person is told by email.',
    done: 'The account was unlocked in the directory. Its password was not changed; the person was told.',
    notDirectory: {
      title: 'Nothing to unlock',
      message:
        "This account's password is kept by this service, not by a directory, so it has no directory lock. Wrong passwords here only slow sign-in down for a while.",
    },
  },
} as const;
