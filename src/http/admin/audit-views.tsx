import type { VNode } from 'preact';
import {
  auditEventLabelId,
  AUDIT_EXPORT_MAX_ROWS,
  eventTypeOptions,
  filterQuery,
  formatDetails,
  formatUtc,
  type AuditFilterInput,
  type AuditFilterProblem,
} from '../../core/audit-view.ts';
import type { AuditRow } from '../../ports/insights-store.ts';
import type { ChainBreakKind } from '../../core/audit-chain.ts';
import type { ChainStatus } from '../../service/audit-chain-service.ts';
import { Layout } from '../views/layout.tsx';
import type { MessageId, Translate } from '../../core/i18n.ts';
import { useT } from '../views/i18n-context.tsx';
import { AdminLayout } from './admin-layout.tsx';
import { richText } from '../views/rich-text.tsx';

/** The filter problems, in the page's language (`admin.audit.problem.<code>`). */
const PROBLEM_IDS = {
  from_invalid: 'admin.audit.problem.from_invalid',
  to_invalid: 'admin.audit.problem.to_invalid',
  range_reversed: 'admin.audit.problem.range_reversed',
} as const satisfies Record<AuditFilterProblem, MessageId>;

const COLUMN_IDS = [
  'admin.audit.column.time',
  'admin.audit.column.who',
  'admin.audit.column.event',
  'admin.audit.column.outcome',
  'admin.audit.column.account',
  'admin.audit.column.ip',
  'admin.audit.column.details',
] as const satisfies readonly MessageId[];

/** An event type's words (`admin.audit.event.<type>`), or null for a type without any (shown by its id). */
function eventLabel(t: Translate, type: string): string | null {
  const id = auditEventLabelId(type);
  return id ? t(id) : null;
}

/** Who acted, in words (as `describeActor`, in the page's language). */
function actorText(t: Translate, actor: string, actorLogin: string | null): string {
  if (actor === 'self') return t('admin.audit.actor.self');
  if (actor === 'system') return t('admin.audit.actor.system');
  if (actor === 'cli') return t('admin.audit.actor.cli');
  if (actor.startsWith('admin:') && actorLogin) return t('admin.audit.actor.admin', { login: actorLogin });
  return actor;
}

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
  /** The tenant's audit hash chain: its newest event and the last verification (null before any event). */
  readonly chain: ChainStatus | null;
}

const BREAK_KIND_IDS = {
  edited: 'admin.audit.chain.kind.edited',
  deleted: 'admin.audit.chain.kind.deleted',
  inserted: 'admin.audit.chain.kind.inserted',
  reordered: 'admin.audit.chain.kind.reordered',
  checkpoint: 'admin.audit.chain.kind.checkpoint',
} as const satisfies Record<ChainBreakKind, MessageId>;

/** "Chain last verified at … (intact / broken at …)", the final hash, and how to verify now. */
function ChainSection({ chain, tenantName }: { chain: ChainStatus | null; tenantName: string }): VNode {
  const t = useT();
  const command = `sspr audit verify --tenant "${tenantName}"`;
  const verified = chain?.verifiedAt ?? null;
  return (
    <section aria-labelledby="chain-heading" class="audit-chain">
      <h2 id="chain-heading">{t('admin.audit.chain.heading')}</h2>
      <p>{t('admin.audit.chain.intro')}</p>
      <p role="status" id="chain-status" class={chain?.broken ? 'problem notice' : undefined}>
        {verified === null
          ? t('admin.audit.chain.never')
          : chain?.broken
            ? t('admin.audit.chain.broken', {
                time: formatUtc(verified),
                event: String(chain.broken.eventId ?? chain.broken.seq ?? '?'),
                kind: t(BREAK_KIND_IDS[chain.broken.kind]),
              })
            : t('admin.audit.chain.ok', { time: formatUtc(verified) })}
      </p>
      {chain ? (
        <p>
          {richText(
            t,
            'admin.audit.chain.final',
            { seq: chain.seq },
            {
              hash: (
                <code dir="ltr" class="hash">
                  {chain.hash}
                </code>
              ),
            },
          )}
        </p>
      ) : null}
      <p>{richText(t, 'admin.audit.chain.hint', {}, { command: <code dir="ltr">{command}</code> })}</p>
    </section>
  );
}

/** `/admin/audit` in the request's language (a component: it may be called as a function). */
export function AuditPage(p: AuditPageProps): VNode {
  return <AuditView {...p} />;
}

function AuditView(p: AuditPageProps): VNode {
  const t = useT();
  const filtered = Object.values(p.input).some((v) => v !== '');
  const title = t('admin.audit.title');
  const caption = filtered
    ? p.paged
      ? t('admin.audit.caption.filteredOlder')
      : t('admin.audit.caption.filtered')
    : p.paged
      ? t('admin.audit.caption.allOlder')
      : t('admin.audit.caption.all');
  return (
    <AdminLayout title={title} section="/admin/audit" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>{title}</h1>
      <p>{t('admin.audit.intro')}</p>
      {p.problems.length > 0 ? (
        <div class="problem notice" role="alert" id="filter-problem">
          <ul>
            {p.problems.map((code) => (
              <li key={code}>{t(PROBLEM_IDS[code])}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <form method="get" action="/admin/audit" class="audit-filters" aria-labelledby="filters-heading">
        <h2 id="filters-heading">{t('admin.audit.filters')}</h2>
        <div class="filter-grid">
          <div class="field">
            <label for="from">{t('admin.audit.from')}</label>
            <input
              id="from"
              name="from"
              type="date"
              value={p.input.from}
              aria-invalid={p.problems.includes('from_invalid') ? 'true' : undefined}
            />
          </div>
          <div class="field">
            <label for="to">{t('admin.audit.to')}</label>
            <input
              id="to"
              name="to"
              type="date"
              value={p.input.to}
              aria-invalid={p.problems.includes('to_invalid') ? 'true' : undefined}
            />
          </div>
          <div class="field">
            <label for="account">{t('admin.audit.account')}</label>
            <input
              id="account"
              name="account"
              type="text"
              inputMode="email"
              autocomplete="off"
              spellcheck={false}
              dir="ltr"
              value={p.input.account}
              aria-describedby="account-hint"
            />
            <span class="hint" id="account-hint">
              {t('admin.audit.accountHint')}
            </span>
          </div>
          <div class="field">
            <label for="type">{t('admin.audit.type')}</label>
            <select id="type" name="type">
              <option value="">{t('admin.audit.anyType')}</option>
              {eventTypeOptions(p.input.type ? [...p.types, p.input.type] : p.types).map(({ value }) => {
                const label = eventLabel(t, value);
                return (
                  <option key={value} value={value} selected={value === p.input.type}>
                    {label ? t('admin.audit.eventOption', { label, type: value }) : value}
                  </option>
                );
              })}
            </select>
          </div>
          <div class="field">
            <label for="outcome">{t('admin.audit.outcome')}</label>
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
              {t('admin.audit.outcomeHint')}
            </span>
            <datalist id="outcome-list">
              {p.outcomes.map((o) => (
                <option key={o} value={o} />
              ))}
            </datalist>
          </div>
        </div>
        <div class="button-row">
          <button type="submit">{t('admin.audit.apply')}</button>
          {filtered ? (
            <a class="button secondary" href="/admin/audit">
              {t('admin.audit.clear')}
            </a>
          ) : null}
        </div>
      </form>

      <h2 id="export-heading">{t('admin.audit.exportHeading')}</h2>
      <p>{t('admin.audit.exportText', { max: AUDIT_EXPORT_MAX_ROWS })}</p>
      <ul class="links" aria-labelledby="export-heading">
        <li>
          <a href={`/admin/audit/export.csv${filterQuery(p.input)}`} download>
            {t('admin.audit.csv')}
          </a>
        </li>
        <li>
          <a href={`/admin/audit/export.json${filterQuery(p.input)}`} download>
            {t('admin.audit.json')}
          </a>
        </li>
      </ul>

      <ChainSection chain={p.chain} tenantName={p.tenantName} />

      <h2 id="events-heading">{t('admin.audit.events')}</h2>
      {p.accountUnknown ? (
        <p class="notice" role="status">
          {t('admin.audit.accountUnknown')}
        </p>
      ) : p.rows.length === 0 ? (
        <p role="status">{t('admin.audit.none')}</p>
      ) : (
        <div class="table-wrap" role="region" aria-labelledby="events-heading" tabIndex={0}>
          <table class="data audit-table">
            <caption>{caption}</caption>
            <thead>
              <tr>
                {COLUMN_IDS.map((c) => (
                  <th key={c} scope="col">
                    {t(c)}
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
        <nav class="pager" aria-label={t('admin.audit.pages')}>
          <ul class="links">
            {p.paged ? (
              <li>
                <a href={`/admin/audit${filterQuery(p.input)}`}>{t('admin.audit.newer')}</a>
              </li>
            ) : null}
            {p.nextCursor !== null ? (
              <li>
                <a href={`/admin/audit${filterQuery(p.input, { before: String(p.nextCursor) })}`} rel="next">
                  {t('admin.audit.older')}
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
  const t = useT();
  const label = eventLabel(t, row.type);
  // the log's own form, the same in every language: 2024-05-01 / 13:04:05 (UTC, as the column says)
  const [day, clock] = formatUtc(row.at).replace(' UTC', '').split(' ');
  return (
    <tr>
      <td class="nowrap">
        <time dateTime={new Date(row.at).toISOString()}>
          <bdi class="ltr">{day}</bdi>
          <br />
          <bdi class="ltr">{clock}</bdi>
        </time>
      </td>
      <td>{actorText(t, row.actor, row.actorLogin)}</td>
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
      <td>
        {row.accountLogin ? (
          <bdi class="ltr">{row.accountLogin}</bdi>
        ) : row.accountId ? (
          t('admin.audit.removedAccount')
        ) : (
          '—'
        )}
      </td>
      <td>{row.ip ? <bdi class="ltr">{row.ip}</bdi> : '—'}</td>
      <td class="details">
        <bdi>{formatDetails(row.details) || '—'}</bdi>
      </td>
    </tr>
  );
}

/** The console's 403 page for people who are not (yet) allowed in. */
export function ConsoleForbiddenPage(p: { reason: 'not_admin' | 'methods_missing' }): VNode {
  return <ConsoleForbiddenView {...p} />;
}

function ConsoleForbiddenView({ reason }: { reason: 'not_admin' | 'methods_missing' }): VNode {
  const t = useT();
  return (
    <Layout title={t('admin.audit.forbidden.title')}>
      <h1>{t('admin.audit.forbidden.heading')}</h1>
      {reason === 'not_admin' ? (
        <p>{t('admin.audit.forbidden.notAdmin')}</p>
      ) : (
        <p>
          {richText(
            t,
            'admin.audit.forbidden.methodsMissing',
            {},
            { link: <a href="/account/security">{t('admin.audit.forbidden.registerLink')}</a> },
          )}
        </p>
      )}
      <p>
        <a href="/account">{t('admin.audit.forbidden.back')}</a>
      </p>
    </Layout>
  );
}
