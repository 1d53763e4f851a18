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
    title: 'This reset has expired',
    message:
      'A password reset must be finished within 60 minutes of the first email we sent. Nothing was changed. Start a new reset to get a new code.',
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
} as const satisfies Record<string, ProblemText>;

export type StepProblemId = keyof typeof STEP_PROBLEMS;

/** What every dead end offers besides starting over. */
export const CONTACT_ADMIN = {
  title: 'Still stuck?',
  message:
    'Contact your company administrator to reset your password. If you are the only administrator in your company, contact Technical Support.',
} as const;
