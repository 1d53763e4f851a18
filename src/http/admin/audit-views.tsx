import type { VNode } from 'preact';
import {
  AUDIT_EVENT_LABELS,
  AUDIT_EXPORT_MAX_ROWS,
  describeActor,
  eventTypeOptions,
  filterQuery,
  formatDetails,
  formatUtc,
  type AuditFilterInput,
  type AuditFilterProblem,
} from '../../core/audit-view.ts';
import type { AuditRow } from '../../ports/insights-store.ts';
import { Layout } from '../views/layout.tsx';
import { AdminLayout } from './admin-layout.tsx';

/** Words of the audit log viewer (one place). */
export const AUDIT_TEXT = {
  title: 'Audit log',
  intro:
    'Every step of every reset, sign-in and administrator action in your organisation, newest first. Times are in UTC. The log never holds codes, links or passwords.',
  filters: 'Filter events',
  from: 'From (date, UTC)',
  to: 'To (date, UTC, included)',
  account: 'Account (user ID)',
  accountHint: 'The full user ID, like name@company.com.',
  type: 'Event type',
  anyType: 'Any event type',
  outcome: 'Outcome',
  outcomeHint: 'For example ok, mismatch, expired, blocked.',
  apply: 'Apply filters',
  clear: 'Clear filters',
  exportHeading: 'Export',
  exportText: `Download the events matching these filters, newest first (at most ${AUDIT_EXPORT_MAX_ROWS.toLocaleString('en-GB')} events; narrow the dates for more):`,
  csv: 'CSV (spreadsheet)',
  json: 'JSON',
  columns: ['Time (UTC)', 'Who', 'Event', 'Outcome', 'Account', 'IP address', 'Details'],
  none: 'No events match these filters.',
  accountUnknown: 'There is no account with this user ID in your organisation.',
  newer: 'Newest events',
  older: 'Older events',
  problems: {
    from_invalid: 'The “From” date is not a date like 2024-05-01; it was ignored.',
    to_invalid: 'The “To” date is not a date like 2024-05-31; it was ignored.',
    range_reversed: 'The “From” date is after the “To” date, so no event can match.',
  } satisfies Record<AuditFilterProblem, string>,
} as const;

export interface AuditPageProps {
  readonly tenantName: string;
  readonly activeAdmins: number;
  readonly input: AuditFilterInput;
  readonly problems: readonly AuditFilterProblem[];
  readonly types: readonly string[];
  readonly outcomes: readonly string[];
  readonly rows: readonly AuditRow[];
  readonly accountUnknown: boolean;
  /** Set when this is not the first page. */
  readonly paged: boolean;
  readonly nextCursor: number | null;
}

export function AuditPage(p: AuditPageProps): VNode {
  const t = AUDIT_TEXT;
  const filtered = Object.values(p.input).some((v) => v !== '');
  return (
    <AdminLayout title={t.title} section="/admin/audit" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>{t.title}</h1>
      <p>{t.intro}</p>
      {p.problems.length > 0 ? (
        <div class="problem notice" role="alert" id="filter-problem">
          <ul>
            {p.problems.map((code) => (
              <li key={code}>{t.problems[code]}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <form method="get" action="/admin/audit" class="audit-filters" aria-labelledby="filters-heading">
        <h2 id="filters-heading">{t.filters}</h2>
        <div class="filter-grid">
          <div class="field">
            <label for="from">{t.from}</label>
            <input
              id="from"
              name="from"
              type="date"
              value={p.input.from}
              aria-invalid={p.problems.includes('from_invalid') ? 'true' : undefined}
            />
          </div>
          <div class="field">
            <label for="to">{t.to}</label>
            <input
              id="to"
              name="to"
              type="date"
              value={p.input.to}
              aria-invalid={p.problems.includes('to_invalid') ? 'true' : undefined}
            />
          </div>
          <div class="field">
            <label for="account">{t.account}</label>
            <input
              id="account"
              name="account"
              type="text"
              inputMode="email"
              autocomplete="off"
              spellcheck={false}
              value={p.input.account}
              aria-describedby="account-hint"
            />
            <span class="hint" id="account-hint">
              {t.accountHint}
            </span>
          </div>
          <div class="field">
            <label for="type">{t.type}</label>
            <select id="type" name="type">
              <option value="">{t.anyType}</option>
              {eventTypeOptions(p.input.type ? [...p.types, p.input.type] : p.types).map((o) => (
                <option key={o.value} value={o.value} selected={o.value === p.input.type}>
                  {o.label}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="outcome">{t.outcome}</label>
            <input
              id="outcome"
              name="outcome"
              type="text"
              list="outcome-list"
              autocomplete="off"
              value={p.input.outcome}
              aria-describedby="outcome-hint"
            />
            <span class="hint" id="outcome-hint">
              {t.outcomeHint}
            </span>
            <datalist id="outcome-list">
              {p.outcomes.map((o) => (
                <option key={o} value={o} />
              ))}
            </datalist>
          </div>
        </div>
        <div class="button-row">
          <button type="submit">{t.apply}</button>
          {filtered ? (
            <a class="button secondary" href="/admin/audit">
              {t.clear}
            </a>
          ) : null}
        </div>
      </form>

      <h2 id="export-heading">{t.exportHeading}</h2>
      <p>{t.exportText}</p>
      <ul class="links" aria-labelledby="export-heading">
        <li>
          <a href={`/admin/audit/export.csv${filterQuery(p.input)}`} download>
            {t.csv}
          </a>
        </li>
        <li>
          <a href={`/admin/audit/export.json${filterQuery(p.input)}`} download>
            {t.json}
          </a>
        </li>
      </ul>

      <h2 id="events-heading">Events</h2>
      {p.accountUnknown ? (
        <p class="notice" role="status">
          {t.accountUnknown}
        </p>
      ) : p.rows.length === 0 ? (
        <p role="status">{t.none}</p>
      ) : (
        <div class="table-wrap" role="region" aria-labelledby="events-heading" tabIndex={0}>
          <table class="data audit-table">
            <caption>
              {filtered ? 'Audit events matching the filters, newest first' : 'Audit events, newest first'}
              {p.paged ? ' (older page)' : ''}
            </caption>
            <thead>
              <tr>
                {t.columns.map((c) => (
                  <th key={c} scope="col">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {p.rows.map((r) => (
                <AuditRowView key={r.id} row={r} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {p.paged || p.nextCursor !== null ? (
        <nav class="pager" aria-label="Audit log pages">
          <ul class="links">
            {p.paged ? (
              <li>
                <a href={`/admin/audit${filterQuery(p.input)}`}>{t.newer}</a>
              </li>
            ) : null}
            {p.nextCursor !== null ? (
              <li>
                <a href={`/admin/audit${filterQuery(p.input, { before: String(p.nextCursor) })}`} rel="next">
                  {t.older}
                </a>
              </li>
            ) : null}
          </ul>
        </nav>
      ) : null}
    </AdminLayout>
  );
}

function AuditRowView({ row }: { row: AuditRow }): VNode {
  const label = AUDIT_EVENT_LABELS[row.type];
  const [day, clock] = formatUtc(row.at).replace(' UTC', '').split(' ');
  return (
    <tr>
      <td class="nowrap">
        <time dateTime={new Date(row.at).toISOString()}>
          {day}
          <br />
          {clock}
        </time>
      </td>
      <td>{describeActor(row.actor, row.actorLogin)}</td>
      <td>
        {label ?? row.type}
        {label ? (
          <>
            <br />
            <code>{row.type}</code>
          </>
        ) : null}
      </td>
      <td>
        <code>{row.outcome}</code>
      </td>
      <td>{row.accountLogin ?? (row.accountId ? 'removed account' : '—')}</td>
      <td>{row.ip ?? '—'}</td>
      <td class="details">{formatDetails(row.details) || '—'}</td>
    </tr>
  );
}

/** The console's 403 page for people who are not (yet) allowed in. */
export function ConsoleForbiddenPage({ reason }: { reason: 'not_admin' | 'methods_missing' }): VNode {
  return (
    <Layout title="Not available">
      <h1>You cannot open this page</h1>
      {reason === 'not_admin' ? (
        <p>This page is for the administrators of your organisation.</p>
      ) : (
        <p>
          Administrators need both an alternate email and a mobile phone registered before they can use the admin
          console. <a href="/account/security">Register your security info</a>, then come back.
        </p>
      )}
      <p>
        <a href="/account">Back to your account</a>
      </p>
    </Layout>
  );
}
