import type { VNode } from 'preact';
import { Csrf } from './code-entry.tsx';
import type { PasskeyListItem } from '../../service/security-info-service.ts';
import { useI18n, useT } from '../views/i18n-context.tsx';
import { Layout } from '../views/layout.tsx';
import { PASSKEY_SCRIPT } from '../reset/reset-views.tsx';
import type { MessageId } from '../../core/i18n.ts';
import { PasskeyForm } from '../views/passkey-form.tsx';

/**
 * Passkeys in "My security info": their section on the overview (each registered passkey with a
 * Remove button), and the page that registers one. The browser's part is /static/passkey.js (no
 * inline script); without WebAuthn support the page says so and the other methods stay.
 */
export type PasskeyProblemId = 'passkey_refused' | 'too_many_passkeys' | 'passkeys_unavailable';

/**
 * The owner's passkeys, each with a Remove button, and the way to add one: My security info's
 * section (the default), or the support console's security page (`base` and `intro` its own).
 */
export function PasskeySection(p: {
  passkeys: readonly PasskeyListItem[];
  csrf: string;
  /** The registration page; each passkey's removal is `${base}/<id>/remove`. */
  base?: string;
  intro?: MessageId;
}): VNode {
  const { t, when } = useI18n();
  const base = p.base ?? '/account/security/passkeys';
  return (
    <section aria-labelledby="passkey-heading">
      <h2 id="passkey-heading">{t('securityinfo.passkey.name')}</h2>
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
              <form method="post" action={`${base}/${k.id}/remove`} class="inline-form">
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
      <p class="hint">{t(p.intro ?? 'securityinfo.passkey.intro')}</p>
      <div class="button-row">
        <a href={base} class="button" aria-label={t('securityinfo.passkey.addLabel')}>
          {t('securityinfo.add')}
        </a>
      </div>
    </section>
  );
}

/** After a registration or a removal (`?done=passkey`, `?removed=passkey`). */
export function PasskeyNotice({ change }: { change: 'added' | 'removed' }): VNode {
  const t = useT();
  return (
    <p class="success" role="status">
      {t(change === 'added' ? 'securityinfo.passkey.done' : 'securityinfo.passkey.removed')}
    </p>
  );
}

export interface PasskeyPageProps {
  csrf: string;
  /** The options (JSON) for `navigator.credentials.create`, with this session's new challenge; null when none can be made. */
  options: string | null;
  problem: PasskeyProblemId | null;
  /** Where the answer goes and the way back (default: My security info); the support console's security page passes its own. */
  action?: string;
  back?: { readonly href: string; readonly label: MessageId };
  intro?: MessageId;
}

export function PasskeyPage(p: PasskeyPageProps): VNode {
  return <Passkey {...p} />;
}

function Passkey(p: PasskeyPageProps): VNode {
  const t = useT();
  const title = t('securityinfo.passkey.title');
  return (
    <Layout title={title} scripts={[PASSKEY_SCRIPT]}>
      <h1>{title}</h1>
      {p.problem ? (
        <div class="error" role="alert" id="problem">
          <h2 class="problem-title">{t(`securityinfo.problem.${p.problem}.title`)}</h2>
          <p>{t(`securityinfo.problem.${p.problem}.message`)}</p>
        </div>
      ) : null}
      <p>{t(p.intro ?? 'securityinfo.passkey.intro')}</p>
      <p>{t('securityinfo.passkey.how')}</p>
      {p.options ? (
        <PasskeyForm
          action={p.action ?? '/account/security/passkeys'}
          kind="create"
          class="stack reset-form"
          options={p.options}
          button={t('securityinfo.passkey.create')}
          texts={{
            unsupported: t('securityinfo.passkey.unsupported'),
            waiting: t('securityinfo.passkey.waiting'),
            cancelled: t('securityinfo.passkey.cancelled'),
          }}
        >
          <Csrf token={p.csrf} />
          <div class="field">
            <label for="passkey-name">{t('securityinfo.passkey.nameLabel')}</label>
            <p class="hint" id="passkey-name-hint">
              {t('securityinfo.passkey.nameHint')}
            </p>
            <input
              id="passkey-name"
              name="name"
              type="text"
              maxLength={60}
              autoComplete="off"
              value=""
              aria-describedby="passkey-name-hint"
            />
          </div>
        </PasskeyForm>
      ) : null}
      <p class="hint">{t('securityinfo.passkey.noSupport')}</p>
      <p>
        <a href={p.back?.href ?? '/account/security'}>{t(p.back?.label ?? 'securityinfo.passkey.back')}</a>
      </p>
    </Layout>
  );
}
