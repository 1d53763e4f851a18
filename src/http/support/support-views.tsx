import type { ComponentChildren, VNode } from 'preact';
import { formatWhen } from '../../core/message-templates.ts';
import { CONSOLE_FORM_EXPIRED, type ProblemText } from '../../core/ui-text.ts';
import type { HelpRequestView } from '../../service/help-request-service.ts';
import type { TicketDetail } from '../../service/support-service.ts';
import { Layout } from '../views/layout.tsx';
import { ReferenceResult, ReferenceSearch } from '../help/reference-views.tsx';
import type { ReferenceFinding } from '../../service/help-request-service.ts';

/** Words of the Technical Support console. */
export const SUPPORT_TEXT = {
  signin: {
    title: 'Technical Support sign-in',
    intro: 'For operators of this service. People looking for help with their password: go to the password reset.',
    login: 'Operator login',
    password: 'Password',
    submit: 'Sign in',
  },
  tickets: {
    title: 'Support tickets',
    intro:
      'Requests from people who are the only administrator of their organisation (or whose organisation has none). Verify who they are before you act.',
    open: 'Open tickets',
    none: 'There are no open tickets.',
    closed: 'Closed tickets',
    noneClosed: 'No ticket was closed yet.',
  },
  ticket: {
    tenant: 'Organisation',
    reference: 'Reference',
    requester: 'Requester',
    role: 'Role',
    email: 'Alternate email',
    phone: 'Mobile phone',
    received: 'Received',
    status: 'Status',
    message: 'Their message',
    notRegistered: 'Not registered',
    verifyTitle: '1. Verify the requester',
    verifyIntro:
      'Before you act, confirm that the request comes from this person through a channel you trust, and record how you did it.',
    note: 'How did you verify the requester?',
    noteHint: 'Required. For example: “called back on the number in the HR system, confirmed date of birth”.',
    recordVerification: 'Record verification',
    verifiedBy: 'Verified',
    actTitle: '2. Act',
    actLocked: 'The actions become available once the verification is recorded.',
    issueLink: "Issue a reset link to the requester's registered methods",
    issueLinkHint:
      'A one-time link (24 hours) to their registered alternate email and login address. You never see it.',
    promote: 'Promote another account of the organisation to admin',
    promoteTarget: 'Account to promote',
    promoteHint:
      'The new administrator can then help the requester. They need both contact methods to use the console.',
    promoteSubmit: 'Promote to admin',
    noCandidates: 'This organisation has no other enabled account that could be promoted.',
    close: 'Close without changing anything',
    reason: 'Reason',
    reasonHint: 'Required. The requester receives it by email.',
    closeSubmit: 'Close ticket',
    back: 'All tickets',
  },
  statuses: { open: 'Open', resolved: 'Resolved', dismissed: 'Closed', void: '—' },
  outcomes: {
    reset_link: 'Reset link issued',
    temp_password: 'Temporary password set',
    dismissed: 'Closed',
    promoted: 'Another administrator appointed',
  },
  done: {
    verified: 'The verification was recorded. You can act now.',
    link: 'A one-time reset link was sent to the requester, and the ticket is resolved.',
    promoted: 'The account was promoted to administrator, and the ticket is resolved.',
    closed: 'The ticket was closed, and the requester was told why.',
  },
  problems: {
    invalid_credentials: { title: 'That did not work', message: 'The login or password is not right.' },
    signin_throttled: {
      title: 'Please wait before trying again',
      message: 'There were several wrong passwords for this login. Wait a little, then try again.',
    },
    ticket_not_found: { title: 'Ticket not found', message: 'There is no such support ticket.' },
    ticket_closed: { title: 'This ticket is closed', message: 'Someone closed it meanwhile; nothing was changed.' },
    note_missing: {
      title: 'Write a note',
      message: 'Say how you verified the requester (or why you close the ticket).',
    },
    note_too_long: { title: 'The note is too long', message: 'Keep it to 500 characters or fewer.' },
    verification_required: {
      title: 'Verify the requester first',
      message: 'Record how you verified the requester before you issue a link or promote anyone.',
    },
    target_invalid: {
      title: 'Choose another account',
      message: 'Choose an enabled account of this organisation other than the requester.',
    },
    already_admin: { title: 'Already an administrator', message: 'That account is already an administrator.' },
    no_methods: {
      title: 'No alternate email registered',
      message:
        'The requester has no registered alternate email, so no link can be sent. Promote another account instead.',
    },
    csrf_invalid: CONSOLE_FORM_EXPIRED,
  },
} as const;

export type SupportProblemId = keyof typeof SUPPORT_TEXT.problems;

export function supportProblem(code: string): ProblemText {
  return Object.hasOwn(SUPPORT_TEXT.problems, code)
    ? SUPPORT_TEXT.problems[code as SupportProblemId]
    : { title: 'That did not work', message: `Nothing was changed (${code}).` };
}

const ROLE_WORDS = { user: 'User', admin: 'Administrator', global_admin: 'Global administrator' } as const;

function when(ms: number): string {
  return formatWhen(new Date(ms).toISOString());
}

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

function Problem({ problem }: { problem: ProblemText | null }): VNode | null {
  return problem ? (
    <div class="error" role="alert" id="problem">
      <h2 class="problem-title">{problem.title}</h2>
      <p>{problem.message}</p>
    </div>
  ) : null;
}

function Notice({ text }: { text: string | null }): VNode | null {
  return text ? (
    <p class="success" role="status">
      {text}
    </p>
  ) : null;
}

/** The support console's shell: who is signed in, the ticket list, sign-out. */
export function SupportLayout(p: {
  title: string;
  operatorName: string;
  csrf: string;
  children?: ComponentChildren;
}): VNode {
  return (
    <Layout title={`${p.title} · Support`}>
      <nav class="admin-nav" aria-label="Support console">
        <p class="admin-tenant">Technical Support · {p.operatorName}</p>
        <ul>
          <li>
            <a href="/support">Tickets</a>
          </li>
          <li>
            <form method="post" action="/support/signout" class="inline-form">
              <Csrf token={p.csrf} />
              <button type="submit" class="secondary">
                Sign out
              </button>
            </form>
          </li>
        </ul>
      </nav>
      {p.children}
    </Layout>
  );
}

export function SupportSigninPage(p: { csrf: string; login: string; problem: ProblemText | null }): VNode {
  const t = SUPPORT_TEXT.signin;
  return (
    <Layout title={t.title}>
      <h1>{t.title}</h1>
      <p>
        {t.intro} <a href="/reset">Reset a password</a>
      </p>
      <Problem problem={p.problem} />
      <form method="post" action="/support/signin" class="stack">
        <Csrf token={p.csrf} />
        <div class="field">
          <label for="login">{t.login}</label>
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
          <label for="password">{t.password}</label>
          <input id="password" name="password" type="password" autoComplete="current-password" required />
        </div>
        <button type="submit">{t.submit}</button>
      </form>
    </Layout>
  );
}

function requesterText(r: HelpRequestView): string {
  return r.requester ? `${r.requester.displayName} (${r.requester.login})` : 'Unknown account';
}

export function TicketsPage(p: {
  operatorName: string;
  csrf: string;
  open: readonly HelpRequestView[];
  closed: readonly HelpRequestView[];
}): VNode {
  const t = SUPPORT_TEXT.tickets;
  return (
    <SupportLayout title={t.title} operatorName={p.operatorName} csrf={p.csrf}>
      <h1>{t.title}</h1>
      <p>{t.intro}</p>
      <ReferenceSearch action="/support/reference" value="" />
      <h2 id="open-caption">
        {t.open} ({p.open.length})
      </h2>
      {p.open.length === 0 ? (
        <p>{t.none}</p>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="open-caption">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">Reference</th>
                <th scope="col">Organisation</th>
                <th scope="col">Requester</th>
                <th scope="col">Received</th>
                <th scope="col">Verified</th>
              </tr>
            </thead>
            <tbody>
              {p.open.map((r) => (
                <tr key={r.id}>
                  <td>
                    <a href={`/support/tickets/${r.id}`}>
                      <code>{r.reference}</code>
                    </a>
                  </td>
                  <td>{r.tenant?.name ?? '—'}</td>
                  <td>{requesterText(r)}</td>
                  <td>{when(r.createdAt)}</td>
                  <td>{r.verifiedAt ? 'Yes' : 'Not yet'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2 id="closed-caption">{t.closed}</h2>
      {p.closed.length === 0 ? (
        <p>{t.noneClosed}</p>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="closed-caption">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">Reference</th>
                <th scope="col">Organisation</th>
                <th scope="col">Requester</th>
                <th scope="col">Outcome</th>
                <th scope="col">Closed</th>
              </tr>
            </thead>
            <tbody>
              {p.closed.map((r) => (
                <tr key={r.id}>
                  <td>
                    <a href={`/support/tickets/${r.id}`}>
                      <code>{r.reference}</code>
                    </a>
                  </td>
                  <td>{r.tenant?.name ?? '—'}</td>
                  <td>{requesterText(r)}</td>
                  <td>{r.resolution ? SUPPORT_TEXT.outcomes[r.resolution] : '—'}</td>
                  <td>{r.resolvedAt ? when(r.resolvedAt) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </SupportLayout>
  );
}

export function TicketPage(p: {
  operatorName: string;
  csrf: string;
  detail: TicketDetail;
  notice: string | null;
  problem: ProblemText | null;
}): VNode {
  const t = SUPPORT_TEXT.ticket;
  const r = p.detail.ticket;
  const who = r.requester;
  const base = `/support/tickets/${r.id}`;
  const open = r.status === 'open';
  return (
    <SupportLayout title={`Ticket ${r.reference}`} operatorName={p.operatorName} csrf={p.csrf}>
      <p>
        <a href="/support">{t.back}</a>
      </p>
      <h1>
        Ticket <code>{r.reference}</code>
      </h1>
      <Notice text={p.notice} />
      <Problem problem={p.problem} />
      <dl class="facts">
        <dt>{t.tenant}</dt>
        <dd>{r.tenant?.name ?? '—'}</dd>
        <dt>{t.requester}</dt>
        <dd>{requesterText(r)}</dd>
        <dt>{t.role}</dt>
        <dd>{who ? ROLE_WORDS[who.role] : '—'}</dd>
        <dt>{t.email}</dt>
        <dd>{who?.maskedEmail ?? t.notRegistered}</dd>
        <dt>{t.phone}</dt>
        <dd>{who?.maskedPhone ?? t.notRegistered}</dd>
        <dt>{t.received}</dt>
        <dd>{when(r.createdAt)}</dd>
        <dt>{t.status}</dt>
        <dd>
          {SUPPORT_TEXT.statuses[r.status]}
          {r.resolution ? ` — ${SUPPORT_TEXT.outcomes[r.resolution]}` : ''}
          {r.resolvedAt ? `, ${when(r.resolvedAt)}` : ''}
          {r.resolutionNote ? ` (${r.resolutionNote})` : ''}
        </dd>
      </dl>
      <h2>{t.message}</h2>
      <blockquote class="help-message">{r.message ?? ''}</blockquote>

      <h2>{t.verifyTitle}</h2>
      {r.verifiedAt ? (
        <p>
          {t.verifiedBy} {when(r.verifiedAt)}: “{r.verificationNote}”
        </p>
      ) : open ? (
        <>
          <p>{t.verifyIntro}</p>
          <form method="post" action={`${base}/verify`} class="stack">
            <Csrf token={p.csrf} />
            <div class="field">
              <label for="note">{t.note}</label>
              <span class="hint" id="note-hint">
                {t.noteHint}
              </span>
              <textarea id="note" name="note" rows={3} maxLength={500} required aria-describedby="note-hint"></textarea>
            </div>
            <button type="submit">{t.recordVerification}</button>
          </form>
        </>
      ) : (
        <p>Not recorded.</p>
      )}

      {open ? (
        <>
          <h2>{t.actTitle}</h2>
          {r.verifiedAt === null ? (
            <p class="notice">{t.actLocked}</p>
          ) : (
            <>
              <form method="post" action={`${base}/reset-link`} class="stack">
                <Csrf token={p.csrf} />
                <p class="hint" id="link-hint">
                  {t.issueLinkHint}
                </p>
                <button type="submit" aria-describedby="link-hint">
                  {t.issueLink}
                </button>
              </form>
              <h3>{t.promote}</h3>
              {p.detail.candidates.length === 0 ? (
                <p>{t.noCandidates}</p>
              ) : (
                <form method="post" action={`${base}/promote`} class="stack">
                  <Csrf token={p.csrf} />
                  <div class="field">
                    <label for="target">{t.promoteTarget}</label>
                    <span class="hint" id="target-hint">
                      {t.promoteHint}
                    </span>
                    <select id="target" name="target" required aria-describedby="target-hint">
                      {p.detail.candidates.map((c) => (
                        <option key={c.accountId} value={c.accountId}>
                          {`${c.displayName} (${c.login})${c.maskedEmail && c.maskedPhone ? '' : ' — contact methods missing'}`}
                        </option>
                      ))}
                    </select>
                  </div>
                  <button type="submit" class="secondary">
                    {t.promoteSubmit}
                  </button>
                </form>
              )}
            </>
          )}
          <h3>{t.close}</h3>
          <form method="post" action={`${base}/close`} class="stack">
            <Csrf token={p.csrf} />
            <div class="field">
              <label for="reason">{t.reason}</label>
              <span class="hint" id="reason-hint">
                {t.reasonHint}
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
              {t.closeSubmit}
            </button>
          </form>
        </>
      ) : null}
    </SupportLayout>
  );
}

/** `/support/reference`: what a support reference is (a ticket, any tenant's help request, or an error page). */
export function SupportReferencePage(p: {
  operatorName: string;
  csrf: string;
  reference: string;
  finding: ReferenceFinding | null;
}): VNode {
  return (
    <SupportLayout title={`Reference ${p.reference}`} operatorName={p.operatorName} csrf={p.csrf}>
      <h1>Find a support reference</h1>
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
        <a href="/support">Back to tickets</a>
      </p>
    </SupportLayout>
  );
}
