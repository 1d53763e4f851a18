import type { VNode } from 'preact';
import {
  layoutHorizontalBars,
  layoutShareRows,
  layoutStackedColumns,
  percentages,
  PALETTE,
  type ChartSeries,
} from './chart-layout.ts';
import {
  COVERAGE_LABELS,
  COVERAGE_LEVELS,
  INSIGHT_PERIODS,
  RESET_OUTCOME_LABELS,
  RESET_OUTCOMES,
  shortDay,
  type CoverageLevel,
} from '../../core/insights.ts';
import type { InsightsReport } from '../../service/insights-service.ts';
import { AdminLayout } from './admin-layout.tsx';
import type { Translate, UiLocale } from '../../core/i18n.ts';
import { useI18n } from '../views/i18n-context.tsx';
import { HorizontalBarsChart, ShareRowsChart, StackedColumnsChart } from './insights-charts.tsx';
import { richText } from '../views/rich-text.tsx';

const OUTCOME_STYLE = [
  { key: 'completed', color: PALETTE.green, pattern: 'solid' },
  { key: 'failed', color: PALETTE.orange, pattern: 'hatch' },
  { key: 'abandoned', color: PALETTE.grey, pattern: 'dots' },
] as const satisfies readonly Omit<ChartSeries, 'label'>[];

const COVERAGE_STYLE = [
  { key: 'both', color: PALETTE.green, pattern: 'solid' },
  { key: 'one', color: PALETTE.amber, pattern: 'hatch' },
  { key: 'none', color: PALETTE.orange, pattern: 'dots' },
] as const satisfies readonly Omit<ChartSeries, 'label'>[];

/** The outcome series in English (the chart's own tests); the page uses `outcomeSeries(t)`. */
export const OUTCOME_SERIES: readonly ChartSeries[] = OUTCOME_STYLE.map((s) => ({
  ...s,
  label: RESET_OUTCOME_LABELS[s.key],
}));

export const COVERAGE_SERIES: readonly ChartSeries[] = COVERAGE_STYLE.map((s) => ({
  ...s,
  label: COVERAGE_LABELS[s.key],
}));

export function outcomeSeries(t: Translate): readonly ChartSeries[] {
  return OUTCOME_STYLE.map((s) => ({ ...s, label: t(`admin.insights.outcome.${s.key}`) }));
}

export function coverageSeries(t: Translate): readonly ChartSeries[] {
  return COVERAGE_STYLE.map((s) => ({ ...s, label: t(`admin.insights.coverage.level.${s.key}`) }));
}

/** Languages whose labels read naturally in lower case inside a sentence ("most common: code did not match"). */
const LOWER_IN_SENTENCES: ReadonlySet<string> = new Set(['en', 'en-XA', 'fr', 'es', 'pt-BR']);

/** `1 May` for `2024-05-01` (English keeps sspr's form), the day and short month in other languages. */
function shortDayIn(locale: UiLocale, day: string): string {
  if (locale === 'en' || locale === 'en-XA') return shortDay(day);
  const at = Date.parse(`${day}T00:00:00Z`);
  if (!Number.isFinite(at)) return day;
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(at);
}

/** A list in the page's language: `a, b, c` in English (sspr's form), `a, b und c`, `a、b、c`… in the others. */
function listOf(locale: UiLocale, items: readonly string[]): string {
  if (locale === 'en' || locale === 'en-XA') return items.join(', ');
  return new Intl.ListFormat(locale, { type: 'conjunction' }).format(items);
}

export interface InsightsPageProps {
  readonly tenantName: string;
  readonly activeAdmins: number;
  readonly report: InsightsReport;
}

/** `/admin/insights` in the request's language (a component: it may be called as a function). */
export function InsightsPage(p: InsightsPageProps): VNode {
  return <InsightsView {...p} />;
}

function InsightsView(p: InsightsPageProps): VNode {
  const { t, locale } = useI18n();
  const lower = (text: string) => (LOWER_IN_SENTENCES.has(locale) ? text.toLowerCase() : text);
  const r = p.report;
  const range = t('admin.insights.range', { first: r.firstDay, last: r.lastDay });
  const totalResets = r.resets.totals.completed + r.resets.totals.failed + r.resets.totals.abandoned;
  const outcomes = outcomeSeries(t);
  const coverageLevels = coverageSeries(t);

  const columns = layoutStackedColumns({
    series: outcomes,
    categories: r.resets.days.map((d) => ({
      key: d.day,
      label: d.day,
      shortLabel: shortDayIn(locale, d.day),
      values: [d.completed, d.failed, d.abandoned],
    })),
    width: 900,
    height: 300,
    maxXLabels: 10,
  });
  const busiest = r.resets.days.reduce<{ day: string; n: number } | null>((best, d) => {
    const n = d.completed + d.failed + d.abandoned;
    return n > 0 && (!best || n > best.n) ? { day: d.day, n } : best;
  }, null);

  const failureRows = r.resets.failures.map((f) => ({
    key: f.reason,
    label: t(`admin.insights.failure.${f.reason}`),
    value: f.count,
  }));
  const failureTotal = failureRows.reduce((a, f) => a + f.value, 0);
  const topFailures = [...failureRows]
    .filter((f) => f.value > 0)
    .sort((a, b) => b.value - a.value)
    .slice(0, 3);

  const methodRows = r.resets.methods.map((m) => ({
    key: m.method,
    label: t(`admin.insights.method.${m.method}`),
    value: m.count,
  }));
  const methodTotal = methodRows.reduce((a, m) => a + m.value, 0);

  const groups = [
    { key: 'users', label: t('admin.insights.coverage.users'), counts: r.coverage.users },
    { key: 'admins', label: t('admin.insights.coverage.admins'), counts: r.coverage.admins },
  ];
  const shares = layoutShareRows({
    series: coverageLevels,
    rows: groups.map((g) => ({ key: g.key, label: g.label, values: COVERAGE_LEVELS.map((l) => g.counts[l]) })),
    emptySummary: t('admin.insights.coverage.nobody'),
  });
  const coverageSentence = (g: (typeof groups)[number]) => {
    const total = COVERAGE_LEVELS.reduce((a, l) => a + g.counts[l], 0);
    if (total === 0) return t('admin.insights.coverage.groupNone', { group: g.label });
    const pct = percentages(COVERAGE_LEVELS.map((l) => g.counts[l]));
    const parts = COVERAGE_LEVELS.map((l, i) =>
      t(`admin.insights.coverage.item.${l}`, { count: g.counts[l], pct: pct[i] ?? 0 }),
    );
    return t('admin.insights.coverage.groupSentence', { group: g.label, list: listOf(locale, parts) });
  };

  const resetsDesc =
    totalResets === 0
      ? t('admin.insights.resets.none', { days: r.period })
      : [
          t('admin.insights.resets.desc', {
            total: totalResets,
            days: r.period,
            completed: r.resets.totals.completed,
            failed: r.resets.totals.failed,
            abandoned: r.resets.totals.abandoned,
          }),
          busiest ? t('admin.insights.resets.busiest', { day: busiest.day, count: busiest.n }) : null,
          t('admin.insights.resets.patterns'),
        ]
          .filter((x) => x !== null)
          .join(' ');
  const title = t('admin.insights.title');

  return (
    <AdminLayout title={title} section="/admin/insights" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>{title}</h1>
      <form method="get" action="/admin/insights" class="period-form">
        <div class="field">
          <label for="period">{t('admin.insights.period')}</label>
          <select id="period" name="period">
            {INSIGHT_PERIODS.map((d) => (
              <option key={d} value={String(d)} selected={d === r.period}>
                {t('admin.insights.lastDays', { days: d })}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">{t('admin.insights.show')}</button>
      </form>
      <p>
        {richText(
          t,
          'admin.insights.intro',
          { first: r.firstDay, last: r.lastDay },
          { link: <a href="/admin/audit">{t('admin.insights.auditLink')}</a> },
        )}
      </p>
      {r.truncated ? (
        <p class="notice" role="status">
          {t('admin.insights.truncated')}
        </p>
      ) : null}

      <section class="insight" aria-labelledby="resets-heading">
        <h2 id="resets-heading">{t('admin.insights.resets.heading')}</h2>
        <p class="hint">
          {t('admin.insights.resets.hint')}
          {r.resets.inProgress > 0 ? ` ${t('admin.insights.resets.inProgress', { count: r.resets.inProgress })}` : ''}
        </p>
        <StackedColumnsChart
          text={{ id: 'chart-resets', title: t('admin.insights.resets.title', { range }), desc: resetsDesc }}
          series={outcomes}
          layout={columns}
        />
        <div class="table-wrap" role="region" aria-labelledby="resets-caption" tabIndex={0}>
          <table class="data numbers">
            <caption id="resets-caption">{t('admin.insights.resets.title', { range })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('admin.insights.resets.day')}</th>
                {RESET_OUTCOMES.map((o) => (
                  <th key={o} scope="col">
                    {t(`admin.insights.outcome.${o}`)}
                  </th>
                ))}
                <th scope="col">{t('admin.insights.total')}</th>
              </tr>
            </thead>
            <tbody>
              {[...r.resets.days].reverse().map((d) => (
                <tr key={d.day}>
                  <th scope="row">{d.day}</th>
                  <td>{d.completed}</td>
                  <td>{d.failed}</td>
                  <td>{d.abandoned}</td>
                  <td>{d.completed + d.failed + d.abandoned}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">{t('admin.insights.resets.allDays')}</th>
                <td>{r.resets.totals.completed}</td>
                <td>{r.resets.totals.failed}</td>
                <td>{r.resets.totals.abandoned}</td>
                <td>{totalResets}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      </section>

      <section class="insight" aria-labelledby="failures-heading">
        <h2 id="failures-heading">{t('admin.insights.failures.heading')}</h2>
        <p class="hint">
          {t('admin.insights.failures.hint')}
          {r.resets.blockedAccounts > 0
            ? ` ${t('admin.insights.failures.blocked', { count: r.resets.blockedAccounts })}`
            : ''}
        </p>
        <HorizontalBarsChart
          text={{
            id: 'chart-failures',
            title: t('admin.insights.failures.title', { range }),
            desc:
              failureTotal === 0
                ? t('admin.insights.failures.none', { days: r.period })
                : t('admin.insights.failures.desc', {
                    total: failureTotal,
                    list: listOf(
                      locale,
                      topFailures.map((f) =>
                        t('admin.insights.failures.item', { label: lower(f.label), count: f.value }),
                      ),
                    ),
                  }),
          }}
          color={PALETTE.orange}
          layout={layoutHorizontalBars({ rows: failureRows })}
        />
        <div class="table-wrap" role="region" aria-labelledby="failures-caption" tabIndex={0}>
          <table class="data numbers">
            <caption id="failures-caption">{t('admin.insights.failures.title', { range })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('admin.insights.failures.reason')}</th>
                <th scope="col">{t('admin.insights.failures.count')}</th>
              </tr>
            </thead>
            <tbody>
              {failureRows.map((f) => (
                <tr key={f.key}>
                  <th scope="row">{f.label}</th>
                  <td>{f.value}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">{t('admin.insights.failures.allReasons')}</th>
                <td>{failureTotal}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      </section>

      <section class="insight" aria-labelledby="methods-heading">
        <h2 id="methods-heading">{t('admin.insights.methods.heading')}</h2>
        <p class="hint">{t('admin.insights.methods.hint')}</p>
        <HorizontalBarsChart
          text={{
            id: 'chart-methods',
            title: t('admin.insights.methods.title', { range }),
            desc:
              methodTotal === 0
                ? t('admin.insights.methods.none', { days: r.period })
                : t('admin.insights.methods.desc', {
                    total: methodTotal,
                    list: listOf(
                      locale,
                      methodRows.map((m) =>
                        t('admin.insights.methods.item', { label: lower(m.label), count: m.value }),
                      ),
                    ),
                  }),
          }}
          color={PALETTE.blue}
          layout={layoutHorizontalBars({ rows: methodRows, labelWidth: 140 })}
        />
        <div class="table-wrap" role="region" aria-labelledby="methods-caption" tabIndex={0}>
          <table class="data numbers">
            <caption id="methods-caption">{t('admin.insights.methods.title', { range })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('admin.insights.methods.method')}</th>
                <th scope="col">{t('admin.insights.methods.count')}</th>
              </tr>
            </thead>
            <tbody>
              {methodRows.map((m) => (
                <tr key={m.key}>
                  <th scope="row">{m.label}</th>
                  <td>{m.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section class="insight" aria-labelledby="coverage-heading">
        <h2 id="coverage-heading">{t('admin.insights.coverage.heading')}</h2>
        <p class="hint">{t('admin.insights.coverage.hint')}</p>
        <ShareRowsChart
          text={{
            id: 'chart-coverage',
            title: t('admin.insights.coverage.title'),
            desc: groups.map(coverageSentence).join(' '),
          }}
          series={coverageLevels}
          layout={shares}
        />
        <div class="table-wrap" role="region" aria-labelledby="coverage-caption" tabIndex={0}>
          <table class="data numbers">
            <caption id="coverage-caption">{t('admin.insights.coverage.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('admin.insights.coverage.group')}</th>
                {COVERAGE_LEVELS.map((l: CoverageLevel) => (
                  <th key={l} scope="col">
                    {t(`admin.insights.coverage.level.${l}`)}
                  </th>
                ))}
                <th scope="col">{t('admin.insights.total')}</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.key}>
                  <th scope="row">{g.label}</th>
                  {COVERAGE_LEVELS.map((l) => (
                    <td key={l}>{g.counts[l]}</td>
                  ))}
                  <td>{COVERAGE_LEVELS.reduce((a, l) => a + g.counts[l], 0)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </AdminLayout>
  );
}
