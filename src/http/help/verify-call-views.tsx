import type { VNode } from 'preact';
import { ALTCHA_SCRIPT, ALTCHA_STYLESHEET, CaptchaWidget } from '../reset/reset-views.tsx';
import { useT } from '../views/i18n-context.tsx';
import { Layout } from '../views/layout.tsx';

/**
 * The public reverse check (issue 13 item 6): a person called by someone who says they are the
 * help desk types the phrase the caller gave them. The answer names the agent and organisation,
 * or says to hang up; nothing on these pages depends on an account. Words: `verifycall.*`.
 */
export type VerifyCallAnswer =
  | { readonly kind: 'ok'; readonly agent: string; readonly organisation: string }
  | { readonly kind: 'no' }
  | { readonly kind: 'limited' }
  | { readonly kind: 'captcha' };

export function VerifyCallPage(p: { csrf: string; challenge: string; answer: VerifyCallAnswer | null }): VNode {
  return <VerifyCall {...p} />;
}

function VerifyCall(p: { csrf: string; challenge: string; answer: VerifyCallAnswer | null }): VNode {
  const t = useT();
  const a = p.answer;
  const title =
    a?.kind === 'ok' ? t('verifycall.ok.title') : a?.kind === 'no' ? t('verifycall.no.title') : t('verifycall.title');
  return (
    <Layout title={title} scripts={[ALTCHA_SCRIPT]} stylesheets={[ALTCHA_STYLESHEET]}>
      <h1>{title}</h1>
      {a?.kind === 'ok' ? (
        <div class="success" role="status" id="verify-answer">
          <p>{t('verifycall.ok.message', { agent: a.agent, organisation: a.organisation })}</p>
        </div>
      ) : a?.kind === 'no' ? (
        <div class="error" role="alert" id="verify-answer">
          <p>{t('verifycall.no.message')}</p>
        </div>
      ) : a?.kind === 'limited' ? (
        <div class="error" role="alert" id="verify-answer">
          <h2 class="problem-title">{t('verifycall.limited.title')}</h2>
          <p>{t('verifycall.limited.message')}</p>
        </div>
      ) : a?.kind === 'captcha' ? (
        <div class="error" role="alert" id="verify-answer">
          <h2 class="problem-title">{t('helppage.problem.captcha_failed.title')}</h2>
          <p>{t('helppage.problem.captcha_failed.message')}</p>
        </div>
      ) : null}
      {a?.kind === 'ok' ? null : (
        <>
          <p>{t('verifycall.intro')}</p>
          <form method="post" action="/verify-call" class="reset-form">
            <input type="hidden" name="_csrf" value={p.csrf} />
            <label for="phrase">{t('verifycall.label')}</label>
            <span class="hint" id="phrase-hint">
              {t('verifycall.hint')}
            </span>
            <input
              id="phrase"
              name="phrase"
              type="text"
              inputMode="numeric"
              autoComplete="off"
              required
              maxLength={20}
              aria-describedby="phrase-hint"
            />
            <fieldset class="captcha">
              <legend>{t('helppage.form.captcha')}</legend>
              <span class="hint">{t('helppage.form.captchaHint')}</span>
              <CaptchaWidget challenge={p.challenge} />
              <noscript>
                <p class="notice">{t('helppage.form.noScript')}</p>
              </noscript>
            </fieldset>
            <button type="submit">{t('verifycall.submit')}</button>
          </form>
        </>
      )}
      {a?.kind === 'ok' ? (
        <p>
          <a href="/verify-call">{t('verifycall.again')}</a>
        </p>
      ) : null}
    </Layout>
  );
}
