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

/** The seed article's message, word for word: shown for a wrong code, an expired code and a used or killed code alike. */
export const INVALID_SECURITY_CODE: ProblemText = {
  title: 'Invalid Security Code',
  message:
    'This security code you entered does not match the code we sent, or it has expired. To start a new password reset request, click here.',
};

/** Problems a step of the flow can answer with, by error code. */
export const STEP_PROBLEMS = {
  invalid_code: INVALID_SECURITY_CODE,
  code_superseded: {
    title: 'Use the newest code',
    message:
      'This code was replaced by a newer one, sent at {time}. Type the code from the newest email or text message; older codes no longer work. Typing an older code does not count as a wrong code.',
  },
  sms_paused: {
    title: 'Text message codes are paused',
    message:
      'Your email is confirmed, but text message codes for your account are paused until {time}, because too many wrong codes were typed. That may not have been you. Nothing was changed. Contact your administrator to reset your password, or start a new reset after that time.',
  },
  code_malformed: {
    title: 'Check the code',
    message: 'A security code is 6 digits, like 123456. Type it again, or ask for a new one.',
  },
  flow_not_found: {
    title: 'Start again in this browser',
    message:
      'We could not find a password reset in progress in this browser. A reset must be finished in the same browser where it started, within 60 minutes. If you closed that browser or switched devices, start a new reset.',
  },
  flow_expired: {
    title: 'This reset has ended',
    message:
      'A password reset ends 60 minutes after the first email we sent, when a newer reset is started, or when too many wrong codes were typed for the account. Nothing was changed. Start a new reset: if codes are paused for your account, the email we send has a link that still works.',
  },
  flow_completed: {
    title: 'This reset is already finished',
    message:
      'Your password was already changed with this reset. Sign in with your new password, or start a new reset if you need to.',
  },
  wrong_step: {
    title: 'That page is out of date',
    message: 'Your reset has moved on to another step. Continue from where you are.',
  },
  wrong_browser: {
    title: 'Open this link in the browser where you started',
    message:
      'For your security, the link in the email works only in the same browser where you asked to reset your password. Go back to that browser and open the link there, or type the security code from the email on the page you have open there. This link still works.',
  },
  resend_too_soon: {
    title: 'Please wait a moment',
    message: 'We just sent a code. Wait a minute before asking for a new one, and check your spam or junk folder.',
  },
  too_many_codes: {
    title: 'No more codes for this reset',
    message: 'We have sent as many codes as one reset allows. Start a new reset, or contact your administrator.',
  },
  phone_invalid: {
    title: 'Check the number',
    message: 'Type your full mobile number with its country code, like +44 7700 900123.',
  },
  password_mismatch: { title: 'The passwords do not match', message: 'Type the same new password in both boxes.' },
  password_reused: {
    title: 'Choose a password you have not used before',
    message: 'This password was used recently on your account. Choose a new one.',
  },
  password_too_short: {
    title: 'Make the password longer',
    message: 'Your new password is too short. A few unrelated words make a long password that is easy to remember.',
  },
  password_too_long: { title: 'Make the password shorter', message: 'Use at most 256 characters.' },
  password_common: {
    title: 'Choose a less common password',
    message: 'This password is on a list of passwords that attackers try first. Choose something less predictable.',
  },
  password_personal: {
    title: 'Leave out your own details',
    message: 'Do not use your name, user ID, email address or company name in your password.',
  },
  password_repetitive: {
    title: 'Avoid repeats',
    message: 'Avoid repeating the same characters or pattern. A few unrelated words work well.',
  },
  login_invalid: { title: 'Check your user ID', message: 'Your user ID looks like name@company.com.' },
  captcha_failed: {
    title: 'Please try again',
    message:
      'We could not confirm that the request came from a person. Wait for the check to finish, then submit again.',
  },
  rate_limited: {
    title: 'Too many attempts',
    message: 'There have been too many password reset requests from your network. Wait a few minutes, then try again.',
  },
  service_unavailable: {
    title: 'Please try again in a few minutes',
    message: "We can't check codes right now. Nothing was changed. Try again in a few minutes.",
  },
  // the organisation's directory (OpenLDAP, Active Directory) refused the new password: nothing was changed
  directory_too_short: {
    title: 'Make the password longer',
    message:
      "Your organisation's directory, where your password is kept, needs a longer password. Nothing was changed. Choose a longer one: a few unrelated words make a long password that is easy to remember.",
  },
  directory_not_complex: {
    title: 'Mix different kinds of characters',
    message:
      "Your organisation's directory refused this password as too simple. Nothing was changed. Use characters of at least three kinds (capital letters, small letters, digits, symbols) and leave out your name and user ID, then try again.",
  },
  directory_in_history: {
    title: 'Choose a password you have not used before',
    message:
      "Your organisation's directory remembers your recent passwords, and this is one of them. Nothing was changed. Choose a new one.",
  },
  directory_too_young: {
    title: 'Your password was changed very recently',
    message:
      "Your organisation's directory does not allow another change so soon after the last one. Nothing was changed. Try again later (often the next day), or contact your administrator if you cannot sign in.",
  },
  directory_locked: {
    title: 'Your account is locked',
    message:
      "Your account is locked in your organisation's directory after too many wrong passwords, so its password could not be changed. Nothing was changed. If you still know your password, choose “Unlock my account, keep my password” on this page; otherwise wait for the lock to end and try again, or contact your administrator.",
  },
  directory_disabled: {
    title: 'Your account is disabled',
    message:
      "Your account is disabled in your organisation's directory, so its password cannot be changed here. Nothing was changed. Contact your administrator.",
  },
  directory_must_change: {
    title: 'Change your password when you sign in',
    message:
      "Your organisation's directory asks you to change your password the next time you sign in, and refused the change here. Nothing was changed. Sign in with your current password and follow the prompt, or contact your administrator.",
  },
  directory_tls_required: {
    title: 'We could not change your password',
    message:
      "Your organisation's directory refused the change because of a setting of this service, not because of your password. Nothing was changed. Contact your administrator and tell them when it happened: the details are in their audit log.",
  },
  directory_not_allowed: {
    title: 'We could not change your password',
    message:
      "Your organisation's directory did not allow this service to change your password: a permission your administrator must fix, not a problem with your password. Nothing was changed. Contact your administrator and tell them when it happened: the details are in their audit log.",
  },
  directory_rejected: {
    title: 'We could not change your password',
    message:
      "Your organisation's directory refused the change for a reason only your administrator can fix. Nothing was changed. Contact your administrator and tell them when it happened: the details are in their audit log.",
  },
  directory_unreachable: {
    title: 'Password changes are unavailable right now',
    message:
      "We can't reach your organisation's directory, where your password is kept. Nothing was changed. Try again in a few minutes.",
  },
} as const satisfies Record<string, ProblemText>;

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
export const RESET_STAYS_OPEN = 'Your reset stays open until {time}: you will not need new codes.';

export type StepProblemId = keyof typeof STEP_PROBLEMS;

/** A signed-in or help form whose CSRF token was stale: the page is shown again with a fresh one. */
export const FORM_RELOADED: ProblemText = {
  title: 'Please try again',
  message: 'This form was out of date. We reloaded it; submit it again.',
};

/** A form of the consoles (admin, support) or of the assisted reset page that expired or came from another page. */
export const CONSOLE_FORM_EXPIRED: ProblemText = {
  title: 'This form has expired',
  message: 'This form expired or was sent from another page, so nothing was changed. Reload the page and try again.',
};

/** The hint under a "User ID" field of the sign-in and help forms. */
export const WORK_LOGIN_HINT = 'Your work email address, like name@company.com.';

/**
 * Who made a change, as a notice names it ("On …, {by} changed the role of …") when no person did:
 * the operator's command line, or the organisation's directory (a sync: group membership decides
 * who is an administrator).
 */
export const CHANGED_BY_TEXT = {
  commandLine: 'the command line',
  directory:
    "your organisation's directory, where membership of its administrator groups decides who is an administrator,",
} as const;

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
  csrf_invalid: {
    title: 'This form has expired',
    message:
      'This form expired or was sent from another page, so nothing was changed. Go back, reload the page and try again, or start a new reset.',
  },
} as const satisfies Record<string, ProblemText>;

/**
 * Every other word of the reset pages: titles, labels, buttons, hints, keyed by page. `{name}`
 * placeholders are filled with `formatText`.
 */
export const RESET_PAGE_TEXT = {
  common: {
    stepOf: 'Step {step} of {total}',
    step: 'Step {step}',
    expiresAt: 'This reset expires at {time}',
    expiresIn: 'in {minutes} minutes',
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
      'Open the link from the email in this browser, or type the security code from the email here. They work for {minutes} minutes. If the email says codes are paused, use the link.',
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
    directoryHistory: 'not one of your last {count} passwords.',
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

// ---- directory accounts: signing in, and unlocking without a reset (issue 11 items 5 and 6) ------

/** The sign-in pages, for people whose password lives in their organisation's directory. */
export const DIRECTORY_SIGNIN_TEXT = {
  unreachable: {
    title: "We can't check your password right now",
    message:
      "Your password is kept in your organisation's directory, and it is not answering right now. You were not signed in, and this try does not count against you. Try again in a few minutes; if it keeps happening, contact your administrator.",
  },
  /**
   * Under "That did not work" when the login's organisation keeps its passwords in a directory. The
   * same for every login of that organisation (it names no account, so it reveals none).
   */
  lockedHint:
    'Locked out after too many wrong passwords, and you still know your password? You can unlock your account without changing it: start at the password reset page, prove it is you, then choose "Unlock my account, keep my password".',
  lockedHintLink: 'Unlock your account',
  /** The forced change, when the directory asks for a new password (AD "must change", OpenLDAP pwdReset). */
  mustChange: "Your organisation's directory asks you to choose a new password before you continue.",
} as const;

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
