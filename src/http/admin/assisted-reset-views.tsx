import type { VNode } from 'preact';
import type { MessageId } from '../../core/i18n.ts';
import type { ProblemText } from '../../core/ui-text.ts';
import { useT } from '../views/i18n-context.tsx';
import { Layout } from '../views/layout.tsx';
import { richText } from '../views/rich-text.tsx';
import { Ltr } from './admin-text.tsx';
import { ProblemBox } from './admin-views.tsx';

/**
 * The pages behind an admin-assisted reset link. The GET of the link only shows a Continue button
 * (email scanners fetch links); the POST redeems it and leads, by a URL without the token, to the
 * new-password form. Password inputs are always rendered empty. Every word is in the page's
 * language (`admin.assisted.*`).
 */
export const ASSISTED_LINK_PROBLEMS = ['link_invalid', 'link_expired', 'grant_invalid', 'csrf_invalid'] as const;
export type AssistedLinkProblem = (typeof ASSISTED_LINK_PROBLEMS)[number];

/** A link problem's words (`csrf_invalid`: a form of the page that expired). */
export function assistedProblemIds(id: AssistedLinkProblem): { title: MessageId; message: MessageId } {
  return id === 'csrf_invalid'
    ? { title: 'admin.formExpired.title', message: 'admin.formExpired.message' }
    : { title: `admin.assisted.${id}.title` as MessageId, message: `admin.assisted.${id}.message` as MessageId };
}

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

export function AssistedContinuePage(props: { token: string; csrf: string }): VNode {
  return <AssistedContinue {...props} />;
}

function AssistedContinue({ token, csrf }: { token: string; csrf: string }): VNode {
  const t = useT();
  return (
    <Layout title={t('admin.assisted.continue.title')}>
      <h1>{t('admin.assisted.continue.title')}</h1>
      <p>{t('admin.assisted.continue.intro')}</p>
      <form method="post" action="/reset/assisted" class="reset-form">
        <Csrf token={csrf} />
        <input type="hidden" name="t" value={token} />
        <button type="submit">{t('admin.assisted.continue.submit')}</button>
      </form>
    </Layout>
  );
}

interface AssistedPasswordProps {
  csrf: string;
  login: string;
  minLength: number;
  /** Already in the page's language. */
  problem: ProblemText | null;
}

export function AssistedPasswordPage(p: AssistedPasswordProps): VNode {
  return <AssistedPassword {...p} />;
}

function AssistedPassword(p: AssistedPasswordProps): VNode {
  const t = useT();
  const invalid = p.problem ? 'true' : undefined;
  const title = t('admin.assisted.password.title');
  return (
    <Layout title={p.problem ? `${p.problem.title} · ${title}` : title}>
      <h1>{title}</h1>
      <ProblemBox problem={p.problem} />
      <p>
        {richText(
          t,
          'admin.assisted.password.intro',
          {},
          {
            login: (
              <strong>
                <Ltr>{p.login}</Ltr>
              </strong>
            ),
          },
        )}
      </p>
      <form method="post" action="/reset/assisted/password" class="reset-form">
        <Csrf token={p.csrf} />
        <input
          type="text"
          name="username"
          autocomplete="username"
          value={p.login}
          hidden
          readOnly
          aria-label={t('admin.assisted.password.userId')}
        />
        <label for="password">{t('admin.assisted.password.label')}</label>
        <span class="hint" id="password-hint">
          {t('admin.assisted.password.minLength', { min: p.minLength })}
        </span>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="new-password"
          minLength={p.minLength}
          maxLength={1024}
          required
          value=""
          aria-describedby={p.problem ? 'password-hint problem' : 'password-hint'}
          aria-invalid={invalid}
        />
        <label for="confirm">{t('admin.assisted.password.confirm')}</label>
        <input
          id="confirm"
          name="confirm"
          type="password"
          autoComplete="new-password"
          maxLength={1024}
          required
          value=""
          aria-invalid={invalid}
        />
        <button type="submit">{t('admin.assisted.password.submit')}</button>
      </form>
    </Layout>
  );
}

export function AssistedDonePage(): VNode {
  return <AssistedDone />;
}

function AssistedDone(): VNode {
  const t = useT();
  return (
    <Layout title={t('admin.assisted.done.title')}>
      <h1>{t('admin.assisted.done.title')}</h1>
      <div class="success" role="status">
        <p>{t('admin.assisted.done.message')}</p>
      </div>
      <p>
        <a href="/signin" class="button">
          {t('admin.assisted.done.signIn')}
        </a>
      </p>
    </Layout>
  );
}

export function AssistedProblemPage(props: { problem: AssistedLinkProblem }): VNode {
  return <AssistedProblem {...props} />;
}

function AssistedProblem({ problem }: { problem: AssistedLinkProblem }): VNode {
  const t = useT();
  const ids = assistedProblemIds(problem);
  const title = t(ids.title);
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      <div class="error" role="alert">
        <p>{t(ids.message)}</p>
      </div>
      <ul class="actions">
        <li>
          <a href="/reset">{t('admin.assisted.problem.resetYourself')}</a>
        </li>
        <li>
          <a href="/signin">{t('admin.assisted.problem.signIn')}</a>
        </li>
      </ul>
    </Layout>
  );
}
