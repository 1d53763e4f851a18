import type { VNode } from 'preact';
import { ALTCHA_SCRIPT, ALTCHA_STYLESHEET, CaptchaWidget, PASSKEY_SCRIPT } from '../reset/reset-views.tsx';
import { useT } from '../views/i18n-context.tsx';
import { Layout } from '../views/layout.tsx';
import { PasskeyForm } from '../views/passkey-form.tsx';

/**
 * The public page of caller verification by passkey (issue 13 item 5): the caller types the
 * ticket their help desk read to them, then signs with their passkey. Nothing on these pages
 * depends on an account: a wrong, used or expired ticket all get one answer. Words:
 * `callerpasskey.*` (the browser's passkey prompts: `reset.passkey.*`).
 */
export type CallerPasskeyState =
  | {
      readonly kind: 'ticket';
      readonly ticket: string;
      readonly problem: 'no' | 'limited' | 'captcha' | 'refused' | null;
    }
  | { readonly kind: 'ask'; readonly ticket: string; readonly organisation: string; readonly options: string }
  | { readonly kind: 'ok'; readonly organisation: string };

export function CallerPasskeyPage(p: { csrf: string; challenge: string; state: CallerPasskeyState }): VNode {
  return <CallerPasskey {...p} />;
}

function CallerPasskey({ csrf, challenge, state }: { csrf: string; challenge: string; state: CallerPasskeyState }) {
  const t = useT();
  if (state.kind === 'ok') {
    const title = t('callerpasskey.ok.title');
    return (
      <Layout title={title}>
        <h1>{title}</h1>
        <div class="success" role="status" id="caller-passkey-answer">
          <p>{t('callerpasskey.ok.message', { organisation: state.organisation })}</p>
        </div>
      </Layout>
    );
  }
  const title = t('callerpasskey.title');
  const csrfField = <input type="hidden" name="_csrf" value={csrf} />;
  if (state.kind === 'ask') {
    return (
      <Layout title={title} scripts={[PASSKEY_SCRIPT]}>
        <h1>{title}</h1>
        <p>{t('callerpasskey.ask', { organisation: state.organisation })}</p>
        <PasskeyForm
          action="/caller-passkey/answer"
          kind="get"
          options={state.options}
          button={t('reset.passkey.button')}
          texts={{
            unsupported: t('callerpasskey.unsupported'),
            waiting: t('reset.passkey.waiting'),
            cancelled: t('reset.passkey.cancelled'),
          }}
        >
          {csrfField}
          <input type="hidden" name="ticket" value={state.ticket} />
        </PasskeyForm>
      </Layout>
    );
  }
  const problem = state.problem;
  const problemText =
    problem === 'no'
      ? { title: t('callerpasskey.no.title'), message: t('callerpasskey.no.message') }
      : problem === 'limited'
        ? { title: t('callerpasskey.limited.title'), message: t('callerpasskey.limited.message') }
        : problem === 'refused'
          ? { title: t('callerpasskey.refused.title'), message: t('callerpasskey.refused.message') }
          : problem === 'captcha'
            ? {
                title: t('helppage.problem.captcha_failed.title'),
                message: t('helppage.problem.captcha_failed.message'),
              }
            : null;
  return (
    <Layout title={title} scripts={[ALTCHA_SCRIPT]} stylesheets={[ALTCHA_STYLESHEET]}>
      <h1>{title}</h1>
      {problemText ? (
        <div class="error" role="alert" id="caller-passkey-answer">
          <h2 class="problem-title">{problemText.title}</h2>
          <p>{problemText.message}</p>
        </div>
      ) : null}
      <p>{t('callerpasskey.intro')}</p>
      <form method="post" action="/caller-passkey" class="reset-form">
        {csrfField}
        <label for="ticket">{t('callerpasskey.label')}</label>
        <span class="hint" id="ticket-hint">
          {t('callerpasskey.hint')}
        </span>
        <input
          id="ticket"
          name="ticket"
          type="text"
          inputMode="numeric"
          autoComplete="off"
          required
          maxLength={20}
          value={state.ticket}
          aria-describedby="ticket-hint"
        />
        <fieldset class="captcha">
          <legend>{t('helppage.form.captcha')}</legend>
          <span class="hint">{t('helppage.form.captchaHint')}</span>
          <CaptchaWidget challenge={challenge} />
          <noscript>
            <p class="notice">{t('helppage.form.noScript')}</p>
          </noscript>
        </fieldset>
        <button type="submit">{t('callerpasskey.continue')}</button>
      </form>
    </Layout>
  );
}
