import type { VNode } from 'preact';
import { Layout } from './layout.tsx';
import { useT } from './i18n-context.tsx';

export interface ErrorPageProps {
  readonly status: number;
  readonly title: string;
  readonly message: string;
  /** The support reference (`SUP-…`) the consoles can look up; null on pages that need none (404). */
  readonly reference: string | null;
}

/** The friendly page browsers get for 404s and errors: what happened, a way on, who to contact. */
export function ErrorPage({ status, title, message, reference }: ErrorPageProps): VNode {
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      <p>{message}</p>
      <ErrorWaysOn status={status} reference={reference} />
    </Layout>
  );
}

/** The ways on and the support reference, in the page's language (rendered inside its provider). */
function ErrorWaysOn({ status, reference }: Pick<ErrorPageProps, 'status' | 'reference'>): VNode {
  const t = useT();
  return (
    <>
      <ul class="actions">
        <li>
          <a href="/reset">{t('http.page.startReset')}</a>
        </li>
        <li>
          <a href="/">{t('http.page.home')}</a>
        </li>
        <li>
          <a href="/help">{t('reset.contact.helpLink')}</a>
        </li>
      </ul>
      {reference ? (
        <p class="reference">
          {t('http.page.referenceLead')} <code id="support-reference">{reference}</code>{' '}
          {t('http.page.referenceStatus', { status })}
        </p>
      ) : null}
    </>
  );
}
