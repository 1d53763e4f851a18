import type { ComponentChildren, VNode } from 'preact';
import type { MessageId } from '../../core/i18n.ts';
import { isAdminRole, type Role } from '../../core/directory-model.ts';
import type { HelpResolution, HelpStatus } from '../../ports/help-store.ts';
import type { HelpRequestView, ReferenceFinding } from '../../service/help-request-service.ts';
import type { TicketDetail } from '../../service/support-service.ts';
import { useI18n, useT } from '../views/i18n-context.tsx';
import { Layout } from '../views/layout.tsx';
import { richText } from '../views/rich-text.tsx';
import { ReferenceResult, ReferenceSearch } from '../help/reference-views.tsx';
import { CallerSection, DisabledHint, FactorResetSection } from '../admin/caller-views.tsx';
import { RegenerateCodesForm } from '../account/console-step-views.tsx';
import type { CallCheckStarted, CallerStatus } from '../../service/caller-verification-service.ts';

/**
 * The Technical Support console's pages. Every word is in the catalogues under `support.*`
 * (locales/<locale>.json); the pages speak the request's language. Exported pages may be called
 * as functions (`sendHtml(reply, TicketsPage({…}))`): each renders an inner component, so the
 * words come from the page's I18nProvider.
 */

/** Problems the console shows, by error code: `support.problem.<id>.title` / `.message`. */
export const SUPPORT_PROBLEM_IDS = [
  'invalid_credentials',
  'signin_throttled',
  'ticket_not_found',
  'ticket_closed',
  'note_missing',
  'note_too_long',
  'verification_required',
  'target_invalid',
  'already_admin',
  'no_methods',
  'csrf_invalid',
  'caller_not_verified',
  'approval_required',
  'invalid_code',
  'sending_limit',
  'own_request',
  'approval_not_found',
  'no_authenticator',
  'no_passkey',
] as const;
export type SupportProblemId = (typeof SUPPORT_PROBLEM_IDS)[number];

/** What an action on a ticket did (`?done=<id>` after the redirect): `support.done.<id>`. */
export const SUPPORT_DONE_IDS = [
  'verified',
  'link',
  'promoted',
  'closed',
  'caller_sent',
  'caller_verified',
  'approval',
  'factor_reset',
] as const;
export type SupportDoneId = (typeof SUPPORT_DONE_IDS)[number];

export function isSupportDone(id: string): id is SupportDoneId {
  return (SUPPORT_DONE_IDS as readonly string[]).includes(id);
}

const ROLE_WORDS: Readonly<Record<Role, MessageId>> = {
  user: 'support.role.user',
  admin: 'support.role.admin',
  global_admin: 'support.role.global_admin',
};

const STATUS_WORDS: Readonly<Record<HelpStatus, MessageId | null>> = {
  open: 'support.status.open',
  resolved: 'support.status.resolved',
  dismissed: 'support.status.dismissed',
  void: null,
};

const OUTCOME_WORDS: Readonly<Record<HelpResolution, MessageId>> = {
  reset_link: 'support.outcome.reset_link',
  temp_password: 'support.outcome.temp_password',
  dismissed: 'support.outcome.dismissed',
  promoted: 'support.outcome.promoted',
  second_factor_reset: 'support.outcome.second_factor_reset',
};

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

/** A problem by its error code; a code the console has no words for says so with the code. */
function Problem({ code }: { code: string | null }): VNode | null {
  const t = useT();
  if (!code) return null;
  const known = (SUPPORT_PROBLEM_IDS as readonly string[]).includes(code);
  const title = known ? t(`support.problem.${code}.title` as MessageId) : t('support.problem.other.title');
  const message = known
    ? t(`support.problem.${code}.message` as MessageId)
    : t('support.problem.other.message', { code });
  return (
    <div class="error" role="alert" id="problem">
      <h2 class="problem-title">{title}</h2>
      <p>{message}</p>
    </div>
  );
}

function Notice({ done }: { done: SupportDoneId | null }): VNode | null {
  const t = useT();
  return done ? (
    <p class="success" role="status">
      {t(`support.done.${done}`)}
    </p>
  ) : null;
}

/** Who asked: "Name (login)", isolated so that the parentheses stay with the name in RTL text. */
function Requester({ r }: { r: HelpRequestView }): VNode {
  const t = useT();
  return r.requester ? (
    <bdi>{`${r.requester.displayName} (${r.requester.login})`}</bdi>
  ) : (
    <>{t('support.requester.unknown')}</>
  );
}

/** A ticket's reference, left to right in any text. */
function Ref({ reference }: { reference: string }): VNode {
  return (
    <bdi class="ltr">
      <code>{reference}</code>
    </bdi>
  );
}

/** The support console's shell: who is signed in, the ticket list, sign-out. */
export function SupportLayout(p: {
  title: string;
  operatorName: string;
  csrf: string;
  children?: ComponentChildren;
}): VNode {
  return <SupportShell {...p} />;
}

function SupportShell(p: { title: string; operatorName: string; csrf: string; children?: ComponentChildren }): VNode {
  const t = useT();
  return (
    <Layout title={t('support.layout.title', { title: p.title })}>
      <nav class="admin-nav" aria-label={t('support.nav.label')}>
        <p class="admin-tenant">{t('support.nav.heading', { operator: p.operatorName })}</p>
        <ul>
          <li>
            <a href="/support">{t('support.nav.tickets')}</a>
          </li>
          <li>
            <a href="/support/approvals">{t('support.nav.approvals')}</a>
          </li>
          <li>
            <a href="/support/security">{t('support.nav.security')}</a>
          </li>
          <li>
            <form method="post" action="/support/signout" class="inline-form">
              <Csrf token={p.csrf} />
              <button type="submit" class="secondary">
                {t('support.nav.signOut')}
              </button>
            </form>
          </li>
        </ul>
      </nav>
      {p.children}
    </Layout>
  );
}

export interface SupportSigninProps {
  readonly csrf: string;
  readonly login: string;
  /** An error code (`support.problem.<code>`), or null. */
  readonly problem: string | null;
}

export function SupportSigninPage(p: SupportSigninProps): VNode {
  return <SupportSignin {...p} />;
}

function SupportSignin(p: SupportSigninProps): VNode {
  const t = useT();
  const title = t('support.signin.title');
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      <p>
        {t('support.signin.intro')} <a href="/reset">{t('support.signin.resetLink')}</a>
      </p>
      <Problem code={p.problem} />
      <form method="post" action="/support/signin" class="stack">
        <Csrf token={p.csrf} />
        <div class="field">
          <label for="login">{t('support.signin.login')}</label>
          <input
            id="login"
            name="login"
            type="text"
            autoComplete="username"
            autoCapitalize="none"
            spellcheck={false}
            required
            value={p.login}
            aria-describedby={p.problem ? 'problem' : undefined}
          />
        </div>
        <div class="field">
          <label for="password">{t('support.signin.password')}</label>
          <input id="password" name="password" type="password" autoComplete="current-password" required />
        </div>
        <button type="submit">{t('support.signin.submit')}</button>
      </form>
    </Layout>
  );
}

export interface TicketsPageProps {
  readonly operatorName: string;
  readonly csrf: string;
  readonly open: readonly HelpRequestView[];
  readonly closed: readonly HelpRequestView[];
  /** The operator's unused recovery codes (the console's second factor); the regeneration form shows it. */
  readonly recoveryCodesLeft: number;
}

export function TicketsPage(p: TicketsPageProps): VNode {
  return <Tickets {...p} />;
}

function Tickets(p: TicketsPageProps): VNode {
  const { t, when } = useI18n();
  const title = t('support.tickets.title');
  return (
    <SupportLayout title={title} operatorName={p.operatorName} csrf={p.csrf}>
      <h1>{title}</h1>
      <p>{t('support.tickets.intro')}</p>
      <ReferenceSearch action="/support/reference" value="" />
      <h2 id="open-caption">{t('support.tickets.open', { count: p.open.length })}</h2>
      {p.open.length === 0 ? (
        <p>{t('support.tickets.none')}</p>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="open-caption">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">{t('support.tickets.column.reference')}</th>
                <th scope="col">{t('support.tickets.column.organisation')}</th>
                <th scope="col">{t('support.tickets.column.requester')}</th>
                <th scope="col">{t('support.tickets.column.received')}</th>
                <th scope="col">{t('support.tickets.column.verified')}</th>
              </tr>
            </thead>
            <tbody>
              {p.open.map((r) => (
                <tr key={r.id}>
                  <td>
                    <a href={`/support/tickets/${r.id}`}>
                      <Ref reference={r.reference} />
                    </a>
                  </td>
                  <td>{r.tenant?.name ?? '—'}</td>
                  <td>
                    <Requester r={r} />
                  </td>
                  <td>{when(r.createdAt)}</td>
                  <td>{r.verifiedAt ? t('support.tickets.verified.yes') : t('support.tickets.verified.no')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2 id="closed-caption">{t('support.tickets.closed')}</h2>
      {p.closed.length === 0 ? (
        <p>{t('support.tickets.noneClosed')}</p>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="closed-caption">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">{t('support.tickets.column.reference')}</th>
                <th scope="col">{t('support.tickets.column.organisation')}</th>
                <th scope="col">{t('support.tickets.column.requester')}</th>
                <th scope="col">{t('support.tickets.column.outcome')}</th>
                <th scope="col">{t('support.tickets.column.closed')}</th>
              </tr>
            </thead>
            <tbody>
              {p.closed.map((r) => (
                <tr key={r.id}>
                  <td>
                    <a href={`/support/tickets/${r.id}`}>
                      <Ref reference={r.reference} />
                    </a>
                  </td>
                  <td>{r.tenant?.name ?? '—'}</td>
                  <td>
                    <Requester r={r} />
                  </td>
                  <td>{r.resolution ? t(OUTCOME_WORDS[r.resolution]) : '—'}</td>
                  <td>{r.resolvedAt ? when(r.resolvedAt) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <RegenerateCodesForm action="/support/recovery-codes" csrf={p.csrf} left={p.recoveryCodesLeft} />
    </SupportLayout>
  );
}

export interface TicketPageProps {
  readonly operatorName: string;
  readonly csrf: string;
  readonly detail: TicketDetail;
  /** What the last action did (`support.done.<id>`), or null. */
  readonly notice: SupportDoneId | null;
  /** An error code (`support.problem.<code>`), or null. */
  readonly problem: string | null;
  /** The caller verification of the requester (open tickets with an account). */
  readonly caller?: CallerStatus | null;
  /** The reverse check's phrase, shown once. */
  readonly phrase?: CallCheckStarted | null;
  readonly verifyCallUrl?: string;
}

export function TicketPage(p: TicketPageProps): VNode {
  return <Ticket {...p} />;
}

function Ticket(p: TicketPageProps): VNode {
  const { t, when } = useI18n();
  const r = p.detail.ticket;
  const who = r.requester;
  const base = `/support/tickets/${r.id}`;
  const open = r.status === 'open';
  const status = STATUS_WORDS[r.status];
  return (
    <SupportLayout
      title={t('support.ticket.title', { reference: r.reference })}
      operatorName={p.operatorName}
      csrf={p.csrf}
    >
      <p>
        <a href="/support">{t('support.ticket.back')}</a>
      </p>
      <h1>{richText(t, 'support.ticket.title', {}, { reference: <Ref reference={r.reference} /> })}</h1>
      <Notice done={p.notice} />
      <Problem code={p.problem} />
      <dl class="facts">
        <dt>{t('support.ticket.tenant')}</dt>
        <dd>{r.tenant?.name ?? '—'}</dd>
        <dt>{t('support.ticket.requester')}</dt>
        <dd>
          <Requester r={r} />
        </dd>
        <dt>{t('support.ticket.role')}</dt>
        <dd>{who ? t(ROLE_WORDS[who.role]) : '—'}</dd>
        <dt>{t('support.ticket.email')}</dt>
        <dd>{who?.maskedEmail ? <bdi class="ltr">{who.maskedEmail}</bdi> : t('support.ticket.notRegistered')}</dd>
        <dt>{t('support.ticket.phone')}</dt>
        <dd>{who?.maskedPhone ? <bdi class="ltr">{who.maskedPhone}</bdi> : t('support.ticket.notRegistered')}</dd>
        <dt>{t('support.ticket.received')}</dt>
        <dd>{when(r.createdAt)}</dd>
        <dt>{t('support.ticket.status')}</dt>
        <dd>
          {status ? t(status) : '—'}
          {r.resolution ? ` — ${t(OUTCOME_WORDS[r.resolution])}` : ''}
          {r.resolvedAt ? `, ${when(r.resolvedAt)}` : ''}
          {r.resolutionNote ? ` (${r.resolutionNote})` : ''}
        </dd>
      </dl>
      <h2>{t('support.ticket.message')}</h2>
      <blockquote class="help-message">{r.message ?? ''}</blockquote>

      <h2>{t('support.ticket.verifyTitle')}</h2>
      {r.verifiedAt ? (
        <p>{t('support.ticket.verifiedAt', { when: when(r.verifiedAt), note: r.verificationNote ?? '' })}</p>
      ) : open ? (
        <>
          <p>{t('support.ticket.verifyIntro')}</p>
          <form method="post" action={`${base}/verify`} class="stack">
            <Csrf token={p.csrf} />
            <div class="field">
              <label for="note">{t('support.ticket.note')}</label>
              <span class="hint" id="note-hint">
                {t('support.ticket.noteHint')}
              </span>
              <textarea id="note" name="note" rows={3} maxLength={500} required aria-describedby="note-hint"></textarea>
            </div>
            <button type="submit">{t('support.ticket.recordVerification')}</button>
          </form>
        </>
      ) : (
        <p>{t('support.ticket.notRecorded')}</p>
      )}

      {open ? (
        <>
          <h2>{t('support.ticket.actTitle')}</h2>
          {r.verifiedAt === null ? (
            <p class="notice">{t('support.ticket.actLocked')}</p>
          ) : (
            <>
              {p.caller ? (
                <CallerSection
                  status={p.caller}
                  base={base}
                  csrf={p.csrf}
                  phrase={p.phrase ?? null}
                  verifyCallUrl={p.verifyCallUrl ?? '/verify-call'}
                  otherWays
                  refresh={base}
                />
              ) : null}
              <form method="post" action={`${base}/reset-link`} class="stack">
                <Csrf token={p.csrf} />
                <p class="hint" id="link-hint">
                  {t('support.ticket.issueLinkHint')}
                </p>
                <button type="submit" aria-describedby="link-hint" disabled={p.caller ? !p.caller.allowed : false}>
                  {t('support.ticket.issueLink')}
                </button>
              </form>
              {who && isAdminRole(who.role) ? (
                <>
                  {p.caller && !p.caller.allowed ? <DisabledHint id="factor-disabled" /> : null}
                  <FactorResetSection
                    action={`${base}/second-factor/reset`}
                    csrf={p.csrf}
                    locked={p.caller ? !p.caller.allowed : false}
                    lockedHint="factor-disabled"
                    level={3}
                  />
                </>
              ) : null}
              <h3>{t('support.ticket.promote')}</h3>
              {p.detail.candidates.length === 0 ? (
                <p>{t('support.ticket.noCandidates')}</p>
              ) : (
                <form method="post" action={`${base}/promote`} class="stack">
                  <Csrf token={p.csrf} />
                  <div class="field">
                    <label for="target">{t('support.ticket.promoteTarget')}</label>
                    <span class="hint" id="target-hint">
                      {t('support.ticket.promoteHint')}
                    </span>
                    <select id="target" name="target" required aria-describedby="target-hint">
                      {p.detail.candidates.map((c) => (
                        <option key={c.accountId} value={c.accountId}>
                          {t(
                            c.maskedEmail && c.maskedPhone
                              ? 'support.ticket.candidate'
                              : 'support.ticket.candidateNoMethods',
                            { name: c.displayName, login: c.login },
                          )}
                        </option>
                      ))}
                    </select>
                  </div>
                  <button type="submit" class="secondary">
                    {t('support.ticket.promoteSubmit')}
                  </button>
                </form>
              )}
            </>
          )}
          <h3>{t('support.ticket.close')}</h3>
          <form method="post" action={`${base}/close`} class="stack">
            <Csrf token={p.csrf} />
            <div class="field">
              <label for="reason">{t('support.ticket.reason')}</label>
              <span class="hint" id="reason-hint">
                {t('support.ticket.reasonHint')}
              </span>
              <textarea
                id="reason"
                name="reason"
                rows={2}
                maxLength={500}
                required
                aria-describedby="reason-hint"
              ></textarea>
            </div>
            <button type="submit" class="secondary">
              {t('support.ticket.closeSubmit')}
            </button>
          </form>
        </>
      ) : null}
    </SupportLayout>
  );
}

export interface SupportReferencePageProps {
  readonly operatorName: string;
  readonly csrf: string;
  readonly reference: string;
  readonly finding: ReferenceFinding | null;
}

/** `/support/reference`: what a support reference is (a ticket, any tenant's help request, or an error page). */
export function SupportReferencePage(p: SupportReferencePageProps): VNode {
  return <SupportReference {...p} />;
}

function SupportReference(p: SupportReferencePageProps): VNode {
  const t = useT();
  return (
    <SupportLayout
      title={t('support.reference.title', { reference: p.reference })}
      operatorName={p.operatorName}
      csrf={p.csrf}
    >
      <h1>{t('helppage.reference.heading')}</h1>
      <ReferenceSearch action="/support/reference" value={p.reference} />
      {p.reference ? (
        <ReferenceResult
          reference={p.reference}
          finding={p.finding}
          requestHref={(id) =>
            p.finding?.kind === 'help_request' && p.finding.request.queue === 'support'
              ? `/support/tickets/${id}`
              : null
          }
        />
      ) : null}
      <p>
        <a href="/support">{t('support.reference.back')}</a>
      </p>
    </SupportLayout>
  );
}
