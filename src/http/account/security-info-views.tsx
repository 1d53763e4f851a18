import type { VNode } from 'preact';
import { CodeEntryForm, Csrf } from './code-entry.tsx';
import type { MethodKind } from '../../core/contact.ts';
import type { MessageId } from '../../core/i18n.ts';
import { problemIn } from '../../core/ui-text.ts';
import type {
  MethodStatus,
  PendingView,
  SecurityInfoError,
  SecurityInfoOverview,
} from '../../service/security-info-service.ts';
import { useI18n, useT } from '../views/i18n-context.tsx';
import { Layout } from '../views/layout.tsx';
import { richText } from '../views/rich-text.tsx';
import type { AuthenticatorStatus } from '../../service/security-info-service.ts';
import { AuthenticatorNotice, AuthenticatorSection } from './authenticator-views.tsx';
import type { PasskeyListItem } from '../../service/security-info-service.ts';
import { PasskeyNotice, PasskeySection } from './passkey-views.tsx';
import { RegenerateCodesForm } from './console-step-views.tsx';

/**
 * The "My security info" pages. Every word comes from the catalogues (`securityinfo.*`), in the
 * request's language; times in its locale with the zone shown; masked addresses and numbers stay
 * left to right inside right-to-left text.
 */

/** What these pages can show as a problem: the service's refusals, and a stale form. */
export type SecurityProblemId = SecurityInfoError | 'csrf_invalid' | 'authenticator_exists';

/** Refusals whose words are the reset flow's own (`problem.<id>.*`): the same situation, the same words. */
const SHARED_PROBLEMS = new Set(['phone_invalid', 'resend_too_soon', 'code_malformed'] as const);
type SharedProblemId = typeof SHARED_PROBLEMS extends Set<infer T> ? T : never;

function isShared(id: SecurityProblemId): id is SharedProblemId {
  return (SHARED_PROBLEMS as ReadonlySet<string>).has(id);
}

function ProblemBox({ id }: { id: SecurityProblemId | null }): VNode | null {
  const i18n = useI18n();
  if (!id) return null;
  const { title, message } = isShared(id)
    ? problemIn(i18n, id)
    : id === 'csrf_invalid'
      ? { title: i18n.t('account.problem.csrf_invalid.title'), message: i18n.t('account.problem.csrf_invalid.message') }
      : {
          title: i18n.t(`securityinfo.problem.${id}.title` as MessageId),
          message: i18n.t(`securityinfo.problem.${id}.message` as MessageId),
        };
  return (
    <div class="error" role="alert" id="problem">
      <h2 class="problem-title">{title}</h2>
      <p>{message}</p>
    </div>
  );
}

/** A masked address or number: left to right even inside Arabic text. */
function Ltr({ children }: { children: string }): VNode {
  return <bdi class="ltr">{children}</bdi>;
}

/** The catalogue id of a per-kind message (`securityinfo.email.name`, `securityinfo.phone.name`, …). */
function kindId(kind: MethodKind, what: string): MessageId {
  return `securityinfo.${kind}.${what}` as MessageId;
}

function MethodSection(p: { kind: MethodKind; status: MethodStatus | null; csrf: string }): VNode {
  const { t, when } = useI18n();
  const s = p.status;
  const headingId = `${p.kind}-heading`;
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{t(kindId(p.kind, 'name'))}</h2>
      <p>
        <span class="masked" data-method={p.kind}>
          {s ? <Ltr>{s.maskedValue}</Ltr> : t('securityinfo.notRegistered')}
        </span>
      </p>
      {s ? (
        <p class="hint">
          {s.verifiedAt === null
            ? t('securityinfo.notConfirmed')
            : t('securityinfo.confirmedOn', { when: when(s.verifiedAt) })}
        </p>
      ) : null}
      {s?.usableFrom ? <p class="notice">{t('securityinfo.coolingOff', { when: when(s.usableFrom) })}</p> : null}
      {s?.reconfirmDue ? <p class="notice">{t('securityinfo.reconfirmDue')}</p> : null}
      <div class="button-row">
        {s && s.verifiedAt !== null && s.reconfirmDue ? (
          <form method="post" action={`/account/security/${p.kind}/reconfirm`}>
            <Csrf token={p.csrf} />
            <button type="submit" class="button reconfirm" aria-label={t(kindId(p.kind, 'confirmLabel'))}>
              {t('securityinfo.confirm')}
            </button>
          </form>
        ) : null}
        <a
          href={`/account/security/${p.kind}`}
          class={s?.reconfirmDue ? 'button secondary' : 'button'}
          aria-label={t(kindId(p.kind, s ? 'changeLabel' : 'addLabel'))}
        >
          {s ? t('securityinfo.change') : t('securityinfo.add')}
        </a>
      </div>
    </section>
  );
}

export interface SecurityInfoPageProps {
  csrf: string;
  overview: SecurityInfoOverview;
  isAdmin: boolean;
  review: boolean;
  /** A method was just confirmed (`?done=<kind>`): say so, and when it becomes usable if it is cooling off. */
  confirmed: MethodKind | null;
  problem: SecurityProblemId | null;
  authenticator: AuthenticatorStatus;
  /** The authenticator app was just registered or removed. */
  authenticatorChange: 'added' | 'removed' | null;
  /** The account's passkeys (absent: the section is not shown). */
  passkeys?: readonly PasskeyListItem[];
  /** A passkey was just registered or removed. */
  passkeyChange?: 'added' | 'removed' | null;
  /** An administrator's unused recovery codes (the console's second factor); absent for everyone else. */
  recoveryCodesLeft?: number | null;
}

export function SecurityInfoPage(p: SecurityInfoPageProps): VNode {
  return <SecurityInfo {...p} />;
}

function SecurityInfo(p: SecurityInfoPageProps): VNode {
  const t = useT();
  const o = p.overview;
  const title = t('securityinfo.title');
  const adminMissing = p.isAdmin && (o.email?.verifiedAt == null || o.phone?.verifiedAt == null);
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      {p.confirmed ? <ConfirmedNotice kind={p.confirmed} status={o[p.confirmed]} /> : null}
      {p.authenticatorChange ? <AuthenticatorNotice change={p.authenticatorChange} /> : null}
      {p.passkeyChange ? <PasskeyNotice change={p.passkeyChange} /> : null}
      <ProblemBox id={p.problem} />
      {p.review && o.reconfirm.length > 0 ? (
        <div class="notice" role="status">
          <h2 class="problem-title">{t('securityinfo.review.title')}</h2>
          <p>{t('securityinfo.review.intro')}</p>
        </div>
      ) : null}
      {adminMissing ? <p class="notice">{t('securityinfo.adminNeedsBoth')}</p> : null}
      <p>{t('securityinfo.intro')}</p>
      <MethodSection kind="email" status={o.email} csrf={p.csrf} />
      <MethodSection kind="phone" status={o.phone} csrf={p.csrf} />
      <AuthenticatorSection status={p.authenticator} csrf={p.csrf} />
      {p.passkeys ? <PasskeySection passkeys={p.passkeys} csrf={p.csrf} /> : null}
      {p.recoveryCodesLeft != null ? (
        <RegenerateCodesForm action="/admin/recovery-codes" csrf={p.csrf} left={p.recoveryCodesLeft} />
      ) : null}
      <p>
        <a href="/account">{t('securityinfo.back')}</a>
      </p>
    </Layout>
  );
}

/** The notice shown after a successful confirmation. */
function ConfirmedNotice({ kind, status }: { kind: MethodKind; status: MethodStatus | null }): VNode {
  const { t, when } = useI18n();
  const done = t(kindId(kind, 'done'));
  return (
    <p class="success" role="status">
      {status?.usableFrom ? `${done} ${t('securityinfo.doneCoolingOff', { when: when(status.usableFrom) })}` : done}
    </p>
  );
}

export interface MethodFormPageProps {
  csrf: string;
  kind: MethodKind;
  current: MethodStatus | null;
  value: string;
  problem: SecurityProblemId | null;
}

export function MethodFormPage(p: MethodFormPageProps): VNode {
  return <MethodForm {...p} />;
}

function MethodForm(p: MethodFormPageProps): VNode {
  const t = useT();
  const title = t(kindId(p.kind, p.current ? 'changeTitle' : 'addTitle'));
  const describedBy = p.problem ? 'value-hint problem' : 'value-hint';
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      <ProblemBox id={p.problem} />
      {p.current ? (
        <p>{richText(t, 'securityinfo.form.current', {}, { value: <Ltr>{p.current.maskedValue}</Ltr> })}</p>
      ) : null}
      <form method="post" action={`/account/security/${p.kind}`} class="stack reset-form">
        <Csrf token={p.csrf} />
        <div class="field">
          <label for="value">{t(kindId(p.kind, 'label'))}</label>
          <p class="hint" id="value-hint">
            {t(kindId(p.kind, 'hint'))}
          </p>
          {p.kind === 'email' ? (
            <input
              id="value"
              name="value"
              type="email"
              autocomplete="email"
              required
              value={p.value}
              aria-describedby={describedBy}
              aria-invalid={p.problem ? 'true' : undefined}
            />
          ) : (
            <input
              id="value"
              name="value"
              type="tel"
              autocomplete="tel"
              required
              value={p.value}
              aria-describedby={describedBy}
              aria-invalid={p.problem ? 'true' : undefined}
            />
          )}
        </div>
        <button type="submit">{t('securityinfo.form.submit')}</button>
      </form>
      <p>
        <a href="/account/security">{t('securityinfo.form.cancel')}</a>
      </p>
    </Layout>
  );
}

export interface ConfirmCodePageProps {
  csrf: string;
  pending: PendingView;
  problem: SecurityProblemId | null;
  /** A new code was just sent (`?resent=1`). */
  resent: boolean;
  now: number;
}

export function ConfirmCodePage(p: ConfirmCodePageProps): VNode {
  return <ConfirmCode {...p} />;
}

function ConfirmCode(p: ConfirmCodePageProps): VNode {
  const { t, when } = useI18n();
  const v = p.pending;
  const title = t('securityinfo.code.title');
  const wait = v.resendAvailableAt !== null && v.resendAvailableAt > p.now;
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      {p.resent ? (
        <p class="success" role="status">
          {t('securityinfo.code.resent')}
        </p>
      ) : null}
      <ProblemBox id={p.problem} />
      {v.purpose === 'reconfirm' ? <p>{t(kindId(v.kind, 'reconfirm'))}</p> : null}
      <p>{richText(t, 'securityinfo.code.sent', { when: when(v.expiresAt) }, { value: <Ltr>{v.maskedValue}</Ltr> })}</p>
      <CodeEntryForm
        action={`/account/security/${v.kind}/confirm`}
        csrf={p.csrf}
        label={t('securityinfo.code.label')}
        hint={t('securityinfo.code.hint')}
        submit={t('securityinfo.code.submit')}
        problem={p.problem !== null}
      />
      <div class="other-options">
        {v.codesLeft <= 0 ? (
          <p>{t('securityinfo.code.noCodesLeft')}</p>
        ) : (
          <>
            {wait ? (
              <p class="hint">{t('securityinfo.code.resendAfter', { when: when(v.resendAvailableAt!) })}</p>
            ) : null}
            <form method="post" action={`/account/security/${v.kind}/resend`}>
              <Csrf token={p.csrf} />
              <button type="submit" class="secondary">
                {t('securityinfo.code.resend')}
              </button>
            </form>
          </>
        )}
        <a href={`/account/security/${v.kind}`}>{t(kindId(v.kind, 'other'))}</a>
        <a href="/account/security">{t('securityinfo.form.cancel')}</a>
      </div>
    </Layout>
  );
}
