import type { VNode } from 'preact';
import { CodeEntryForm, Csrf } from './code-entry.tsx';
import type { AuthenticatorSetup, AuthenticatorStatus } from '../../service/security-info-service.ts';
import { useI18n, useT } from '../views/i18n-context.tsx';
import { Layout } from '../views/layout.tsx';

/**
 * The authenticator app in "My security info": its section on the overview, and the page that
 * registers one (the QR code as inline SVG made on the server, the key as text, the first code).
 */
export type AuthenticatorProblemId = 'invalid_code' | 'code_malformed' | 'nothing_pending' | 'authenticator_exists';

export function AuthenticatorSection(p: { status: AuthenticatorStatus; csrf: string }): VNode {
  const { t, when } = useI18n();
  const at = p.status.confirmedAt;
  return (
    <section aria-labelledby="authenticator-heading">
      <h2 id="authenticator-heading">{t('securityinfo.authenticator.name')}</h2>
      <p>
        <span class="masked" data-method="authenticator">
          {at === null ? t('securityinfo.notRegistered') : t('securityinfo.authenticator.registered')}
        </span>
      </p>
      {at !== null ? <p class="hint">{t('securityinfo.confirmedOn', { when: when(at) })}</p> : null}
      <p class="hint">{t('securityinfo.authenticator.intro')}</p>
      <div class="button-row">
        {at === null ? (
          <a
            href="/account/security/authenticator"
            class="button"
            aria-label={t('securityinfo.authenticator.addLabel')}
          >
            {t('securityinfo.add')}
          </a>
        ) : (
          <form method="post" action="/account/security/authenticator/remove">
            <Csrf token={p.csrf} />
            <button type="submit" class="secondary" aria-label={t('securityinfo.authenticator.removeLabel')}>
              {t('securityinfo.authenticator.remove')}
            </button>
          </form>
        )}
      </div>
    </section>
  );
}

/** After a registration or a removal (`?done=authenticator`, `?removed=authenticator`). */
export function AuthenticatorNotice({ change }: { change: 'added' | 'removed' }): VNode {
  const t = useT();
  return (
    <p class="success" role="status">
      {t(change === 'added' ? 'securityinfo.authenticator.done' : 'securityinfo.authenticator.removed')}
    </p>
  );
}

export interface AuthenticatorPageProps {
  csrf: string;
  /** The registration waiting for its first code in this session, with its QR code; null: offer to start one. */
  setup: (AuthenticatorSetup & { qrSvg: string }) | null;
  problem: AuthenticatorProblemId | null;
}

export function AuthenticatorPage(p: AuthenticatorPageProps): VNode {
  return <Authenticator {...p} />;
}

function Authenticator(p: AuthenticatorPageProps): VNode {
  const { t, when } = useI18n();
  const title = t('securityinfo.authenticator.title');
  const s = p.setup;
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      {p.problem ? (
        <div class="error" role="alert" id="problem">
          <h2 class="problem-title">
            {t(
              p.problem === 'invalid_code'
                ? 'securityinfo.authenticator.invalid.title'
                : `securityinfo.problem.${p.problem}.title`,
            )}
          </h2>
          <p>
            {t(
              p.problem === 'invalid_code'
                ? 'securityinfo.authenticator.invalid.message'
                : `securityinfo.problem.${p.problem}.message`,
            )}
          </p>
        </div>
      ) : null}
      <p>{t('securityinfo.authenticator.intro')}</p>
      {s === null ? (
        <form method="post" action="/account/security/authenticator" class="stack reset-form">
          <Csrf token={p.csrf} />
          <button type="submit">{t('securityinfo.authenticator.start')}</button>
        </form>
      ) : (
        <>
          <p>{t('securityinfo.authenticator.scan')}</p>
          <div
            class="qr-code"
            role="img"
            aria-label={t('securityinfo.authenticator.qrLabel')}
            dangerouslySetInnerHTML={{ __html: s.qrSvg }}
          />
          <p>{t('securityinfo.authenticator.manual')}</p>
          <p>
            <code class="authenticator-key ltr" id="authenticator-key">
              {s.key}
            </code>
          </p>
          <p class="hint">{t('securityinfo.authenticator.expires', { when: when(s.expiresAt) })}</p>
          <CodeEntryForm
            action="/account/security/authenticator/confirm"
            csrf={p.csrf}
            label={t('securityinfo.authenticator.codeLabel')}
            hint={t('securityinfo.authenticator.codeHint')}
            submit={t('securityinfo.authenticator.confirm')}
            problem={p.problem !== null}
          />
        </>
      )}
      <p>
        <a href="/account/security">{t('securityinfo.form.cancel')}</a>
      </p>
    </Layout>
  );
}
