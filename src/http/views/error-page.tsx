import type { VNode } from 'preact';
import { CONTACT_ADMIN } from '../../core/ui-text.ts';
import { Layout } from './layout.tsx';

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
      <ul class="actions">
        <li>
          <a href="/reset">Start a password reset</a>
        </li>
        <li>
          <a href="/">Go to the home page</a>
        </li>
        <li>
          <a href="/help">{CONTACT_ADMIN.helpLink}</a>
        </li>
      </ul>
      {reference ? (
        <p class="reference">
          If you contact support, quote this reference: <code id="support-reference">{reference}</code> (error {status}
          ).
        </p>
      ) : null}
    </Layout>
  );
}
