import type { VNode } from 'preact';
import { Layout } from './layout.tsx';

export interface ErrorPageProps {
  readonly status: number;
  readonly title: string;
  readonly message: string;
  readonly requestId: string;
}

/** The friendly page browsers get for 404s and errors: what happened, a way on, a reference. */
export function ErrorPage({ status, title, message, requestId }: ErrorPageProps): VNode {
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
      </ul>
      <p class="reference">
        If you contact support, quote this reference: <code>{requestId}</code> (error {status}).
      </p>
    </Layout>
  );
}
