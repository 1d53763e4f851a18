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
  FAILURE_REASON_LABELS,
  INSIGHT_PERIODS,
  METHOD_LABELS,
  RESET_OUTCOME_LABELS,
  RESET_OUTCOMES,
  shortDay,
  type CoverageLevel,
} from '../../core/insights.ts';
import type { InsightsReport } from '../../service/insights-service.ts';
import { AdminLayout } from './admin-layout.tsx';
import { HorizontalBarsChart, ShareRowsChart, StackedColumnsChart } from './insights-charts.tsx';

export const OUTCOME_SERIES: readonly ChartSeries[] = [
  { key: 'completed', label: RESET_OUTCOME_LABELS.completed, color: PALETTE.green, pattern: 'solid' },
  { key: 'failed', label: RESET_OUTCOME_LABELS.failed, color: PALETTE.orange, pattern: 'hatch' },
  { key: 'abandoned', label: RESET_OUTCOME_LABELS.abandoned, color: PALETTE.grey, pattern: 'dots' },
];

export const COVERAGE_SERIES: readonly ChartSeries[] = [
  { key: 'both', label: COVERAGE_LABELS.both, color: PALETTE.green, pattern: 'solid' },
  { key: 'one', label: COVERAGE_LABELS.one, color: PALETTE.amber, pattern: 'hatch' },
  { key: 'none', label: COVERAGE_LABELS.none, color: PALETTE.orange, pattern: 'dots' },
];

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function InsightsPage(p: { tenantName: string; activeAdmins: number; report: InsightsReport }): VNode {
  const r = p.report;
  const range = `${r.firstDay} to ${r.lastDay}`;
  const totalResets = r.resets.totals.completed + r.resets.totals.failed + r.resets.totals.abandoned;

  const columns = layoutStackedColumns({
    series: OUTCOME_SERIES,
    categories: r.resets.days.map((d) => ({
      key: d.day,
      label: d.day,
      shortLabel: shortDay(d.day),
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
    label: FAILURE_REASON_LABELS[f.reason],
    value: f.count,
  }));
  const failureTotal = failureRows.reduce((a, f) => a + f.value, 0);
  const topFailures = [...failureRows]
    .filter((f) => f.value > 0)
    .sort((a, b) => b.value - a.value)
    .slice(0, 3);

  const methodRows = r.resets.methods.map((m) => ({ key: m.method, label: METHOD_LABELS[m.method], value: m.count }));
  const methodTotal = methodRows.reduce((a, m) => a + m.value, 0);

  const groups = [
    { key: 'users', label: 'Users', counts: r.coverage.users },
    { key: 'admins', label: 'Administrators', counts: r.coverage.admins },
  ];
  const shares = layoutShareRows({
    series: COVERAGE_SERIES,
    rows: groups.map((g) => ({ key: g.key, label: g.label, values: COVERAGE_LEVELS.map((l) => g.counts[l]) })),
  });
  const coverageSentence = (g: (typeof groups)[number]) => {
    const total = COVERAGE_LEVELS.reduce((a, l) => a + g.counts[l], 0);
    if (total === 0) return `${g.label}: none.`;
    const pct = percentages(COVERAGE_LEVELS.map((l) => g.counts[l]));
    return `${g.label}: ${COVERAGE_LEVELS.map((l, i) => `${g.counts[l]} with ${COVERAGE_LABELS[l].toLowerCase()} (${pct[i]} %)`).join(', ')}.`;
  };

  return (
    <AdminLayout
      title="Usage & insights"
      section="/admin/insights"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>Usage &amp; insights</h1>
      <form method="get" action="/admin/insights" class="period-form">
        <div class="field">
          <label for="period">Period</label>
          <select id="period" name="period">
            {INSIGHT_PERIODS.map((d) => (
              <option key={d} value={String(d)} selected={d === r.period}>
                Last {d} days
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Show</button>
      </form>
      <p>
        From {r.firstDay} to {r.lastDay} (UTC days, today included). Self-service resets only; resets by an
        administrator are in the <a href="/admin/audit">audit log</a>.
      </p>
      {r.truncated ? (
        <p class="notice" role="status">
          This period has more events than one report reads; the oldest days may be incomplete. Choose a shorter period.
        </p>
      ) : null}

      <section class="insight" aria-labelledby="resets-heading">
        <h2 id="resets-heading">Resets per day</h2>
        <p class="hint">
          A reset is completed when the new password was set, failed when a check failed or the start was refused (for
          example a blocked account), abandoned when it ended without either.
          {r.resets.inProgress > 0
            ? ` ${plural(r.resets.inProgress, 'reset is', 'resets are')} still in progress and not counted.`
            : ''}
        </p>
        <StackedColumnsChart
          text={{
            id: 'chart-resets',
            title: `Resets per day by outcome, ${range}`,
            desc:
              totalResets === 0
                ? `No resets in the last ${r.period} days.`
                : `${totalResets} resets in the last ${r.period} days: ${r.resets.totals.completed} completed, ${r.resets.totals.failed} failed, ${r.resets.totals.abandoned} abandoned.` +
                  (busiest ? ` The busiest day was ${busiest.day} with ${busiest.n}.` : '') +
                  ' Completed bars are solid green, failed bars orange with diagonal stripes, abandoned bars grey with dots. The table below has every day.',
          }}
          series={OUTCOME_SERIES}
          layout={columns}
        />
        <div class="table-wrap" role="region" aria-labelledby="resets-caption" tabIndex={0}>
          <table class="data numbers">
            <caption id="resets-caption">Resets per day by outcome, {range}</caption>
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                {RESET_OUTCOMES.map((o) => (
                  <th key={o} scope="col">
                    {RESET_OUTCOME_LABELS[o]}
                  </th>
                ))}
                <th scope="col">Total</th>
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
                <th scope="row">All days</th>
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
        <h2 id="failures-heading">Failures by reason</h2>
        <p class="hint">
          Each failed check or refused start counts once, on the day it happened.
          {r.resets.blockedAccounts > 0
            ? ` ${plural(r.resets.blockedAccounts, 'account was', 'accounts were')} blocked from self-service after repeated failures.`
            : ''}
        </p>
        <HorizontalBarsChart
          text={{
            id: 'chart-failures',
            title: `Failures by reason, ${range}`,
            desc:
              failureTotal === 0
                ? `No failures in the last ${r.period} days.`
                : `${failureTotal} failures. Most common: ${topFailures.map((f) => `${f.label.toLowerCase()} (${f.value})`).join(', ')}. The table below has every reason.`,
          }}
          color={PALETTE.orange}
          layout={layoutHorizontalBars({ rows: failureRows })}
        />
        <table class="data numbers">
          <caption>Failures by reason, {range}</caption>
          <thead>
            <tr>
              <th scope="col">Reason</th>
              <th scope="col">Failures</th>
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
              <th scope="row">All reasons</th>
              <td>{failureTotal}</td>
            </tr>
          </tfoot>
        </table>
      </section>

      <section class="insight" aria-labelledby="methods-heading">
        <h2 id="methods-heading">Methods used</h2>
        <p class="hint">Checks passed with each method during self-service resets.</p>
        <HorizontalBarsChart
          text={{
            id: 'chart-methods',
            title: `Methods used, ${range}`,
            desc:
              methodTotal === 0
                ? `No method was used in the last ${r.period} days.`
                : `${methodTotal} checks passed: ${methodRows.map((m) => `${m.label.toLowerCase()} ${m.value}`).join(', ')}.`,
          }}
          color={PALETTE.blue}
          layout={layoutHorizontalBars({ rows: methodRows, labelWidth: 140 })}
        />
        <table class="data numbers">
          <caption>Methods used, {range}</caption>
          <thead>
            <tr>
              <th scope="col">Method</th>
              <th scope="col">Checks passed</th>
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
      </section>

      <section class="insight" aria-labelledby="coverage-heading">
        <h2 id="coverage-heading">Registration coverage</h2>
        <p class="hint">
          Enabled accounts today, by verified methods (alternate email and mobile phone). People without both methods
          may not be able to reset their password; administrators need both to use this console.
        </p>
        <ShareRowsChart
          text={{
            id: 'chart-coverage',
            title: 'Registration coverage of users and administrators',
            desc: groups.map(coverageSentence).join(' '),
          }}
          series={COVERAGE_SERIES}
          layout={shares}
        />
        <table class="data numbers">
          <caption>Registration coverage (enabled accounts)</caption>
          <thead>
            <tr>
              <th scope="col">Group</th>
              {COVERAGE_LEVELS.map((l: CoverageLevel) => (
                <th key={l} scope="col">
                  {COVERAGE_LABELS[l]}
                </th>
              ))}
              <th scope="col">Total</th>
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
      </section>
    </AdminLayout>
  );
}
