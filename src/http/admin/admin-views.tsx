import type { VNode } from 'preact';
import type { Denial } from '../../core/admin-rules.ts';
import { ROLES, type Role, type TenantPolicy } from '../../core/directory-model.ts';
import { formatWhen, helpText } from '../../core/message-templates.ts';
import { DIRECTORY_HISTORY_NOT_ON_RESET, UNLOCK_TEXT, type ProblemText } from '../../core/ui-text.ts';
import type { DirectoryLockState } from '../../service/admin-service.ts';
import type { AuditEvent } from '../../ports/store.ts';
import {
  POLICY_BOUNDS,
  type FailedMessages,
  type PolicyFieldError,
  type Registration,
  type UserCounts,
  type UserDetail,
  type UserFilter,
  type UserSummary,
} from '../../service/admin-service.ts';
import { Layout } from '../views/layout.tsx';
import { AdminLayout } from './admin-layout.tsx';
import { DirectoryLockSection } from './unlock-views.tsx';

/** What every console page knows about the signed-in admin's tenant. */
export interface ConsoleFrame {
  readonly tenantName: string;
  readonly activeAdmins: number;
  readonly csrf: string;
}

export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  user: 'User',
  admin: 'Administrator',
  global_admin: 'Global administrator',
};

export const REGISTRATION_LABELS: Readonly<Record<Registration, string>> = {
  complete: 'Both methods',
  incomplete: 'One method',
  none: 'None',
};

/** Why an action is not offered or was refused, in words (never "403"). */
export const DENIAL_TEXT: Readonly<Record<Denial | 'mode_not_allowed' | 'no_methods', ProblemText>> = {
  self: {
    title: 'You cannot do this to your own account',
    message:
      'Nobody resets their own password or changes their own role in the console. Use “Change password” on your account page, or the self-service reset.',
  },
  needs_global_admin: {
    title: 'A global administrator must do this',
    message: 'Only a global administrator can reset the password of an administrator or change a role.',
  },
  other_tenant: { title: 'Not found', message: 'There is no such user in your organisation.' },
  scope_missing: { title: 'Not allowed', message: 'This key does not have the permission for that.' },
  not_allowed: { title: 'Not allowed', message: 'Your role does not allow this action.' },
  mode_not_allowed: { title: 'Not allowed', message: 'Technical Support can only send reset links.' },
  no_methods: {
    title: 'No alternate email registered',
    message:
      'A reset link goes to the person’s registered alternate email, and they have none. Pre-fill their contact methods below, or set a temporary password.',
  },
};

export const DONE_NOTICES: Readonly<Record<string, string>> = {
  link_sent: 'A one-time reset link was sent to the person’s alternate email and login address. It works for 24 hours.',
  unblocked: 'Self-service reset is unblocked for this account.',
  unlocked: UNLOCK_TEXT.console.done,
  methods: 'The contact methods were saved. The person was told by email.',
  role: 'The role was changed.',
  created: 'The account was added. The person can now reset their password, or you can send them a reset link.',
};

function when(ms: number): string {
  return formatWhen(new Date(ms).toISOString());
}

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

export function ProblemBox({ problem }: { problem: ProblemText | null }): VNode | null {
  if (!problem) return null;
  return (
    <div class="error" role="alert" id="problem">
      <h2 class="problem-title">{problem.title}</h2>
      <p>{problem.message}</p>
    </div>
  );
}

function Notice({ text }: { text: string | null }): VNode | null {
  return text ? (
    <p class="success" role="status">
      {text}
    </p>
  ) : null;
}

// ---- users list --------------------------------------------------------------------------

/** Messages sspr gave up on: retrying could no longer help (refused for good, or still failing at the end of their retry time). */
function FailedMessagesBanner({ failed }: { failed: FailedMessages }): VNode {
  const n = failed.count >= 1000 ? '1000 or more' : String(failed.count);
  return (
    <div class="banner warning" role="note" aria-labelledby="failed-messages-title">
      <h2 id="failed-messages-title">
        {n} {failed.count === 1 ? 'message' : 'messages'} could not be delivered in the last 7 days
      </h2>
      <p>
        The mail server or text message provider refused them for good, or was still failing when their retry time ran
        out (codes are retried until they expire, notices for 72 hours by default). The people concerned did not receive
        them: check the mail or SMS settings, and tell them if a security notice was among them.
      </p>
      <ul>
        {failed.latest.map((m) => (
          <li>
            {when(m.at)}: {m.template} ({m.channel === 'sms' ? 'text message' : 'email'}) — {m.reason}
          </li>
        ))}
      </ul>
      <p>
        <a href="/admin/audit?type=message.failed">See every failed message in the audit log</a>
      </p>
    </div>
  );
}

export function UsersPage(
  p: ConsoleFrame & {
    users: readonly UserSummary[];
    counts: UserCounts;
    filter: UserFilter;
    /** Messages of the tenant that could not be delivered lately (shown only when there are some). */
    failed?: FailedMessages;
  },
): VNode {
  const f = p.filter;
  const filtered = Boolean(f.search || f.role || f.registration || f.blocked !== undefined);
  return (
    <AdminLayout title="Users" section="/admin" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>Users</h1>
      {p.failed && p.failed.count > 0 ? <FailedMessagesBanner failed={p.failed} /> : null}
      <p class="button-row">
        <a href="/admin/users/new" class="button secondary">
          Add an account
        </a>
      </p>
      <dl class="counts">
        <div>
          <dt>People</dt>
          <dd>{p.counts.total}</dd>
        </div>
        <div>
          <dt>Both methods registered</dt>
          <dd>{p.counts.complete}</dd>
        </div>
        <div>
          <dt>One method</dt>
          <dd>{p.counts.incomplete}</dd>
        </div>
        <div>
          <dt>No method</dt>
          <dd>{p.counts.none}</dd>
        </div>
        <div>
          <dt>Self-service blocked</dt>
          <dd>{p.counts.blocked}</dd>
        </div>
      </dl>
      <form method="get" action="/admin" class="filters" role="search" aria-label="Find users">
        <div class="field">
          <label for="q">Search</label>
          <span class="hint" id="q-hint">
            Part of a name or user ID.
          </span>
          <input id="q" name="q" type="text" value={f.search ?? ''} aria-describedby="q-hint" maxLength={200} />
        </div>
        <div class="field">
          <label for="role">Role</label>
          <select id="role" name="role">
            <option value="">Any role</option>
            {ROLES.map((r) => (
              <option key={r} value={r} selected={f.role === r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="registration">Registration</label>
          <select id="registration" name="registration">
            <option value="">Any</option>
            {(['complete', 'incomplete', 'none'] as const).map((r) => (
              <option key={r} value={r} selected={f.registration === r}>
                {REGISTRATION_LABELS[r]}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="blocked">Self-service</label>
          <select id="blocked" name="blocked">
            <option value="">Any</option>
            <option value="yes" selected={f.blocked === true}>
              Blocked
            </option>
            <option value="no" selected={f.blocked === false}>
              Not blocked
            </option>
          </select>
        </div>
        <button type="submit">Filter</button>
        {filtered ? (
          <p>
            <a href="/admin">Clear filters</a>
          </p>
        ) : null}
      </form>
      <p role="status" id="result-count">
        {p.users.length === 1 ? '1 person shown.' : `${p.users.length} people shown.`}
      </p>
      {p.users.length > 0 ? (
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="users-caption">
          <table class="data">
            <caption id="users-caption">People in {p.tenantName}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">User ID</th>
                <th scope="col">Role</th>
                <th scope="col">Alternate email</th>
                <th scope="col">Mobile phone</th>
                <th scope="col">Registration</th>
                <th scope="col">Self-service</th>
              </tr>
            </thead>
            <tbody>
              {p.users.map((u) => (
                <tr key={u.id}>
                  <th scope="row">
                    <a href={`/admin/users/${u.id}`}>{u.displayName}</a>
                  </th>
                  <td>{u.login}</td>
                  <td>{ROLE_LABELS[u.role]}</td>
                  <td>{u.maskedEmail ?? 'Not registered'}</td>
                  <td>{u.maskedPhone ?? 'Not registered'}</td>
                  <td>{REGISTRATION_LABELS[u.registration]}</td>
                  <td>{!u.enabled ? 'Disabled' : u.blocked ? 'Blocked' : 'OK'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p>No one matches these filters.</p>
      )}
    </AdminLayout>
  );
}

// ---- user detail -------------------------------------------------------------------------

export function UserDetailPage(
  p: ConsoleFrame & {
    user: UserDetail;
    notice: string | null;
    problem: ProblemText | null;
    /** The account's lock in its directory (null: not read). */
    directoryLock?: DirectoryLockState | null;
  },
): VNode {
  const u = p.user;
  const base = `/admin/users/${u.id}`;
  return (
    <AdminLayout title={u.displayName} section="/admin" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <p>
        <a href="/admin">← All users</a>
      </p>
      <h1>{u.displayName}</h1>
      <Notice text={p.notice} />
      <ProblemBox problem={p.problem} />
      <dl class="facts">
        <dt>User ID</dt>
        <dd>{u.login}</dd>
        <dt>Role</dt>
        <dd>{ROLE_LABELS[u.role]}</dd>
        <dt>Account</dt>
        <dd>{u.enabled ? 'Enabled' : 'Disabled'}</dd>
        <dt>Registration</dt>
        <dd>{REGISTRATION_LABELS[u.registration]}</dd>
        <dt>Self-service reset</dt>
        <dd>{u.blockedUntil !== null ? `Blocked until ${when(u.blockedUntil)}` : 'Not blocked'}</dd>
        {u.tempPasswordExpiresAt !== null ? (
          <>
            <dt>Temporary password</dt>
            <dd>Set by an administrator; works until {when(u.tempPasswordExpiresAt)}, must be changed at sign-in</dd>
          </>
        ) : null}
      </dl>
      <DirectoryLockSection
        state={p.directoryLock ?? null}
        action={`${base}/unlock`}
        csrf={p.csrf}
        mayUnlock={u.permissions.account === null}
      />

      <h2>Contact methods</h2>
      {u.methods.length > 0 ? (
        <table class="data">
          <caption class="visually-hidden">Registered contact methods</caption>
          <thead>
            <tr>
              <th scope="col">Method</th>
              <th scope="col">Value</th>
              <th scope="col">Verified</th>
            </tr>
          </thead>
          <tbody>
            {u.methods.map((m) => (
              <tr key={m.kind}>
                <th scope="row">{m.kind === 'email' ? 'Alternate email' : 'Mobile phone'}</th>
                <td>{m.masked}</td>
                <td>{m.verifiedAt !== null ? when(m.verifiedAt) : 'Not verified'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>No contact method registered.</p>
      )}

      <h2>Reset password</h2>
      {u.permissions.credentials === null ? (
        <>
          <p>
            Send a one-time link to the person’s registered alternate email (and login address), or set a temporary
            password that you give them yourself. You never see their security codes.
          </p>
          <form method="post" action={`${base}/reset-link`}>
            <Csrf token={p.csrf} />
            <button type="submit">Send a reset link</button>
          </form>
          <p>
            <a class="button secondary" href={`${base}/temp-password`}>
              Set a temporary password…
            </a>
          </p>
        </>
      ) : (
        <p class="notice">{DENIAL_TEXT[u.permissions.credentials].message}</p>
      )}

      {u.permissions.account === null ? (
        <>
          {u.blocked ? (
            <>
              <h2>Self-service block</h2>
              <p>
                Self-service reset is blocked after too many wrong codes. Unblock it once you know the person is the one
                trying.
              </p>
              <form method="post" action={`${base}/unblock`}>
                <Csrf token={p.csrf} />
                <button type="submit">Unblock self-service reset</button>
              </form>
            </>
          ) : null}
          <h2>Pre-fill contact methods</h2>
          <p class="hint">
            Values you enter are trusted as verified. The person is told by email. Leave a box empty to keep it.
          </p>
          <form method="post" action={`${base}/methods`} class="stack">
            <Csrf token={p.csrf} />
            <div class="field">
              <label for="email">Alternate email</label>
              <input id="email" name="email" type="email" autocomplete="off" maxLength={320} />
            </div>
            <div class="field">
              <label for="phone">Mobile phone</label>
              <span class="hint" id="phone-hint">
                International form, like +447700900123.
              </span>
              <input
                id="phone"
                name="phone"
                type="tel"
                autocomplete="off"
                maxLength={40}
                aria-describedby="phone-hint"
              />
            </div>
            <button type="submit">Save contact methods</button>
          </form>
        </>
      ) : null}

      {u.permissions.role === null ? (
        <>
          <h2>Role</h2>
          <form method="post" action={`${base}/role`}>
            <Csrf token={p.csrf} />
            <label for="new-role">Role</label>
            <select id="new-role" name="role">
              {ROLES.map((r) => (
                <option key={r} value={r} selected={u.role === r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </select>
            <button type="submit">Change role</button>
          </form>
        </>
      ) : null}

      <h2>Recent events</h2>
      <EventsTable events={u.recentEvents} />
    </AdminLayout>
  );
}

function EventsTable({ events }: { events: readonly AuditEvent[] }): VNode {
  if (events.length === 0) return <p>No events yet.</p>;
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="events-caption">
      <table class="data">
        <caption id="events-caption">Most recent first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">Outcome</th>
            <th scope="col">By</th>
            <th scope="col">IP address</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id}>
              <td>{when(e.at)}</td>
              <td>{e.type}</td>
              <td>{e.outcome}</td>
              <td>{e.actor}</td>
              <td>{e.ip ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// ---- temporary password ------------------------------------------------------------------

export function TempPasswordConfirmPage(p: ConsoleFrame & { user: UserDetail; historyNotOnReset?: boolean }): VNode {
  const u = p.user;
  return (
    <AdminLayout
      title="Set a temporary password"
      section="/admin"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>Set a temporary password for {u.displayName}?</h1>
      <ul>
        <li>Their current password stops working and every session of the account is signed out.</li>
        <li>You will see the temporary password once, on the next page. Give it to them by phone or in person.</li>
        <li>It works for 24 hours, and they must choose a new password when they sign in with it.</li>
        <li>They and the other administrators are told by email. This is recorded in the audit log.</li>
        {p.historyNotOnReset ? <li>{DIRECTORY_HISTORY_NOT_ON_RESET}</li> : null}
      </ul>
      <form method="post" action={`/admin/users/${u.id}/temp-password`}>
        <Csrf token={p.csrf} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit">Yes, set a temporary password</button>
      </form>
      <p>
        <a href={`/admin/users/${u.id}`}>Cancel</a>
      </p>
    </AdminLayout>
  );
}

export function TempPasswordResultPage(
  p: ConsoleFrame & { user: UserDetail; tempPassword: string; expiresAt: number },
): VNode {
  return (
    <AdminLayout
      title="Temporary password set"
      section="/admin"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>Temporary password for {p.user.displayName}</h1>
      <div class="success" role="status">
        <p>The password was changed and every session of {p.user.login} was signed out.</p>
      </div>
      <p>Give this temporary password to {p.user.displayName} by phone or in person:</p>
      <p class="temp-password">
        <code id="temp-password">{p.tempPassword}</code>
      </p>
      <p class="notice">
        This is the only time it is shown: it is not stored anywhere we can read. It works until {when(p.expiresAt)},
        and they must choose a new password when they sign in with it.
      </p>
      <p>
        <a href={`/admin/users/${p.user.id}`}>Back to {p.user.displayName}</a>
      </p>
    </AdminLayout>
  );
}

// ---- policy ------------------------------------------------------------------------------

export const POLICY_FIELD_LABELS: Readonly<Record<string, string>> = {
  userGates: 'Verification steps for users',
  passwordMinLength: 'Minimum password length',
  helpdeskUrl: 'Help desk web page',
  helpdeskEmail: 'Help desk email',
  smsDailyBudget: 'Text messages per day (whole organisation)',
  smsCountries: 'Countries text messages may go to',
  coolingOffHours: 'Cooling-off after a contact method changes (hours)',
  reconfirmDays: 'Re-confirm contact methods every (days)',
  senderName: 'Sender name of emails',
};

export function PolicyPage(
  p: ConsoleFrame & {
    policy: TenantPolicy;
    /** The values as typed, when the form is shown again with problems. */
    values: Readonly<Record<string, string>> | null;
    problems: readonly PolicyFieldError[];
    saved: boolean;
  },
): VNode {
  const policy = p.policy as unknown as Record<string, unknown>;
  const value = (field: string): string => {
    if (p.values && field in p.values) return p.values[field]!;
    const v = policy[field];
    if (v === null || v === undefined) return '';
    return Array.isArray(v) ? v.join(' ') : String(v);
  };
  const problemOf = (field: string) => p.problems.find((x) => x.field === field) ?? null;
  const describedBy = (field: string, hint: boolean) =>
    [hint ? `${field}-hint` : '', problemOf(field) ? `${field}-problem` : ''].filter(Boolean).join(' ') || undefined;
  const FieldProblem = ({ field }: { field: string }) => {
    const problem = problemOf(field);
    return problem ? (
      <span class="field-problem" id={`${field}-problem`}>
        {problem.message}
      </span>
    ) : null;
  };
  const numberField = (field: 'passwordMinLength' | 'smsDailyBudget' | 'coolingOffHours' | 'reconfirmDays') => {
    const [min, max] = POLICY_BOUNDS[field];
    return (
      <div class="field">
        <label for={field}>{POLICY_FIELD_LABELS[field]}</label>
        <span class="hint" id={`${field}-hint`}>
          From {min} to {max}.
        </span>
        <FieldProblem field={field} />
        <input
          id={field}
          name={field}
          type="number"
          inputMode="numeric"
          min={min}
          max={max}
          required
          value={value(field)}
          aria-describedby={describedBy(field, true)}
          aria-invalid={problemOf(field) ? 'true' : undefined}
        />
      </div>
    );
  };
  const gates = value('userGates');
  return (
    <AdminLayout title="Policy" section="/admin/policy" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>Password reset policy</h1>
      {p.saved ? <Notice text="The policy was saved." /> : null}
      {p.problems.length > 0 ? (
        <div class="error" role="alert" id="problem">
          <h2 class="problem-title">Check these settings</h2>
          <ul>
            {p.problems.map((x) => (
              <li key={x.field}>
                <a href={`#${x.field}`}>{POLICY_FIELD_LABELS[x.field] ?? x.field}</a>: {x.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <p>Administrators always pass two verification steps (alternate email, then mobile phone).</p>
      <form method="post" action="/admin/policy" class="stack" novalidate>
        <Csrf token={p.csrf} />
        <fieldset aria-describedby={describedBy('userGates', true)}>
          <legend>{POLICY_FIELD_LABELS.userGates}</legend>
          <span class="hint" id="userGates-hint">
            1: a code sent to the alternate email. 2: then also a code sent to the mobile phone.
          </span>
          <FieldProblem field="userGates" />
          <label class="choice">
            <input type="radio" name="userGates" value="1" id="userGates" checked={gates === '1'} /> 1 step
          </label>
          <label class="choice">
            <input type="radio" name="userGates" value="2" checked={gates === '2'} /> 2 steps
          </label>
        </fieldset>
        {numberField('passwordMinLength')}
        <div class="field">
          <label for="helpdeskUrl">{POLICY_FIELD_LABELS.helpdeskUrl}</label>
          <span class="hint" id="helpdeskUrl-hint">
            Shown on every dead end of the reset. Must start with https://. Leave empty for none.
          </span>
          <FieldProblem field="helpdeskUrl" />
          <input
            id="helpdeskUrl"
            name="helpdeskUrl"
            type="url"
            maxLength={500}
            value={value('helpdeskUrl')}
            aria-describedby={describedBy('helpdeskUrl', true)}
            aria-invalid={problemOf('helpdeskUrl') ? 'true' : undefined}
          />
        </div>
        <div class="field">
          <label for="helpdeskEmail">{POLICY_FIELD_LABELS.helpdeskEmail}</label>
          <span class="hint" id="helpdeskEmail-hint">
            Leave empty for none.
          </span>
          <FieldProblem field="helpdeskEmail" />
          <input
            id="helpdeskEmail"
            name="helpdeskEmail"
            type="email"
            maxLength={320}
            value={value('helpdeskEmail')}
            aria-describedby={describedBy('helpdeskEmail', true)}
            aria-invalid={problemOf('helpdeskEmail') ? 'true' : undefined}
          />
        </div>
        <div class="field">
          <label for="senderName">{POLICY_FIELD_LABELS.senderName}</label>
          <span class="hint" id="senderName-hint">
            The sender name people see on every email sspr sends them, such as “Your Company IT”. Leave empty for the
            service’s default.
          </span>
          <FieldProblem field="senderName" />
          <input
            id="senderName"
            name="senderName"
            type="text"
            maxLength={64}
            value={value('senderName')}
            aria-describedby={describedBy('senderName', true)}
            aria-invalid={problemOf('senderName') ? 'true' : undefined}
          />
        </div>
        {numberField('smsDailyBudget')}
        <div class="field">
          <label for="smsCountries">{POLICY_FIELD_LABELS.smsCountries}</label>
          <span class="hint" id="smsCountries-hint">
            Calling-code prefixes like +44 +1, separated by spaces. Leave empty to allow every country.
          </span>
          <FieldProblem field="smsCountries" />
          <input
            id="smsCountries"
            name="smsCountries"
            type="text"
            maxLength={400}
            value={value('smsCountries')}
            aria-describedby={describedBy('smsCountries', true)}
            aria-invalid={problemOf('smsCountries') ? 'true' : undefined}
          />
        </div>
        {'coolingOffHours' in policy ? numberField('coolingOffHours') : null}
        {'reconfirmDays' in policy ? numberField('reconfirmDays') : null}
        <button type="submit">Save policy</button>
      </form>
    </AdminLayout>
  );
}

// ---- errors ------------------------------------------------------------------------------

/** 403 for people who may not use the console, saying why and what to do. */
export function ConsoleForbiddenPage({ reason }: { reason: 'not_admin' | 'methods_missing' }): VNode {
  return (
    <Layout title="Admin console not available">
      <h1>You cannot use the admin console</h1>
      {reason === 'not_admin' ? (
        <div class="error" role="alert">
          <p>The admin console is for administrators of your organisation, and your account is not one.</p>
          <p>Need help with your password or account? {helpText(null)}</p>
        </div>
      ) : (
        <div class="error" role="alert">
          <p>
            Administrators must register both an alternate email and a mobile phone before they can use the console, so
            that their own account can be recovered safely.
          </p>
          <p>
            <a href="/account/security">Register your security info</a>
          </p>
        </div>
      )}
      <p>
        <a href="/account">Back to your account</a>
      </p>
    </Layout>
  );
}

export function ConsoleNotFoundPage(p: Omit<ConsoleFrame, 'csrf'>): VNode {
  return (
    <AdminLayout title="Not found" section="/admin" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>Not found</h1>
      <p>There is no such user in your organisation.</p>
      <p>
        <a href="/admin">All users</a>
      </p>
    </AdminLayout>
  );
}

export function ConsoleProblemPage(p: ConsoleFrame & { problem: ProblemText; back: string }): VNode {
  return (
    <AdminLayout title={p.problem.title} section="/admin" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>{p.problem.title}</h1>
      <div class="error" role="alert">
        <p>{p.problem.message}</p>
      </div>
      <p>
        <a href={p.back}>Go back</a>
      </p>
    </AdminLayout>
  );
}
