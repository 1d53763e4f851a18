import type { VNode } from 'preact';
import { CONTACT_ADMIN, FORM_RELOADED, WORK_LOGIN_HINT, type ProblemText } from '../../core/ui-text.ts';
import { HELP_MESSAGE_MAX } from '../../service/help-request-service.ts';
import { ALTCHA_SCRIPT, ALTCHA_STYLESHEET } from '../reset/reset-views.tsx';
import { Layout } from '../views/layout.tsx';

/** Words of the help request pages (one place). */
export const HELP_TEXT = {
  form: {
    /** The page the "Contact your administrator" link leads to: the link's words. */
    title: CONTACT_ADMIN.helpLink,
    intro:
      'Tell the people who can reset your password that you need help. If you are the only administrator of your organisation, your request goes to Technical Support.',
    login: 'User ID',
    loginHint: WORK_LOGIN_HINT,
    loginFromFlow: 'The user ID you typed to reset your password. To ask for another one, start a new password reset.',
    message: 'Message',
    messageHint: `What happened, and how they can reach you (a phone number, say). At most ${HELP_MESSAGE_MAX} characters. Never write a password or a security code here.`,
    captcha: 'Confirm you are a person',
    captchaHint: 'Your browser solves a small puzzle; this takes a moment.',
    noScript: 'This check needs JavaScript. Turn it on, or contact your help desk by phone.',
    submit: 'Send request',
    back: 'Back to password reset',
  },
  sent: {
    title: 'Request sent',
    message:
      'If this user ID exists, we passed your request to the people who can help: your administrators, or Technical Support if you are the only administrator of your organisation. They will contact you at the addresses you registered.',
    referenceIntro: 'Your reference:',
    referenceHint: 'Write it down. Give it when someone from support contacts you or when you call them.',
    noCode: 'Nobody will ever ask you for your password or a security code.',
    back: 'Try the password reset again',
  },
  problems: {
    login_invalid: { title: 'Check your user ID', message: 'A user ID looks like name@company.com.' },
    message_missing: {
      title: 'Write a short message',
      message: 'Say what happened and how you can be reached, so that the right person can help.',
    },
    message_too_long: {
      title: 'Your message is too long',
      message: `Keep it to ${HELP_MESSAGE_MAX} characters or fewer.`,
    },
    captcha_failed: {
      title: 'We could not confirm you are a person',
      message: 'Wait for the check to finish, then send the request again.',
    },
    csrf_invalid: FORM_RELOADED,
  },
} as const;

export type HelpProblemId = keyof typeof HELP_TEXT.problems;

function ProblemBox({ problem }: { problem: ProblemText }): VNode {
  return (
    <div class="error" role="alert" id="problem">
      <h2 class="problem-title">{problem.title}</h2>
      <p>{problem.message}</p>
    </div>
  );
}

export interface HelpFormProps {
  readonly csrf: string;
  /** The ALTCHA challenge as JSON (the CSP forbids the widget to fetch it); null: no CAPTCHA (from a reset flow). */
  readonly challenge: string | null;
  readonly login: string;
  readonly message: string;
  readonly problem: HelpProblemId | null;
  /** The login comes from the reset flow of this browser: shown, not typed again. */
  readonly loginFromFlow?: boolean;
}

export function HelpFormPage(p: HelpFormProps): VNode {
  const t = HELP_TEXT.form;
  const problem = p.problem ? HELP_TEXT.problems[p.problem] : null;
  const loginInvalid = p.problem === 'login_invalid';
  const messageInvalid = p.problem === 'message_missing' || p.problem === 'message_too_long';
  return (
    <Layout
      title={problem ? `${problem.title} · ${t.title}` : t.title}
      scripts={p.challenge !== null ? [ALTCHA_SCRIPT] : []}
      stylesheets={p.challenge !== null ? [ALTCHA_STYLESHEET] : []}
    >
      <h1>{t.title}</h1>
      <p>{t.intro}</p>
      {problem ? <ProblemBox problem={problem} /> : null}
      <form method="post" action="/help" class="reset-form">
        <input type="hidden" name="_csrf" value={p.csrf} />
        <label for="login">{t.login}</label>
        <span class="hint" id="login-hint">
          {p.loginFromFlow ? t.loginFromFlow : t.loginHint}
        </span>
        <input
          id="login"
          name="login"
          type="text"
          inputMode="email"
          autoComplete="username"
          autoCapitalize="none"
          spellcheck={false}
          required
          readOnly={p.loginFromFlow ? true : undefined}
          maxLength={320}
          value={p.login}
          aria-describedby={loginInvalid ? 'problem login-hint' : 'login-hint'}
          aria-invalid={loginInvalid ? 'true' : undefined}
        />
        <label for="message">{t.message}</label>
        <span class="hint" id="message-hint">
          {t.messageHint}
        </span>
        <textarea
          id="message"
          name="message"
          rows={5}
          required
          maxLength={HELP_MESSAGE_MAX}
          aria-describedby={messageInvalid ? 'problem message-hint' : 'message-hint'}
          aria-invalid={messageInvalid ? 'true' : undefined}
        >
          {p.message}
        </textarea>
        {p.challenge !== null ? (
          <fieldset class="captcha">
            <legend>{t.captcha}</legend>
            <span class="hint">{t.captchaHint}</span>
            <altcha-widget
              challenge={p.challenge}
              name="altcha"
              auto="onsubmit"
              configuration='{"hideFooter":true}'
            ></altcha-widget>
            <noscript>
              <p class="notice">{t.noScript}</p>
            </noscript>
          </fieldset>
        ) : null}
        <button type="submit">{t.submit}</button>
      </form>
      <p>
        <a href="/reset">{t.back}</a>
      </p>
    </Layout>
  );
}

/** The same page for every login: only the reference differs. */
export function HelpSentPage({ reference }: { reference: string }): VNode {
  const t = HELP_TEXT.sent;
  return (
    <Layout title={t.title}>
      <h1>{t.title}</h1>
      <div class="success" role="status">
        <p>{t.message}</p>
      </div>
      <p>
        {t.referenceIntro}{' '}
        <strong>
          <code id="help-reference">{reference}</code>
        </strong>
      </p>
      <p class="hint">{t.referenceHint}</p>
      <p>{t.noCode}</p>
      <p class="button-row">
        <a href="/reset" class="button secondary">
          {t.back}
        </a>
      </p>
    </Layout>
  );
}
