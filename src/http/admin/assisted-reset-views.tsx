import type { VNode } from 'preact';
import { CONSOLE_FORM_EXPIRED, RESET_PAGE_TEXT as T, formatText, type ProblemText } from '../../core/ui-text.ts';
import { Layout } from '../views/layout.tsx';
import { ProblemBox } from './admin-views.tsx';

/**
 * The pages behind an admin-assisted reset link. The GET of the link only shows a Continue button
 * (email scanners fetch links); the POST redeems it and leads, by a URL without the token, to the
 * new-password form. Password inputs are always rendered empty.
 */
export const ASSISTED_TEXT = {
  continueTitle: 'Reset your password',
  continueIntro:
    'Your administrator sent you this link so that you can choose a new password. Press Continue to go on. The link works once.',
  continueSubmit: 'Continue',
  linkProblems: {
    link_invalid: {
      title: 'This link does not work',
      message:
        'The link is incomplete or not one we sent. Open it again from the email, or ask your administrator for a new one.',
    },
    link_expired: {
      title: 'This link has expired',
      message:
        'The link was already used, replaced by a newer one, or is more than 24 hours old. Ask your administrator for a new one, or reset your password yourself.',
    },
    grant_invalid: {
      title: 'Start again from the link',
      message:
        'This page works only in the browser where you opened the link, for 30 minutes. Ask your administrator for a new link, or reset your password yourself.',
    },
    csrf_invalid: CONSOLE_FORM_EXPIRED,
  },
} as const;

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

export function AssistedContinuePage({ token, csrf }: { token: string; csrf: string }): VNode {
  return (
    <Layout title={ASSISTED_TEXT.continueTitle}>
      <h1>{ASSISTED_TEXT.continueTitle}</h1>
      <p>{ASSISTED_TEXT.continueIntro}</p>
      <form method="post" action="/reset/assisted" class="reset-form">
        <Csrf token={csrf} />
        <input type="hidden" name="t" value={token} />
        <button type="submit">{ASSISTED_TEXT.continueSubmit}</button>
      </form>
    </Layout>
  );
}

export function AssistedPasswordPage(p: {
  csrf: string;
  login: string;
  minLength: number;
  problem: ProblemText | null;
}): VNode {
  const invalid = p.problem ? 'true' : undefined;
  return (
    <Layout title={p.problem ? `${p.problem.title} · ${T.newPassword.title}` : T.newPassword.title}>
      <h1>{T.newPassword.title}</h1>
      <ProblemBox problem={p.problem} />
      <p>
        Choose a new password for <strong>{p.login}</strong>. Use one you do not use anywhere else.
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
          aria-label="User ID"
        />
        <label for="password">{T.newPassword.passwordLabel}</label>
        <span class="hint" id="password-hint">
          {formatText(T.newPassword.minLength, { min: p.minLength })}
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
        <label for="confirm">{T.newPassword.confirmLabel}</label>
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
        <button type="submit">{T.newPassword.submit}</button>
      </form>
    </Layout>
  );
}

export function AssistedDonePage(): VNode {
  return (
    <Layout title={T.completed.title}>
      <h1>{T.completed.title}</h1>
      <div class="success" role="status">
        <p>{T.completed.message}</p>
      </div>
      <p>
        <a href="/signin" class="button">
          {T.completed.signIn}
        </a>
      </p>
    </Layout>
  );
}

export function AssistedProblemPage({ problem }: { problem: ProblemText }): VNode {
  return (
    <Layout title={problem.title}>
      <h1>{problem.title}</h1>
      <div class="error" role="alert">
        <p>{problem.message}</p>
      </div>
      <ul class="actions">
        <li>
          <a href="/reset">Reset your password yourself</a>
        </li>
        <li>
          <a href="/signin">Sign in</a>
        </li>
      </ul>
    </Layout>
  );
}
