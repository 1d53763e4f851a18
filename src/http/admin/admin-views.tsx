import type { VNode } from 'preact';
import { ROLES, type Role, type TenantPolicy } from '../../core/directory-model.ts';
import { GATE_AUDIENCES, GATE_FIELDS, GATES, gateFieldTexts } from '../../core/gate-policy.ts';
import type { MessageId } from '../../core/i18n.ts';
import { helpText } from '../../core/message-templates.ts';
import type { ProblemText } from '../../core/ui-text.ts';
import type { DirectoryLockState } from '../../service/admin-service.ts';
import type { GateCoverageReport } from '../../service/tenant-policy.ts';
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
import { useI18n, useT } from '../views/i18n-context.tsx';
import { Layout } from '../views/layout.tsx';
import { AdminLayout } from './admin-layout.tsx';
import { richText } from '../views/rich-text.tsx';
import { denialText, Ltr } from './admin-text.tsx';
import { CallerSection, DisabledHint, FactorResetSection } from './caller-views.tsx';
import type { CallCheckStarted, CallerStatus } from '../../service/caller-verification-service.ts';
import { DirectoryLockSection } from './unlock-views.tsx';

export { DENIAL_TEXT } from './admin-text.tsx';

/** What every console page knows about the signed-in admin's tenant. */
export interface ConsoleFrame {
  readonly tenantName: string;
  readonly activeAdmins: number;
  readonly csrf: string;
}

/** The catalogue id of each role's name. */
export const ROLE_LABELS: Readonly<Record<Role, MessageId>> = {
  user: 'admin.role.user',
  admin: 'admin.role.admin',
  global_admin: 'admin.role.global_admin',
};

/** The catalogue id of each registration state's name. */
export const REGISTRATION_LABELS: Readonly<Record<Registration, MessageId>> = {
  complete: 'admin.registration.complete',
  incomplete: 'admin.registration.incomplete',
  none: 'admin.registration.none',
};

/**
 * A field's problem in the page's language: from its catalogue id when the service gave one,
 * else as given.
 */
export function useFieldProblem(): (problem: PolicyFieldError, extra?: Readonly<Record<string, string>>) => string {
  const t = useT();
  return (problem, extra) => (problem.id ? t(problem.id, { ...problem.params, ...extra }) : problem.message);
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

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
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
  const { t, when } = useI18n();
  return (
    <div class="banner warning" role="note" aria-labelledby="failed-messages-title">
      <h2 id="failed-messages-title">
        {failed.count >= 1000
          ? t('admin.users.failed.titleMany')
          : t('admin.users.failed.title', { count: failed.count })}
      </h2>
      <p>{t('admin.users.failed.message')}</p>
      <ul>
        {failed.latest.map((m) => (
          <li>
            {when(m.at)}: <Ltr>{m.template}</Ltr> (
            {t(m.channel === 'sms' ? 'admin.users.failed.channel.sms' : 'admin.users.failed.channel.email')}) —{' '}
            {m.reason}
          </li>
        ))}
      </ul>
      <p>
        <a href="/admin/audit?type=message.failed">{t('admin.users.failed.link')}</a>
      </p>
    </div>
  );
}

interface UsersProps extends ConsoleFrame {
  users: readonly UserSummary[];
  counts: UserCounts;
  filter: UserFilter;
  /** Messages of the tenant that could not be delivered lately (shown only when there are some). */
  failed?: FailedMessages;
}

export function UsersPage(p: UsersProps): VNode {
  return <Users {...p} />;
}

function Users(p: UsersProps): VNode {
  const t = useT();
  const f = p.filter;
  const filtered = Boolean(f.search || f.role || f.registration || f.blocked !== undefined);
  return (
    <AdminLayout
      title={t('admin.users.title')}
      section="/admin"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>{t('admin.users.title')}</h1>
      {p.failed && p.failed.count > 0 ? <FailedMessagesBanner failed={p.failed} /> : null}
      <p class="button-row">
        <a href="/admin/users/new" class="button secondary">
          {t('admin.users.add.title')}
        </a>
      </p>
      <dl class="counts">
        <div>
          <dt>{t('admin.users.counts.people')}</dt>
          <dd>{p.counts.total}</dd>
        </div>
        <div>
          <dt>{t('admin.users.counts.complete')}</dt>
          <dd>{p.counts.complete}</dd>
        </div>
        <div>
          <dt>{t('admin.users.counts.incomplete')}</dt>
          <dd>{p.counts.incomplete}</dd>
        </div>
        <div>
          <dt>{t('admin.users.counts.none')}</dt>
          <dd>{p.counts.none}</dd>
        </div>
        <div>
          <dt>{t('admin.users.counts.blocked')}</dt>
          <dd>{p.counts.blocked}</dd>
        </div>
      </dl>
      <form method="get" action="/admin" class="filters" role="search" aria-label={t('admin.users.filter.label')}>
        <div class="field">
          <label for="q">{t('admin.users.filter.search')}</label>
          <span class="hint" id="q-hint">
            {t('admin.users.filter.searchHint')}
          </span>
          <input id="q" name="q" type="text" value={f.search ?? ''} aria-describedby="q-hint" maxLength={200} />
        </div>
        <div class="field">
          <label for="role">{t('admin.users.field.role')}</label>
          <select id="role" name="role">
            <option value="">{t('admin.users.filter.anyRole')}</option>
            {ROLES.map((r) => (
              <option key={r} value={r} selected={f.role === r}>
                {t(ROLE_LABELS[r])}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="registration">{t('admin.users.field.registration')}</label>
          <select id="registration" name="registration">
            <option value="">{t('admin.users.filter.any')}</option>
            {(['complete', 'incomplete', 'none'] as const).map((r) => (
              <option key={r} value={r} selected={f.registration === r}>
                {t(REGISTRATION_LABELS[r])}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="blocked">{t('admin.users.field.selfService')}</label>
          <select id="blocked" name="blocked">
            <option value="">{t('admin.users.filter.any')}</option>
            <option value="yes" selected={f.blocked === true}>
              {t('admin.users.status.blocked')}
            </option>
            <option value="no" selected={f.blocked === false}>
              {t('admin.users.notBlocked')}
            </option>
          </select>
        </div>
        <button type="submit">{t('admin.users.filter.submit')}</button>
        {filtered ? (
          <p>
            <a href="/admin">{t('admin.users.filter.clear')}</a>
          </p>
        ) : null}
      </form>
      <p role="status" id="result-count">
        {t('admin.users.shown', { count: p.users.length })}
      </p>
      {p.users.length > 0 ? (
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="users-caption">
          <table class="data">
            <caption id="users-caption">{t('admin.users.caption', { tenant: p.tenantName })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('admin.users.field.name')}</th>
                <th scope="col">{t('admin.users.field.login')}</th>
                <th scope="col">{t('admin.users.field.role')}</th>
                <th scope="col">{t('admin.users.field.email')}</th>
                <th scope="col">{t('admin.users.field.phone')}</th>
                <th scope="col">{t('admin.users.field.registration')}</th>
                <th scope="col">{t('admin.users.field.selfService')}</th>
              </tr>
            </thead>
            <tbody>
              {p.users.map((u) => (
                <tr key={u.id}>
                  <th scope="row">
                    <a href={`/admin/users/${u.id}`}>{u.displayName}</a>
                  </th>
                  <td>
                    <Ltr>{u.login}</Ltr>
                  </td>
                  <td>{t(ROLE_LABELS[u.role])}</td>
                  <td>{u.maskedEmail ? <Ltr>{u.maskedEmail}</Ltr> : t('admin.users.notRegistered')}</td>
                  <td>{u.maskedPhone ? <Ltr>{u.maskedPhone}</Ltr> : t('admin.users.notRegistered')}</td>
                  <td>{t(REGISTRATION_LABELS[u.registration])}</td>
                  <td>
                    {!u.enabled
                      ? t('admin.users.status.disabled')
                      : u.blocked
                        ? t('admin.users.status.blocked')
                        : t('admin.users.status.ok')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p>{t('admin.users.empty')}</p>
      )}
    </AdminLayout>
  );
}

// ---- user detail -------------------------------------------------------------------------

interface UserDetailProps extends ConsoleFrame {
  user: UserDetail;
  /** A notice already in the page's language (a `?done=` id's words). */
  notice: string | null;
  problem: ProblemText | null;
  /** The account's lock in its directory (null: not read). */
  directoryLock?: DirectoryLockState | null;
  /** The caller verification (null: not shown); the actions below stay disabled until it allows them. */
  caller?: CallerStatus | null;
  /** The reverse check's phrase, shown once. */
  phrase?: CallCheckStarted | null;
  verifyCallUrl?: string;
  /** Another administrator's console second factor may be reset here (after the caller verification). */
  factorReset?: boolean;
}

export function UserDetailPage(p: UserDetailProps): VNode {
  return <UserDetailView {...p} />;
}

function UserDetailView(p: UserDetailProps): VNode {
  const { t, when } = useI18n();
  const u = p.user;
  const base = `/admin/users/${u.id}`;
  // sending a link, a temporary password, unblocking, unlocking: only once the caller is verified
  const locked = p.caller ? !p.caller.allowed : false;
  return (
    <AdminLayout title={u.displayName} section="/admin" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <p>
        <a href="/admin">{t('admin.users.allUsers')}</a>
      </p>
      <h1>{u.displayName}</h1>
      <Notice text={p.notice} />
      <ProblemBox problem={p.problem} />
      <dl class="facts">
        <dt>{t('admin.users.field.login')}</dt>
        <dd>
          <Ltr>{u.login}</Ltr>
        </dd>
        <dt>{t('admin.users.field.role')}</dt>
        <dd>{t(ROLE_LABELS[u.role])}</dd>
        <dt>{t('admin.users.detail.account')}</dt>
        <dd>{u.enabled ? t('admin.users.detail.enabled') : t('admin.users.status.disabled')}</dd>
        <dt>{t('admin.users.field.registration')}</dt>
        <dd>{t(REGISTRATION_LABELS[u.registration])}</dd>
        <dt>{t('admin.users.detail.selfServiceReset')}</dt>
        <dd>
          {u.blockedUntil !== null
            ? t('admin.users.detail.blockedUntil', { time: when(u.blockedUntil) })
            : t('admin.users.notBlocked')}
        </dd>
        {u.tempPasswordExpiresAt !== null ? (
          <>
            <dt>{t('admin.users.detail.tempPassword')}</dt>
            <dd>{t('admin.users.detail.tempPasswordUntil', { time: when(u.tempPasswordExpiresAt) })}</dd>
          </>
        ) : null}
      </dl>
      <DirectoryLockSection
        state={p.directoryLock ?? null}
        action={`${base}/unlock`}
        csrf={p.csrf}
        mayUnlock={u.permissions.account === null}
        locked={locked}
      />

      <h2>{t('admin.users.methods.title')}</h2>
      {u.methods.length > 0 ? (
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="methods-caption">
          <table class="data">
            <caption class="visually-hidden" id="methods-caption">
              {t('admin.users.methods.caption')}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t('admin.users.methods.method')}</th>
                <th scope="col">{t('admin.users.methods.value')}</th>
                <th scope="col">{t('admin.users.methods.verified')}</th>
              </tr>
            </thead>
            <tbody>
              {u.methods.map((m) => (
                <tr key={m.kind}>
                  <th scope="row">
                    {m.kind === 'email' ? t('admin.users.field.email') : t('admin.users.field.phone')}
                  </th>
                  <td>
                    <Ltr>{m.masked}</Ltr>
                  </td>
                  <td>{m.verifiedAt !== null ? when(m.verifiedAt) : t('admin.users.methods.notVerified')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p>{t('admin.users.methods.none')}</p>
      )}

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

      <h2>{t('admin.users.reset.title')}</h2>
      {u.permissions.credentials === null ? (
        <>
          <p>{t('admin.users.reset.intro')}</p>
          {locked ? <DisabledHint id="reset-disabled" /> : null}
          <form method="post" action={`${base}/reset-link`}>
            <Csrf token={p.csrf} />
            <button type="submit" disabled={locked} aria-describedby={locked ? 'reset-disabled' : undefined}>
              {t('admin.users.reset.sendLink')}
            </button>
          </form>
          <p>
            {locked ? (
              <button type="button" class="secondary" disabled aria-describedby="reset-disabled">
                {t('admin.users.reset.tempLink')}
              </button>
            ) : (
              <a class="button secondary" href={`${base}/temp-password`}>
                {t('admin.users.reset.tempLink')}
              </a>
            )}
          </p>
        </>
      ) : (
        <p class="notice">{denialText(t, u.permissions.credentials).message}</p>
      )}

      {u.permissions.account === null ? (
        <>
          {u.blocked ? (
            <>
              <h2>{t('admin.users.block.title')}</h2>
              <p>{t('admin.users.block.intro')}</p>
              <form method="post" action={`${base}/unblock`}>
                <Csrf token={p.csrf} />
                <button type="submit" disabled={locked}>
                  {t('admin.users.block.submit')}
                </button>
              </form>
            </>
          ) : null}
          {p.factorReset ? (
            <FactorResetSection
              action={`${base}/second-factor/reset`}
              csrf={p.csrf}
              locked={locked}
              lockedHint="reset-disabled"
            />
          ) : null}
          <h2>{t('admin.users.prefill.title')}</h2>
          <p class="hint">{t('admin.users.prefill.hint')}</p>
          <form method="post" action={`${base}/methods`} class="stack">
            <Csrf token={p.csrf} />
            <div class="field">
              <label for="email">{t('admin.users.field.email')}</label>
              <input id="email" name="email" type="email" autocomplete="off" maxLength={320} />
            </div>
            <div class="field">
              <label for="phone">{t('admin.users.field.phone')}</label>
              <span class="hint" id="phone-hint">
                {t('admin.users.prefill.phoneHint')}
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
            <button type="submit">{t('admin.users.prefill.submit')}</button>
          </form>
        </>
      ) : null}

      {u.permissions.role === null ? (
        <>
          <h2>{t('admin.users.field.role')}</h2>
          <form method="post" action={`${base}/role`}>
            <Csrf token={p.csrf} />
            <label for="new-role">{t('admin.users.field.role')}</label>
            <select id="new-role" name="role">
              {ROLES.map((r) => (
                <option key={r} value={r} selected={u.role === r}>
                  {t(ROLE_LABELS[r])}
                </option>
              ))}
            </select>
            <button type="submit">{t('admin.users.role.submit')}</button>
          </form>
        </>
      ) : null}

      <h2>{t('admin.users.events.title')}</h2>
      <EventsTable events={u.recentEvents} />
    </AdminLayout>
  );
}

function EventsTable({ events }: { events: readonly AuditEvent[] }): VNode {
  const { t, when } = useI18n();
  if (events.length === 0) return <p>{t('admin.users.events.none')}</p>;
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="events-caption">
      <table class="data">
        <caption id="events-caption">{t('admin.users.events.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('admin.users.events.when')}</th>
            <th scope="col">{t('admin.users.events.event')}</th>
            <th scope="col">{t('admin.users.events.outcome')}</th>
            <th scope="col">{t('admin.users.events.by')}</th>
            <th scope="col">{t('admin.users.events.ip')}</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id}>
              <td>{when(e.at)}</td>
              <td>
                <Ltr>{e.type}</Ltr>
              </td>
              <td>{e.outcome ? <code>{e.outcome}</code> : ''}</td>
              <td>
                <Ltr>{e.actor}</Ltr>
              </td>
              <td>{e.ip ? <Ltr>{e.ip}</Ltr> : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// ---- temporary password ------------------------------------------------------------------

interface TempConfirmProps extends ConsoleFrame {
  user: UserDetail;
  historyNotOnReset?: boolean;
}

export function TempPasswordConfirmPage(p: TempConfirmProps): VNode {
  return <TempPasswordConfirm {...p} />;
}

function TempPasswordConfirm(p: TempConfirmProps): VNode {
  const t = useT();
  const u = p.user;
  return (
    <AdminLayout
      title={t('admin.users.temp.title')}
      section="/admin"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>{t('admin.users.temp.confirmHeading', { name: u.displayName })}</h1>
      <ul>
        <li>{t('admin.users.temp.signedOut')}</li>
        <li>{t('admin.users.temp.shownOnce')}</li>
        <li>{t('admin.users.temp.validity')}</li>
        <li>{t('admin.users.temp.told')}</li>
        {p.historyNotOnReset ? <li>{t('admin.users.temp.historyNotOnReset')}</li> : null}
      </ul>
      <form method="post" action={`/admin/users/${u.id}/temp-password`}>
        <Csrf token={p.csrf} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit">{t('admin.users.temp.confirm')}</button>
      </form>
      <p>
        <a href={`/admin/users/${u.id}`}>{t('admin.users.temp.cancel')}</a>
      </p>
    </AdminLayout>
  );
}

interface TempResultProps extends ConsoleFrame {
  user: UserDetail;
  tempPassword: string;
  expiresAt: number;
}

export function TempPasswordResultPage(p: TempResultProps): VNode {
  return <TempPasswordResult {...p} />;
}

function TempPasswordResult(p: TempResultProps): VNode {
  const { t, when } = useI18n();
  return (
    <AdminLayout
      title={t('admin.users.temp.doneTitle')}
      section="/admin"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>{t('admin.users.temp.resultHeading', { name: p.user.displayName })}</h1>
      <div class="success" role="status">
        <p>{richText(t, 'admin.users.temp.changed', {}, { login: <Ltr>{p.user.login}</Ltr> })}</p>
      </div>
      <p>{t('admin.users.temp.give', { name: p.user.displayName })}</p>
      <p class="temp-password" dir="ltr">
        <code id="temp-password">{p.tempPassword}</code>
      </p>
      <p class="notice">{t('admin.users.temp.onlyOnce', { time: when(p.expiresAt) })}</p>
      <p>
        <a href={`/admin/users/${p.user.id}`}>{t('admin.users.temp.back', { name: p.user.displayName })}</a>
      </p>
    </AdminLayout>
  );
}

// ---- policy ------------------------------------------------------------------------------

/** The catalogue id of each policy field's label. */
export const POLICY_FIELD_LABELS: Readonly<Record<string, MessageId>> = {
  userGates: 'admin.policy.field.userGates',
  userMethods: 'admin.policy.field.userMethods',
  usersRequirePasskey: 'admin.policy.field.usersRequirePasskey',
  adminGates: 'admin.policy.field.adminGates',
  adminMethods: 'admin.policy.field.adminMethods',
  adminsRequirePasskey: 'admin.policy.field.adminsRequirePasskey',
  passwordMinLength: 'admin.policy.field.passwordMinLength',
  helpdeskUrl: 'admin.policy.field.helpdeskUrl',
  helpdeskEmail: 'admin.policy.field.helpdeskEmail',
  smsDailyBudget: 'admin.policy.field.smsDailyBudget',
  smsCountries: 'admin.policy.field.smsCountries',
  coolingOffHours: 'admin.policy.field.coolingOffHours',
  reconfirmDays: 'admin.policy.field.reconfirmDays',
  senderName: 'admin.policy.field.senderName',
};

interface PolicyProps extends ConsoleFrame {
  policy: TenantPolicy;
  /** The values as typed, when the form is shown again with problems. */
  values: Readonly<Record<string, string>> | null;
  problems: readonly PolicyFieldError[];
  saved: boolean;
  /** Who could reset under the saved gate policy, and under the proposed one when the form was checked. */
  coverage: GateCoverageReport | null;
  proposedCoverage: GateCoverageReport | null;
}

/** The policy's registration coverage: how many could not reset, and which administrators. */
function GateCoverageBox(p: { saved: GateCoverageReport | null; proposed: GateCoverageReport | null }): VNode | null {
  const t = useT();
  if (!p.saved && !p.proposed) return null;
  const one = (r: GateCoverageReport, lead: 'admin.policy.coverage.saved' | 'admin.policy.coverage.proposed') => (
    <div class="coverage" data-coverage={lead === 'admin.policy.coverage.saved' ? 'saved' : 'proposed'}>
      <p>
        <strong>{t(lead)}</strong>{' '}
        {t('admin.policy.coverage.summary', {
          usersCannot: r.coverage.users.cannot,
          usersTotal: r.coverage.users.total,
          adminsCannot: r.coverage.admins.cannot,
          adminsTotal: r.coverage.admins.total,
        })}
      </p>
      {r.adminsWhoCannot.length > 0 ? (
        <>
          <p>{t('admin.policy.coverage.admins')}</p>
          <ul>
            {r.adminsWhoCannot.map((a) => (
              <li key={a.id}>
                <a href={`/admin/users/${a.id}`}>{a.displayName}</a> (<Ltr>{a.login}</Ltr>)
              </li>
            ))}
            {r.adminsNotListed > 0 ? <li>{t('admin.policy.coverage.more', { count: r.adminsNotListed })}</li> : null}
          </ul>
        </>
      ) : null}
    </div>
  );
  return (
    <section aria-labelledby="coverage-heading" class="panel">
      <h2 id="coverage-heading">{t('admin.policy.coverage.heading')}</h2>
      {p.proposed ? one(p.proposed, 'admin.policy.coverage.proposed') : null}
      {p.saved ? one(p.saved, 'admin.policy.coverage.saved') : null}
    </section>
  );
}

export function PolicyPage(p: PolicyProps): VNode {
  return <Policy {...p} />;
}

function Policy(p: PolicyProps): VNode {
  const t = useT();
  const fieldProblem = useFieldProblem();
  const label = (field: string): string => {
    const id = POLICY_FIELD_LABELS[field];
    return id ? t(id) : field;
  };
  const policy = { ...p.policy, ...gateFieldTexts(p.policy.gates) } as unknown as Record<string, unknown>;
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
        {fieldProblem(problem)}
      </span>
    ) : null;
  };
  const numberField = (field: 'passwordMinLength' | 'smsDailyBudget' | 'coolingOffHours' | 'reconfirmDays') => {
    const [min, max] = POLICY_BOUNDS[field];
    return (
      <div class="field">
        <label for={field}>{label(field)}</label>
        <span class="hint" id={`${field}-hint`}>
          {t('admin.policy.range', { min, max })}
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
  return (
    <AdminLayout
      title={t('admin.policy.title')}
      section="/admin/policy"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>{t('admin.policy.heading')}</h1>
      {p.saved ? <Notice text={t('admin.policy.saved')} /> : null}
      {p.problems.length > 0 ? (
        <div class="error" role="alert" id="problem">
          <h2 class="problem-title">{t('admin.policy.checkSettings')}</h2>
          <ul>
            {p.problems.map((x) => (
              <li key={x.field}>
                <a href={`#${x.field}`}>{label(x.field)}</a>
                {t('admin.fieldProblemSeparator')}
                {fieldProblem(x)}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <p>{t('admin.policy.gatesIntro')}</p>
      <GateCoverageBox saved={p.coverage} proposed={p.proposedCoverage} />
      <form method="post" action="/admin/policy" class="stack" novalidate>
        <Csrf token={p.csrf} />
        {GATE_AUDIENCES.map((audience) => {
          const f = GATE_FIELDS[audience];
          const methods = value(f.methods).split(/[\s,]+/);
          return (
            <fieldset key={audience} class="stack">
              <legend>{t(`admin.policy.gates.${audience}`)}</legend>
              <fieldset aria-describedby={describedBy(f.count, true)}>
                <legend>{label(f.count)}</legend>
                <span class="hint" id={`${f.count}-hint`}>
                  {t('admin.policy.stepsHint')}
                </span>
                <FieldProblem field={f.count} />
                {(['1', '2'] as const).map((n) => (
                  <label class="choice" key={n}>
                    <input
                      type="radio"
                      name={f.count}
                      value={n}
                      id={n === '1' ? f.count : undefined}
                      checked={value(f.count) === n}
                    />{' '}
                    {t('admin.policy.steps', { count: Number(n) })}
                  </label>
                ))}
              </fieldset>
              <fieldset aria-describedby={describedBy(f.methods, false)}>
                <legend>{label(f.methods)}</legend>
                <FieldProblem field={f.methods} />
                <input type="hidden" name={f.methods} value="" />
                {GATES.map((g, i) => (
                  <label class="choice" key={g}>
                    <input
                      type="checkbox"
                      name={f.methods}
                      value={g}
                      id={i === 0 ? f.methods : undefined}
                      checked={methods.includes(g)}
                    />{' '}
                    {t(`admin.policy.method.${g}`)}
                  </label>
                ))}
              </fieldset>
              <fieldset aria-describedby={describedBy(f.passkeyRequired, true)}>
                <legend>{label(f.passkeyRequired)}</legend>
                <span class="hint" id={`${f.passkeyRequired}-hint`}>
                  {t(
                    audience === 'admins'
                      ? 'admin.policy.adminsRequirePasskeyHint'
                      : 'admin.policy.usersRequirePasskeyHint',
                  )}
                </span>
                <FieldProblem field={f.passkeyRequired} />
                <label class="choice">
                  <input
                    type="radio"
                    name={f.passkeyRequired}
                    value="false"
                    id={f.passkeyRequired}
                    checked={value(f.passkeyRequired) !== 'true'}
                  />{' '}
                  {t('admin.policy.adminsRequirePasskey.off')}
                </label>
                <label class="choice">
                  <input
                    type="radio"
                    name={f.passkeyRequired}
                    value="true"
                    checked={value(f.passkeyRequired) === 'true'}
                  />{' '}
                  {t('admin.policy.adminsRequirePasskey.on')}
                </label>
              </fieldset>
            </fieldset>
          );
        })}
        <p>
          <button type="submit" name="check" value="1" class="secondary">
            {t('admin.policy.coverage.check')}
          </button>
        </p>
        {numberField('passwordMinLength')}
        <div class="field">
          <label for="helpdeskUrl">{label('helpdeskUrl')}</label>
          <span class="hint" id="helpdeskUrl-hint">
            {t('admin.policy.helpdeskUrlHint')}
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
          <label for="helpdeskEmail">{label('helpdeskEmail')}</label>
          <span class="hint" id="helpdeskEmail-hint">
            {t('admin.policy.emptyForNone')}
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
          <label for="senderName">{label('senderName')}</label>
          <span class="hint" id="senderName-hint">
            {t('admin.policy.senderNameHint')}
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
          <label for="smsCountries">{label('smsCountries')}</label>
          <span class="hint" id="smsCountries-hint">
            {t('admin.policy.smsCountriesHint')}
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
        <button type="submit">{t('admin.policy.submit')}</button>
      </form>
    </AdminLayout>
  );
}

// ---- errors ------------------------------------------------------------------------------

/** 403 for people who may not use the console, saying why and what to do. */
export function ConsoleForbiddenPage(props: { reason: 'not_admin' | 'methods_missing' }): VNode {
  return <ConsoleForbidden {...props} />;
}

function ConsoleForbidden({ reason }: { reason: 'not_admin' | 'methods_missing' }): VNode {
  const { t, locale } = useI18n();
  return (
    <Layout title={t('admin.forbidden.title')}>
      <h1>{t('admin.forbidden.heading')}</h1>
      {reason === 'not_admin' ? (
        <div class="error" role="alert">
          <p>{t('admin.forbidden.notAdmin')}</p>
          <p>{t('admin.forbidden.needHelp', { help: helpText(null, locale) })}</p>
        </div>
      ) : (
        <div class="error" role="alert">
          <p>{t('admin.forbidden.methodsMissing')}</p>
          <p>
            <a href="/account/security">{t('admin.forbidden.register')}</a>
          </p>
        </div>
      )}
      <p>
        <a href="/account">{t('admin.forbidden.back')}</a>
      </p>
    </Layout>
  );
}

export function ConsoleNotFoundPage(p: Omit<ConsoleFrame, 'csrf'>): VNode {
  return <ConsoleNotFound {...p} />;
}

function ConsoleNotFound(p: Omit<ConsoleFrame, 'csrf'>): VNode {
  const t = useT();
  return (
    <AdminLayout
      title={t('admin.notFound.title')}
      section="/admin"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>{t('admin.notFound.title')}</h1>
      <p>{t('admin.notFound.message')}</p>
      <p>
        <a href="/admin">{t('admin.notFound.allUsers')}</a>
      </p>
    </AdminLayout>
  );
}

interface ConsoleProblemProps extends ConsoleFrame {
  /** Already in the page's language. */
  problem: ProblemText;
  back: string;
}

export function ConsoleProblemPage(p: ConsoleProblemProps): VNode {
  return <ConsoleProblem {...p} />;
}

function ConsoleProblem(p: ConsoleProblemProps): VNode {
  const t = useT();
  return (
    <AdminLayout title={p.problem.title} section="/admin" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>{p.problem.title}</h1>
      <div class="error" role="alert">
        <p>{p.problem.message}</p>
      </div>
      <p>
        <a href={p.back}>{t('admin.problem.back')}</a>
      </p>
    </AdminLayout>
  );
}
