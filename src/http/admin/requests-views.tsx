import type { VNode } from 'preact';
import { formatWhen } from '../../core/message-templates.ts';
import { CONSOLE_FORM_EXPIRED, type ProblemText } from '../../core/ui-text.ts';
import type { HelpRequestView } from '../../service/help-request-service.ts';
import { ReferenceSearch } from '../help/reference-views.tsx';
import { AdminLayout } from './admin-layout.tsx';

/** Words of the console's help requests section. */
export const REQUESTS_TEXT = {
  title: 'Help requests',
  intro:
    'People of your organisation who could not reset their password themselves asked for help. Make sure a request really comes from the person (call them on a number you already know) before you act.',
  open: 'Open requests',
  none: 'There are no open requests.',
  answered: 'Answered requests',
  noneAnswered: 'No request was answered yet.',
  reference: 'Reference',
  received: 'Received',
  email: 'Alternate email',
  phone: 'Mobile phone',
  message: 'Their message',
  notRegistered: 'Not registered',
  sendLink: 'Send a reset link',
  sendLinkHint: 'A one-time link to their registered alternate email and login address, valid 24 hours.',
  tempPassword: 'Set a temporary password',
  tempPasswordHint: 'Shown to you once; give it by phone or in person. They must change it at the next sign-in.',
  dismiss: 'Dismiss',
  reason: 'Reason for dismissing',
  reasonHint: 'Required. The person receives it by email.',
  outcomes: {
    reset_link: 'Reset link sent',
    temp_password: 'Temporary password set',
    dismissed: 'Dismissed',
    promoted: 'Another administrator appointed',
  },
  done: {
    link: 'A one-time reset link was sent to the person, and they were told by email.',
    dismissed: 'The request was dismissed, and the person was told the reason by email.',
  },
  problems: {
    request_not_found: { title: 'Request not found', message: 'There is no such request in your organisation.' },
    request_closed: {
      title: 'This request was already answered',
      message: 'Another administrator answered it meanwhile. It is listed under “Answered requests”.',
    },
    reason_missing: { title: 'Give a reason', message: 'Write why you dismiss the request; the person will read it.' },
    reason_too_long: { title: 'The reason is too long', message: 'Keep it to 500 characters or fewer.' },
    csrf_invalid: CONSOLE_FORM_EXPIRED,
  },
} as const;

export interface RequestsFrame {
  readonly tenantName: string;
  readonly activeAdmins: number;
  readonly csrf: string;
}

function when(ms: number): string {
  return formatWhen(new Date(ms).toISOString());
}

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

function OpenRequest({ r, csrf }: { r: HelpRequestView; csrf: string }): VNode {
  const t = REQUESTS_TEXT;
  const who = r.requester;
  const base = `/admin/requests/${r.id}`;
  const headingId = `request-${r.id}`;
  return (
    <article class="help-request" aria-labelledby={headingId}>
      <h3 id={headingId}>
        {who ? `${who.displayName} (${who.login})` : 'Unknown account'}
        {who ? (
          <>
            {' '}
            <a href={`/admin/users/${who.accountId}`} class="small">
              View user
            </a>
          </>
        ) : null}
      </h3>
      <dl class="facts">
        <dt>{t.reference}</dt>
        <dd>
          <code>{r.reference}</code>
        </dd>
        <dt>{t.received}</dt>
        <dd>
          <time dateTime={new Date(r.createdAt).toISOString()}>{when(r.createdAt)}</time>
        </dd>
        <dt>{t.email}</dt>
        <dd>{who?.maskedEmail ?? t.notRegistered}</dd>
        <dt>{t.phone}</dt>
        <dd>{who?.maskedPhone ?? t.notRegistered}</dd>
      </dl>
      <h4>{t.message}</h4>
      <blockquote class="help-message">{r.message ?? ''}</blockquote>
      <div class="request-actions">
        <form method="post" action={`${base}/reset-link`} class="inline-form">
          <Csrf token={csrf} />
          <button type="submit" aria-describedby={`${headingId}-link-hint`}>
            {t.sendLink}
          </button>
          <span class="hint" id={`${headingId}-link-hint`}>
            {t.sendLinkHint}
          </span>
        </form>
        <form method="post" action={`${base}/temp-password`} class="inline-form">
          <Csrf token={csrf} />
          <button type="submit" class="secondary" aria-describedby={`${headingId}-temp-hint`}>
            {t.tempPassword}
          </button>
          <span class="hint" id={`${headingId}-temp-hint`}>
            {t.tempPasswordHint}
          </span>
        </form>
        <form method="post" action={`${base}/dismiss`} class="stack">
          <Csrf token={csrf} />
          <div class="field">
            <label for={`${headingId}-reason`}>{t.reason}</label>
            <span class="hint" id={`${headingId}-reason-hint`}>
              {t.reasonHint}
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
            {t.dismiss}
          </button>
        </form>
      </div>
    </article>
  );
}

export function RequestsPage(
  p: RequestsFrame & {
    open: readonly HelpRequestView[];
    answered: readonly HelpRequestView[];
    /** Names of who answered, by audit actor name (`admin:<id>` → display name). */
    actorNames: Readonly<Record<string, string>>;
    notice: string | null;
    problem: ProblemText | null;
  },
): VNode {
  const t = REQUESTS_TEXT;
  return (
    <AdminLayout title={t.title} section="/admin/requests" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>{t.title}</h1>
      <p>{t.intro}</p>
      <ReferenceSearch action="/admin/requests/reference" value="" />
      {p.notice ? (
        <p class="success" role="status">
          {p.notice}
        </p>
      ) : null}
      {p.problem ? (
        <div class="error" role="alert" id="problem">
          <h2 class="problem-title">{p.problem.title}</h2>
          <p>{p.problem.message}</p>
        </div>
      ) : null}
      <h2>
        {t.open} ({p.open.length})
      </h2>
      {p.open.length === 0 ? <p>{t.none}</p> : p.open.map((r) => <OpenRequest key={r.id} r={r} csrf={p.csrf} />)}
      <h2 id="answered-caption">{t.answered}</h2>
      {p.answered.length === 0 ? (
        <p>{t.noneAnswered}</p>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="answered-caption">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">{t.reference}</th>
                <th scope="col">Requester</th>
                <th scope="col">{t.received}</th>
                <th scope="col">Outcome</th>
                <th scope="col">By</th>
                <th scope="col">Answered</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {p.answered.map((r) => (
                <tr key={r.id}>
                  <td>
                    <code>{r.reference}</code>
                  </td>
                  <td>{r.requester ? `${r.requester.displayName} (${r.requester.login})` : '—'}</td>
                  <td>{when(r.createdAt)}</td>
                  <td>{r.resolution ? t.outcomes[r.resolution] : '—'}</td>
                  <td>{r.resolvedBy ? (p.actorNames[r.resolvedBy] ?? r.resolvedBy) : '—'}</td>
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

/** The temporary password, shown once (never stored anywhere it can be read back). */
export function RequestTempPasswordPage(
  p: Omit<RequestsFrame, 'csrf'> & { request: HelpRequestView; tempPassword: string },
): VNode {
  const who = p.request.requester;
  const name = who?.displayName ?? 'the person';
  return (
    <AdminLayout
      title="Temporary password set"
      section="/admin/requests"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>Temporary password for {name}</h1>
      <div class="success" role="status">
        <p>
          The password was changed and every session was signed out. Request <code>{p.request.reference}</code> is
          answered, and {name} was told by email.
        </p>
      </div>
      <p>Give this temporary password to {name} by phone or in person:</p>
      <p class="temp-password">
        <code id="temp-password">{p.tempPassword}</code>
      </p>
      <p class="notice">
        This is the only time it is shown. It works for 24 hours, and they must choose a new password when they sign in
        with it.
      </p>
      <p>
        <a href="/admin/requests">Back to help requests</a>
      </p>
    </AdminLayout>
  );
}
