import type { VNode } from 'preact';
import type { Translate } from '../../core/i18n.ts';
import type { ProblemText } from '../../core/ui-text.ts';
import type { HelpRequestView } from '../../service/help-request-service.ts';
import { ReferenceSearch } from '../help/reference-views.tsx';
import { useI18n, useT } from '../views/i18n-context.tsx';
import { AdminLayout } from './admin-layout.tsx';
import { richText } from '../views/rich-text.tsx';
import type { CallerStatus } from '../../service/caller-verification-service.ts';
import { CallerSection, DisabledHint } from './caller-views.tsx';

/** The notices after a redirect (`?done=`). */
export type RequestsNotice = 'link' | 'dismissed' | 'caller_sent' | 'caller_verified';
export const REQUESTS_NOTICES: readonly RequestsNotice[] = ['link', 'dismissed', 'caller_sent', 'caller_verified'];

/** The problems the section explains itself (`admin.requests.problem.<id>.*`). */
export type RequestsProblem =
  | 'request_not_found'
  | 'request_closed'
  | 'reason_missing'
  | 'reason_too_long'
  | 'csrf_invalid'
  | 'failed';
export const REQUESTS_PROBLEMS: readonly RequestsProblem[] = [
  'request_not_found',
  'request_closed',
  'reason_missing',
  'reason_too_long',
  'csrf_invalid',
  'failed',
];

export interface RequestsFrame {
  readonly tenantName: string;
  readonly activeAdmins: number;
  readonly csrf: string;
}

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

function Code({ children }: { children: string }): VNode {
  return (
    <bdi class="ltr">
      <code>{children}</code>
    </bdi>
  );
}

/** "Name (login)", isolated so that a Latin name and login keep their order inside Arabic text. */
function Requester({ who }: { who: NonNullable<HelpRequestView['requester']> }): VNode {
  return <bdi>{`${who.displayName} (${who.login})`}</bdi>;
}

function OpenRequest({ r, csrf, caller }: { r: HelpRequestView; csrf: string; caller: CallerStatus | null }): VNode {
  const { t, when } = useI18n();
  const who = r.requester;
  const base = `/admin/requests/${r.id}`;
  const headingId = `request-${r.id}`;
  // a reset link or a temporary password: only once the caller is verified (the same gate as the user's page)
  const locked = caller ? !caller.allowed : false;
  const lockedHint = `${headingId}-locked`;
  return (
    <article class="help-request" aria-labelledby={headingId}>
      <h3 id={headingId}>
        {who ? <Requester who={who} /> : t('admin.requests.unknownAccount')}
        {who ? (
          <>
            {' '}
            <a href={`/admin/users/${who.accountId}`} class="small">
              {t('admin.requests.viewUser')}
            </a>
          </>
        ) : null}
      </h3>
      <dl class="facts">
        <dt>{t('admin.requests.reference')}</dt>
        <dd>
          <Code>{r.reference}</Code>
        </dd>
        <dt>{t('admin.requests.received')}</dt>
        <dd>
          <time dateTime={new Date(r.createdAt).toISOString()}>{when(r.createdAt)}</time>
        </dd>
        <dt>{t('admin.requests.email')}</dt>
        <dd>{who?.maskedEmail ? <bdi class="ltr">{who.maskedEmail}</bdi> : t('admin.requests.notRegistered')}</dd>
        <dt>{t('admin.requests.phone')}</dt>
        <dd>{who?.maskedPhone ? <bdi class="ltr">{who.maskedPhone}</bdi> : t('admin.requests.notRegistered')}</dd>
      </dl>
      <h4>{t('admin.requests.message')}</h4>
      <blockquote class="help-message">{r.message ?? ''}</blockquote>
      {caller ? (
        <CallerSection
          status={caller}
          base={base}
          csrf={csrf}
          phrase={null}
          verifyCallUrl={null}
          idPrefix={`${headingId}-`}
          otherWays
          refresh={`/admin/requests#${headingId}`}
        />
      ) : null}
      <div class="request-actions">
        {locked ? <DisabledHint id={lockedHint} /> : null}
        <form method="post" action={`${base}/reset-link`} class="inline-form">
          <Csrf token={csrf} />
          <button
            type="submit"
            disabled={locked}
            aria-describedby={locked ? `${lockedHint} ${headingId}-link-hint` : `${headingId}-link-hint`}
          >
            {t('admin.requests.sendLink')}
          </button>
          <span class="hint" id={`${headingId}-link-hint`}>
            {t('admin.requests.sendLinkHint')}
          </span>
        </form>
        <form method="post" action={`${base}/temp-password`} class="inline-form">
          <Csrf token={csrf} />
          <button
            type="submit"
            class="secondary"
            disabled={locked}
            aria-describedby={locked ? `${lockedHint} ${headingId}-temp-hint` : `${headingId}-temp-hint`}
          >
            {t('admin.requests.tempPassword')}
          </button>
          <span class="hint" id={`${headingId}-temp-hint`}>
            {t('admin.requests.tempPasswordHint')}
          </span>
        </form>
        <form method="post" action={`${base}/dismiss`} class="stack">
          <Csrf token={csrf} />
          <div class="field">
            <label for={`${headingId}-reason`}>{t('admin.requests.reason')}</label>
            <span class="hint" id={`${headingId}-reason-hint`}>
              {t('admin.requests.reasonHint')}
            </span>
            <textarea
              id={`${headingId}-reason`}
              name="reason"
              rows={2}
              maxLength={500}
              required
              aria-describedby={`${headingId}-reason-hint`}
            ></textarea>
          </div>
          <button type="submit" class="secondary">
            {t('admin.requests.dismiss')}
          </button>
        </form>
      </div>
    </article>
  );
}

/** Who answered a request, in words: an admin's name when known, else what kind of actor it was. */
function resolverName(t: Translate, by: string, names: Readonly<Record<string, string>>): string {
  const known = names[by];
  if (known !== undefined) return known;
  if (by.startsWith('operator:')) return t('admin.requests.actor.support');
  if (by.startsWith('admin:')) return t('admin.requests.actor.formerAdmin');
  if (by.startsWith('api_key:')) return t('admin.requests.actor.apiKey');
  return by;
}

export interface RequestsPageProps extends RequestsFrame {
  readonly open: readonly HelpRequestView[];
  readonly answered: readonly HelpRequestView[];
  /** Display names of the administrators who answered, by audit actor name (`admin:<id>` → name), when known. */
  readonly actorNames: Readonly<Record<string, string>>;
  readonly notice: RequestsNotice | null;
  /** Each open request's caller verification, by request id (none: its requester has no account). */
  readonly callers: Readonly<Record<string, CallerStatus>>;
  /** One of the section's own problems, or a refusal worded elsewhere (the console's denials). */
  readonly problem: RequestsProblem | ProblemText | null;
}

/** `/admin/requests` in the request's language (a component: it may be called as a function). */
export function RequestsPage(p: RequestsPageProps): VNode {
  return <RequestsView {...p} />;
}

function RequestsView(p: RequestsPageProps): VNode {
  const { t, when } = useI18n();
  const title = t('admin.requests.title');
  const problem =
    typeof p.problem === 'string'
      ? {
          title: t(`admin.requests.problem.${p.problem}.title`),
          message: t(`admin.requests.problem.${p.problem}.message`),
        }
      : p.problem;
  return (
    <AdminLayout title={title} section="/admin/requests" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>{title}</h1>
      <p>{t('admin.requests.intro')}</p>
      <ReferenceSearch action="/admin/requests/reference" value="" />
      {p.notice ? (
        <p class="success" role="status">
          {p.notice === 'caller_sent' || p.notice === 'caller_verified'
            ? t(`admin.users.done.${p.notice}`)
            : t(`admin.requests.notice.${p.notice}`)}
        </p>
      ) : null}
      {problem ? (
        <div class="error" role="alert" id="problem">
          <h2 class="problem-title">{problem.title}</h2>
          <p>{problem.message}</p>
        </div>
      ) : null}
      <h2>{t('admin.requests.open', { count: p.open.length })}</h2>
      {p.open.length === 0 ? (
        <p>{t('admin.requests.none')}</p>
      ) : (
        p.open.map((r) => <OpenRequest key={r.id} r={r} csrf={p.csrf} caller={p.callers[r.id] ?? null} />)
      )}
      <h2 id="answered-caption">{t('admin.requests.answered')}</h2>
      {p.answered.length === 0 ? (
        <p>{t('admin.requests.noneAnswered')}</p>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="answered-caption">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">{t('admin.requests.reference')}</th>
                <th scope="col">{t('admin.requests.column.requester')}</th>
                <th scope="col">{t('admin.requests.received')}</th>
                <th scope="col">{t('admin.requests.column.outcome')}</th>
                <th scope="col">{t('admin.requests.column.by')}</th>
                <th scope="col">{t('admin.requests.column.answered')}</th>
                <th scope="col">{t('admin.requests.column.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {p.answered.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Code>{r.reference}</Code>
                  </td>
                  <td>{r.requester ? <Requester who={r.requester} /> : '—'}</td>
                  <td>{when(r.createdAt)}</td>
                  <td>{r.resolution ? t(`admin.requests.outcome.${r.resolution}`) : '—'}</td>
                  <td>{r.resolvedBy ? resolverName(t, r.resolvedBy, p.actorNames) : '—'}</td>
                  <td>{r.resolvedAt ? when(r.resolvedAt) : '—'}</td>
                  <td>{r.resolutionNote ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </AdminLayout>
  );
}

export interface RequestTempPasswordProps extends Omit<RequestsFrame, 'csrf'> {
  readonly request: HelpRequestView;
  readonly tempPassword: string;
}

/** The temporary password, shown once (never stored anywhere it can be read back). */
export function RequestTempPasswordPage(p: RequestTempPasswordProps): VNode {
  return <RequestTempPasswordView {...p} />;
}

function RequestTempPasswordView(p: RequestTempPasswordProps): VNode {
  const t = useT();
  const who = p.request.requester;
  const name = who?.displayName ?? t('admin.requests.temp.thePerson');
  return (
    <AdminLayout
      title={t('admin.requests.temp.title')}
      section="/admin/requests"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>{t('admin.requests.temp.heading', { name })}</h1>
      <div class="success" role="status">
        <p>{richText(t, 'admin.requests.temp.done', { name }, { reference: <Code>{p.request.reference}</Code> })}</p>
      </div>
      <p>{t('admin.requests.temp.give', { name })}</p>
      <p class="temp-password">
        <bdi class="ltr">
          <code id="temp-password">{p.tempPassword}</code>
        </bdi>
      </p>
      <p class="notice">{t('admin.requests.temp.once')}</p>
      <p>
        <a href="/admin/requests">{t('admin.requests.temp.back')}</a>
      </p>
    </AdminLayout>
  );
}
