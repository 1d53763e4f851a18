import type { VNode } from 'preact';
import type { ConsoleFactorSetupView } from '../../service/console-factor/setup.ts';
import { useI18n, useT } from '../views/i18n-context.tsx';
import { Layout } from '../views/layout.tsx';
import { CodeEntryForm, Csrf } from './code-entry.tsx';

/**
 * The consoles' second step (admin console and Technical Support alike, under `base`): the step
 * itself (authenticator code, passkey, recovery code), the first sign-in's registration of an
 * authenticator app (QR code as server-made SVG, the key as text, its first code), and the ten
 * recovery codes shown once.
 */
export type ConsoleStepProblem =
  | 'invalid_code'
  | 'code_malformed'
  | 'passkey_refused'
  | 'attempts_exhausted'
  | 'nothing_pending';

const PASSKEY_SCRIPT = '/static/passkey.js';

function Problem({ problem }: { problem: ConsoleStepProblem | null }): VNode | null {
  const t = useT();
  if (!problem) return null;
  return (
    <div class="error" role="alert" id="problem">
      <p>{t(`console.step.problem.${problem}`)}</p>
    </div>
  );
}

export interface ConsoleStepPageProps {
  readonly base: string;
  readonly csrf: string;
  readonly next: string;
  readonly login: string;
  readonly hasAuthenticator: boolean;
  /** The passkey ceremony's options (JSON) when the owner has a passkey; null: no passkey form. */
  readonly passkeyOptions: string | null;
  readonly problem: ConsoleStepProblem | null;
  /** The password must be typed again (too many wrong codes). */
  readonly signinAgain: string | null;
}

export function ConsoleStepPage(p: ConsoleStepPageProps): VNode {
  return <ConsoleStep {...p} />;
}

function ConsoleStep(p: ConsoleStepPageProps): VNode {
  const t = useT();
  const title = t('console.step.title');
  return (
    <Layout title={title} scripts={p.passkeyOptions ? [PASSKEY_SCRIPT] : []}>
      <h1>{title}</h1>
      <Problem problem={p.problem} />
      {p.signinAgain ? (
        <p>
          <a href={p.signinAgain} class="button">
            {t('account.signin.submit')}
          </a>
        </p>
      ) : (
        <>
          <p>{t('console.step.intro')}</p>
          <p class="hint ltr">{p.login}</p>
          {p.hasAuthenticator ? (
            <CodeEntryForm
              action={`${p.base}?next=${encodeURIComponent(p.next)}`}
              csrf={p.csrf}
              label={t('console.step.codeLabel')}
              hint={t('console.step.codeHint')}
              submit={t('console.step.submit')}
              problem={p.problem !== null}
            />
          ) : null}
          {p.passkeyOptions ? (
            <form
              method="post"
              action={`${p.base}/passkey?next=${encodeURIComponent(p.next)}`}
              data-passkey="get"
              data-passkey-options={p.passkeyOptions}
              data-text-unsupported={t('reset.passkey.unsupported')}
              data-text-waiting={t('reset.passkey.waiting')}
              data-text-cancelled={t('reset.passkey.cancelled')}
            >
              <Csrf token={p.csrf} />
              <input type="hidden" name="credential" value="" />
              <button type="button" data-passkey-start>
                {t('console.step.passkey')}
              </button>
              <p class="hint" data-passkey-status role="status" aria-live="polite"></p>
            </form>
          ) : null}
          <form method="post" action={`${p.base}/recovery?next=${encodeURIComponent(p.next)}`} class="stack reset-form">
            <Csrf token={p.csrf} />
            <div class="field">
              <label for="recovery">{t('console.step.recoveryLabel')}</label>
              <p class="hint" id="recovery-hint">
                {t('console.step.recoveryHint')}
              </p>
              <input
                id="recovery"
                name="recovery"
                type="text"
                autocomplete="off"
                autocapitalize="characters"
                spellcheck={false}
                maxLength={20}
                required
                value=""
                aria-describedby="recovery-hint"
              />
            </div>
            <button type="submit" class="secondary">
              {t('console.step.recoverySubmit')}
            </button>
          </form>
        </>
      )}
    </Layout>
  );
}

export interface ConsoleSetupPageProps {
  readonly base: string;
  readonly csrf: string;
  readonly next: string;
  /** The registration waiting for its first code, with its QR code; null: offer to start one. */
  readonly setup: (ConsoleFactorSetupView & { qrSvg: string }) | null;
  readonly problem: ConsoleStepProblem | null;
}

export function ConsoleSetupPage(p: ConsoleSetupPageProps): VNode {
  return <ConsoleSetup {...p} />;
}

function ConsoleSetup(p: ConsoleSetupPageProps): VNode {
  const { t, when } = useI18n();
  const title = t('console.setup.title');
  const s = p.setup;
  const q = `?next=${encodeURIComponent(p.next)}`;
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      <Problem problem={p.problem} />
      <p>{t('console.setup.intro')}</p>
      {s === null ? (
        <form method="post" action={`${p.base}/setup${q}`} class="stack reset-form">
          <Csrf token={p.csrf} />
          <button type="submit">{t('console.setup.start')}</button>
        </form>
      ) : (
        <>
          <div
            class="qr-code"
            role="img"
            aria-label={t('console.setup.qrLabel')}
            dangerouslySetInnerHTML={{ __html: s.qrSvg }}
          />
          <p>{t('console.setup.key')}</p>
          <p>
            <code class="authenticator-key ltr" id="authenticator-key">
              {s.key}
            </code>
          </p>
          <p class="hint">{t('securityinfo.authenticator.expires', { when: when(s.expiresAt) })}</p>
          <CodeEntryForm
            action={`${p.base}/setup/confirm${q}`}
            csrf={p.csrf}
            label={t('console.step.codeLabel')}
            hint={t('console.step.codeHint')}
            submit={t('console.setup.submit')}
            problem={p.problem !== null}
          />
        </>
      )}
    </Layout>
  );
}

export interface RecoveryCodesPageProps {
  readonly codes: readonly string[];
  /** Where "Continue" goes. */
  readonly next: string;
}

export function RecoveryCodesPage(p: RecoveryCodesPageProps): VNode {
  return <RecoveryCodes {...p} />;
}

function RecoveryCodes(p: RecoveryCodesPageProps): VNode {
  const t = useT();
  const title = t('console.codes.title');
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      <p>{t('console.codes.intro')}</p>
      <ol class="recovery-codes ltr" id="recovery-codes">
        {p.codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <p>
        <a href={p.next} class="button">
          {t('console.codes.continue')}
        </a>
      </p>
    </Layout>
  );
}

/** The regeneration form (the admin console's and the support console's own pages link here). */
export function RegenerateCodesForm(p: { action: string; csrf: string; left: number }): VNode {
  const t = useT();
  return (
    <section aria-labelledby="recovery-heading">
      <h2 id="recovery-heading">{t('console.codes.title')}</h2>
      <p>{t('console.codes.left', { count: p.left })}</p>
      <p class="notice" id="recovery-warning">
        {t('console.codes.regenerateHint')}
      </p>
      <form method="post" action={p.action} id="recovery-regenerate">
        <Csrf token={p.csrf} />
        <button type="submit" class="secondary" aria-describedby="recovery-warning">
          {t('console.codes.regenerate')}
        </button>
      </form>
    </section>
  );
}
