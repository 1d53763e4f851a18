import type { VNode } from 'preact';
import type { MessageId } from '../../core/i18n.ts';
import { HELP_MESSAGE_MAX } from '../../service/help-request-service.ts';
import { ALTCHA_SCRIPT, ALTCHA_STYLESHEET, CaptchaWidget } from '../reset/reset-views.tsx';
import { useT } from '../views/i18n-context.tsx';
import { Layout } from '../views/layout.tsx';

/**
 * The help request pages: the form every dead end of the reset flow links to ("Contact your
 * administrator"), and the answer with its reference. Words: `helppage.*` in the catalogues,
 * in the request's language.
 */

/** Problems the help form shows, by error code: `helppage.problem.<id>.title` / `.message`. */
export const HELP_PROBLEM_IDS = [
  'login_invalid',
  'message_missing',
  'message_too_long',
  'captcha_failed',
  'csrf_invalid',
] as const;
export type HelpProblemId = (typeof HELP_PROBLEM_IDS)[number];

function problemWords(t: ReturnType<typeof useT>, id: HelpProblemId): { title: string; message: string } {
  return {
    title: t(`helppage.problem.${id}.title` as MessageId),
    message: t(`helppage.problem.${id}.message` as MessageId, { max: HELP_MESSAGE_MAX }),
  };
}

function ProblemBox({ problem }: { problem: { title: string; message: string } }): VNode {
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
  return <HelpForm {...p} />;
}

function HelpForm(p: HelpFormProps): VNode {
  const t = useT();
  const title = t('helppage.form.title');
  const problem = p.problem ? problemWords(t, p.problem) : null;
  const loginInvalid = p.problem === 'login_invalid';
  const messageInvalid = p.problem === 'message_missing' || p.problem === 'message_too_long';
  return (
    <Layout
      title={problem ? `${problem.title} · ${title}` : title}
      scripts={p.challenge !== null ? [ALTCHA_SCRIPT] : []}
      stylesheets={p.challenge !== null ? [ALTCHA_STYLESHEET] : []}
    >
      <h1>{title}</h1>
      <p>{t('helppage.form.intro')}</p>
      {problem ? <ProblemBox problem={problem} /> : null}
      <form method="post" action="/help" class="reset-form">
        <input type="hidden" name="_csrf" value={p.csrf} />
        <label for="login">{t('helppage.form.login')}</label>
        <span class="hint" id="login-hint">
          {p.loginFromFlow ? t('helppage.form.loginFromFlow') : t('helppage.form.loginHint')}
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
        <label for="message">{t('helppage.form.message')}</label>
        <span class="hint" id="message-hint">
          {t('helppage.form.messageHint', { max: HELP_MESSAGE_MAX })}
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
            <legend>{t('helppage.form.captcha')}</legend>
            <span class="hint">{t('helppage.form.captchaHint')}</span>
            <CaptchaWidget challenge={p.challenge} />
            <noscript>
              <p class="notice">{t('helppage.form.noScript')}</p>
            </noscript>
          </fieldset>
        ) : null}
        <button type="submit">{t('helppage.form.submit')}</button>
      </form>
      <p>
        <a href="/reset">{t('helppage.form.back')}</a>
      </p>
    </Layout>
  );
}

/** The same page for every login: only the reference differs. */
export function HelpSentPage(p: { reference: string }): VNode {
  return <HelpSent {...p} />;
}

function HelpSent({ reference }: { reference: string }): VNode {
  const t = useT();
  const title = t('helppage.sent.title');
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      <div class="success" role="status">
        <p>{t('helppage.sent.message')}</p>
      </div>
      <p>
        {t('helppage.sent.referenceIntro')}{' '}
        <strong>
          <bdi class="ltr">
            <code id="help-reference">{reference}</code>
          </bdi>
        </strong>
      </p>
      <p class="hint">{t('helppage.sent.referenceHint')}</p>
      <p>{t('helppage.sent.noCode')}</p>
      <p class="button-row">
        <a href="/reset" class="button secondary">
          {t('helppage.sent.back')}
        </a>
      </p>
    </Layout>
  );
}
