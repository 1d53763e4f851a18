import type { VNode } from 'preact';
import type { OperatorPasskeyItem } from '../../service/console-factor/operator-passkeys.ts';
import { Csrf } from '../account/code-entry.tsx';
import { RegenerateCodesForm } from '../account/console-step-views.tsx';
import { useI18n } from '../views/i18n-context.tsx';
import { SupportLayout } from './support-views.tsx';

export interface SupportSecurityProps {
  readonly operatorName: string;
  readonly csrf: string;
  readonly passkeys: readonly OperatorPasskeyItem[];
  readonly recoveryCodesLeft: number;
  /** After a registration or a removal. */
  readonly notice: 'added' | 'removed' | null;
}

/**
 * The support console's security page: the operator's passkeys for the console's second step
 * (each with Remove; "Add a passkey" opens the registration page, the accounts' page with the
 * operator's words) and a new set of recovery codes.
 */
export function SupportSecurityPage(p: SupportSecurityProps): VNode {
  return <SupportSecurity {...p} />;
}

function SupportSecurity(p: SupportSecurityProps): VNode {
  const { t, when } = useI18n();
  const title = t('support.security.title');
  return (
    <SupportLayout title={title} operatorName={p.operatorName} csrf={p.csrf}>
      <h1>{title}</h1>
      {p.notice ? (
        <p class="success" role="status">
          {t(p.notice === 'added' ? 'support.security.added' : 'support.security.removed')}
        </p>
      ) : null}
      <section aria-labelledby="passkey-heading">
        <h2 id="passkey-heading">{t('securityinfo.passkey.name')}</h2>
        <p class="hint">{t('support.security.passkeyIntro')}</p>
        {p.passkeys.length === 0 ? (
          <p>
            <span class="masked" data-method="passkey">
              {t('securityinfo.notRegistered')}
            </span>
          </p>
        ) : (
          <ul class="passkey-list">
            {p.passkeys.map((k) => (
              <li key={k.id}>
                <strong class="masked" data-method="passkey">
                  {k.name}
                </strong>{' '}
                <span class="hint">{t('securityinfo.passkey.addedOn', { when: when(k.createdAt) })}</span>
                <form method="post" action={`/support/security/passkeys/${k.id}/remove`} class="inline-form">
                  <Csrf token={p.csrf} />
                  <button
                    type="submit"
                    class="secondary"
                    aria-label={t('securityinfo.passkey.removeLabel', { name: k.name })}
                  >
                    {t('securityinfo.passkey.remove')}
                  </button>
                </form>
              </li>
            ))}
          </ul>
        )}
        <div class="button-row">
          <a href="/support/security/passkeys" class="button" aria-label={t('securityinfo.passkey.addLabel')}>
            {t('securityinfo.passkey.addLabel')}
          </a>
        </div>
      </section>
      <RegenerateCodesForm action="/support/recovery-codes" csrf={p.csrf} left={p.recoveryCodesLeft} />
    </SupportLayout>
  );
}
