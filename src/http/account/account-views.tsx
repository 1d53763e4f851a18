import type { VNode } from 'preact';
import { translator, type MessageId } from '../../core/i18n.ts';
import { problemIn, type StepProblemId } from '../../core/ui-text.ts';
import { maskMethod } from '../../core/contact.ts';
import type { Method } from '../../core/directory-model.ts';
import type { ChangePasswordError } from '../../service/session-service.ts';
import { useI18n, useT } from '../views/i18n-context.tsx';
import { Layout } from '../views/layout.tsx';

/** What can go wrong on the sign-in page: its words are `account.problem.<id>.title` / `.message`. */
export type SigninProblemId = 'invalid_credentials' | 'signin_throttled' | 'directory_unreachable' | 'csrf_invalid';

/**
 * What can go wrong on the password change page: a wrong current password has words of its own
 * (`account.problem.wrong_current.*`); the others are the reset flow's problems (`problem.<id>.*`).
 */
export type ChangePasswordProblemId = ChangePasswordError;

const en = translator('en');

/**
 * Some English words of these pages, for tests and browser journeys that look for them. The
 * pages themselves take every word from the catalogues (`account.*`) in the request's language.
 */
export const ACCOUNT_TEXT = {
  signin: { title: en('account.signin.title') },
  home: { title: en('account.home.title') },
  password: {
    title: en('account.password.title'),
    forced: en('account.password.forced'),
    done: en('account.password.done'),
  },
  problems: {
    invalid_credentials: { title: en('account.problem.invalid_credentials.title') },
  },
} as const;

function Problem({ title, message }: { title: string; message: string }): VNode {
  return (
    <div class="problem" role="alert" id="problem">
      <h2>{title}</h2>
      <p>{message}</p>
    </div>
  );
}

function SigninProblem({ id }: { id: SigninProblemId }): VNode {
  const t = useT();
  return (
    <Problem
      title={t(`account.problem.${id}.title` as MessageId)}
      message={t(`account.problem.${id}.message` as MessageId)}
    />
  );
}

function ChangePasswordProblem({ id }: { id: ChangePasswordProblemId }): VNode {
  const i18n = useI18n();
  if (id === 'invalid_credentials') {
    return (
      <Problem
        title={i18n.t('account.problem.wrong_current.title')}
        message={i18n.t('account.problem.wrong_current.message')}
      />
    );
  }
  const problem = problemIn(i18n, id satisfies StepProblemId);
  return <Problem title={problem.title} message={problem.message} />;
}

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

export interface SigninPageProps {
  csrf: string;
  login: string;
  next: string;
  problem: SigninProblemId | null;
  /** The login's organisation keeps its passwords in a directory: say how to unlock a locked account. */
  unlockHint?: boolean;
}

export function SigninPage(p: SigninPageProps): VNode {
  return <Signin {...p} />;
}

function Signin(p: SigninPageProps): VNode {
  const t = useT();
  const title = t('account.signin.title');
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      {p.problem ? <SigninProblem id={p.problem} /> : null}
      {p.unlockHint ? (
        <p class="hint" id="unlock-hint">
          {t('account.signin.lockedHint')} <a href="/reset">{t('account.signin.lockedHintLink')}</a>
        </p>
      ) : null}
      <form method="post" action="/signin" class="stack">
        <Csrf token={p.csrf} />
        <input type="hidden" name="next" value={p.next} />
        <div class="field">
          <label for="login">{t('account.signin.login')}</label>
          <p class="hint" id="login-hint">
            {t('account.signin.loginHint')}
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
          <label for="password">{t('account.signin.password')}</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
        </div>
        <button type="submit">{t('account.signin.submit')}</button>
      </form>
      <p>
        <a href="/reset">{t('account.signin.forgot')}</a>
      </p>
      <p>
        <a href="/help">{t('account.signin.help')}</a>
      </p>
    </Layout>
  );
}

export interface AccountHomePageProps {
  csrf: string;
  displayName: string;
  login: string;
  methods: readonly Method[];
  isAdmin: boolean;
  /** The password was just changed (`/account?changed=1`). */
  passwordChanged: boolean;
}

export function AccountHomePage(p: AccountHomePageProps): VNode {
  return <AccountHome {...p} />;
}

function AccountHome(p: AccountHomePageProps): VNode {
  const t = useT();
  const title = t('account.home.title');
  const shown = (kind: 'email' | 'phone') => {
    const m = p.methods.find((x) => x.kind === kind && x.verifiedAt !== null);
    return m ? <bdi class="ltr">{maskMethod(kind, m.value)}</bdi> : t('account.home.notRegistered');
  };
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      {p.passwordChanged ? (
        <p class="notice" role="status">
          {t('account.password.done')}
        </p>
      ) : null}
      <p>
        {p.displayName} (<bdi class="ltr">{p.login}</bdi>)
      </p>
      <h2>{t('account.home.security')}</h2>
      <p class="hint">{t('account.home.securityHint')}</p>
      <dl>
        <dt>{t('account.home.email')}</dt>
        <dd>{shown('email')}</dd>
        <dt>{t('account.home.phone')}</dt>
        <dd>{shown('phone')}</dd>
      </dl>
      <ul class="links">
        <li>
          <a href="/account/security">{t('account.home.manageSecurity')}</a>
        </li>
        <li>
          <a href="/account/password">{t('account.home.changePassword')}</a>
        </li>
        {p.isAdmin ? (
          <li>
            <a href="/admin">{t('account.home.console')}</a>
          </li>
        ) : null}
      </ul>
      <form method="post" action="/signout">
        <Csrf token={p.csrf} />
        <button type="submit" class="secondary">
          {t('account.home.signOut')}
        </button>
      </form>
    </Layout>
  );
}

export interface ChangePasswordPageProps {
  csrf: string;
  forced: boolean;
  /** The password lives in the organisation's directory (its "must change", or an admin's temporary password there). */
  directory?: boolean;
  minLength: number;
  problem: ChangePasswordProblemId | null;
}

export function ChangePasswordPage(p: ChangePasswordPageProps): VNode {
  return <ChangePassword {...p} />;
}

function ChangePassword(p: ChangePasswordPageProps): VNode {
  const t = useT();
  const title = t('account.password.title');
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      {p.forced ? <p>{t(p.directory ? 'account.password.forcedDirectory' : 'account.password.forced')}</p> : null}
      {p.problem ? <ChangePasswordProblem id={p.problem} /> : null}
      <form method="post" action="/account/password" class="stack">
        <Csrf token={p.csrf} />
        <div class="field">
          <label for="current">{t('account.password.current')}</label>
          <input id="current" name="current" type="password" autocomplete="current-password" required />
        </div>
        <div class="field">
          <label for="password">{t('account.password.new')}</label>
          <p class="hint" id="password-hint">
            {t('account.password.minLength', { min: p.minLength })}
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
          <label for="confirm">{t('account.password.confirm')}</label>
          <input id="confirm" name="confirm" type="password" autocomplete="new-password" required />
        </div>
        <button type="submit">{t('account.password.submit')}</button>
      </form>
    </Layout>
  );
}
