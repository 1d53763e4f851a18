import type { VNode } from 'preact';
import {
  CONTACT_ADMIN,
  DIRECTORY_SIGNIN_TEXT,
  FORM_RELOADED,
  WORK_LOGIN_HINT,
  type ProblemText,
} from '../../core/ui-text.ts';
import { maskMethod } from '../../core/contact.ts';
import type { Method } from '../../core/directory-model.ts';
import { Layout } from '../views/layout.tsx';

/** Words of the sign-in and account pages (one place, keyed by page). */
export const ACCOUNT_TEXT = {
  signin: {
    title: 'Sign in',
    login: 'User ID',
    loginHint: WORK_LOGIN_HINT,
    password: 'Password',
    submit: 'Sign in',
    forgot: 'Forgot your password?',
  },
  home: {
    title: 'Your account',
    security: 'Security info',
    securityHint: 'The alternate email and mobile phone we use to confirm it is you when you reset your password.',
    manageSecurity: 'Manage security info',
    console: 'Admin console',
    changePassword: 'Change password',
    signOut: 'Sign out',
    notRegistered: 'Not registered',
  },
  password: {
    title: 'Change your password',
    forced: 'Your administrator set a temporary password. Choose a new password to continue.',
    current: 'Current password',
    next: 'New password',
    confirm: 'Type it again',
    submit: 'Change password',
    done: 'Your password was changed. Other devices were signed out.',
  },
  problems: {
    invalid_credentials: {
      title: 'That did not work',
      message: 'The user ID or password is not right. Check them and try again, or reset your password.',
    },
    signin_throttled: {
      title: 'Please wait before trying again',
      message:
        'There were several wrong passwords for this account. Wait a little, then try again — or reset your password.',
    },
    directory_unreachable: DIRECTORY_SIGNIN_TEXT.unreachable,
    csrf_invalid: FORM_RELOADED,
  },
} as const;

function Problem({ problem }: { problem: ProblemText | null }): VNode | null {
  if (!problem) return null;
  return (
    <div class="problem" role="alert" id="problem">
      <h2>{problem.title}</h2>
      <p>{problem.message}</p>
    </div>
  );
}

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

export function SigninPage(p: {
  csrf: string;
  login: string;
  next: string;
  problem: ProblemText | null;
  /** The login's organisation keeps its passwords in a directory: say how to unlock a locked account. */
  unlockHint?: boolean;
}): VNode {
  const t = ACCOUNT_TEXT.signin;
  return (
    <Layout title={t.title}>
      <h1>{t.title}</h1>
      <Problem problem={p.problem} />
      {p.unlockHint ? (
        <p class="hint" id="unlock-hint">
          {DIRECTORY_SIGNIN_TEXT.lockedHint} <a href="/reset">{DIRECTORY_SIGNIN_TEXT.lockedHintLink}</a>
        </p>
      ) : null}
      <form method="post" action="/signin" class="stack">
        <Csrf token={p.csrf} />
        <input type="hidden" name="next" value={p.next} />
        <div class="field">
          <label for="login">{t.login}</label>
          <p class="hint" id="login-hint">
            {t.loginHint}
          </p>
          <input
            id="login"
            name="login"
            type="email"
            autocomplete="username"
            required
            value={p.login}
            aria-describedby={p.problem ? 'login-hint problem' : 'login-hint'}
          />
        </div>
        <div class="field">
          <label for="password">{t.password}</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
        </div>
        <button type="submit">{t.submit}</button>
      </form>
      <p>
        <a href="/reset">{t.forgot}</a>
      </p>
      <p>
        <a href="/help">{CONTACT_ADMIN.helpLink}</a>
      </p>
    </Layout>
  );
}

export function AccountHomePage(p: {
  csrf: string;
  displayName: string;
  login: string;
  methods: readonly Method[];
  isAdmin: boolean;
  notice: string | null;
}): VNode {
  const t = ACCOUNT_TEXT.home;
  const shown = (kind: 'email' | 'phone') => {
    const m = p.methods.find((x) => x.kind === kind && x.verifiedAt !== null);
    return m ? maskMethod(kind, m.value) : t.notRegistered;
  };
  return (
    <Layout title={t.title}>
      <h1>{t.title}</h1>
      {p.notice ? (
        <p class="notice" role="status">
          {p.notice}
        </p>
      ) : null}
      <p>
        {p.displayName} ({p.login})
      </p>
      <h2>{t.security}</h2>
      <p class="hint">{t.securityHint}</p>
      <dl>
        <dt>Alternate email</dt>
        <dd>{shown('email')}</dd>
        <dt>Mobile phone</dt>
        <dd>{shown('phone')}</dd>
      </dl>
      <ul class="links">
        <li>
          <a href="/account/security">{t.manageSecurity}</a>
        </li>
        <li>
          <a href="/account/password">{t.changePassword}</a>
        </li>
        {p.isAdmin ? (
          <li>
            <a href="/admin">{t.console}</a>
          </li>
        ) : null}
      </ul>
      <form method="post" action="/signout">
        <Csrf token={p.csrf} />
        <button type="submit" class="secondary">
          {t.signOut}
        </button>
      </form>
    </Layout>
  );
}

export function ChangePasswordPage(p: {
  csrf: string;
  forced: boolean;
  /** The password lives in the organisation's directory (its "must change", or an admin's temporary password there). */
  directory?: boolean;
  minLength: number;
  problem: ProblemText | null;
}): VNode {
  const t = ACCOUNT_TEXT.password;
  return (
    <Layout title={t.title}>
      <h1>{t.title}</h1>
      {p.forced ? <p>{p.directory ? DIRECTORY_SIGNIN_TEXT.mustChange : t.forced}</p> : null}
      <Problem problem={p.problem} />
      <form method="post" action="/account/password" class="stack">
        <Csrf token={p.csrf} />
        <div class="field">
          <label for="current">{t.current}</label>
          <input id="current" name="current" type="password" autocomplete="current-password" required />
        </div>
        <div class="field">
          <label for="password">{t.next}</label>
          <p class="hint" id="password-hint">
            At least {p.minLength} characters. A few unrelated words work well.
          </p>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="new-password"
            required
            aria-describedby="password-hint"
          />
        </div>
        <div class="field">
          <label for="confirm">{t.confirm}</label>
          <input id="confirm" name="confirm" type="password" autocomplete="new-password" required />
        </div>
        <button type="submit">{t.submit}</button>
      </form>
    </Layout>
  );
}
