import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderToString } from 'preact-render-to-string';
import { layoutStackedColumns, PALETTE } from '../../src/http/admin/chart-layout.ts';
import { aggregateResets, periodWindow } from '../../src/core/insights.ts';
import { StackedColumnsChart } from '../../src/http/admin/insights-charts.tsx';
import { InsightsPage, OUTCOME_SERIES } from '../../src/http/admin/insights-views.tsx';
import { renderPage } from '../../src/http/views/layout.tsx';
import type { InsightsReport } from '../../src/service/insights-service.ts';

const NOW = Date.UTC(2024, 4, 10, 12);

function report(period: 7 | 30 | 90): InsightsReport {
  const window = periodWindow(NOW, period);
  const day = Date.UTC(2024, 4, 9, 10);
  const resets = aggregateResets(
    [
      { at: day, accountId: 'a', type: 'reset.requested', outcome: 'found', flow: 'f1', channel: null, by: null },
      { at: day + 1, accountId: 'a', type: 'code.accepted', outcome: 'ok', flow: 'f1', channel: 'email', by: null },
      {
        at: day + 2,
        accountId: 'a',
        type: 'password.changed',
        outcome: 'ok',
        flow: 'f1',
        channel: null,
        by: 'self-service',
      },
      { at: day, accountId: 'b', type: 'reset.requested', outcome: 'found', flow: 'f2', channel: null, by: null },
      {
        at: day + 5,
        accountId: 'b',
        type: 'code.rejected',
        outcome: 'mismatch',
        flow: 'f2',
        channel: 'email',
        by: null,
      },
    ],
    window,
    3_600_000,
  );
  return {
    period,
    generatedAt: NOW,
    firstDay: window.days[0]!,
    lastDay: window.days[window.days.length - 1]!,
    resets,
    coverage: { users: { both: 3, one: 1, none: 2 }, admins: { both: 2, one: 0, none: 0 } },
    truncated: false,
  };
}

/** Every `<svg …>…</svg>` of a page. */
function svgs(html: string): string[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
}

test('insights page: four charts, each an accessible image (role, title, desc) followed by a table with the same numbers', () => {
  const html = renderPage(InsightsPage({ tenantName: 'Contoso <b>Demo</b>', activeAdmins: 2, report: report(7) }));
  const charts = svgs(html);
  assert.equal(charts.length, 4);
  for (const svg of charts) {
    assert.match(svg, /^<svg[^>]*\brole="img"/);
    const labelled = /aria-labelledby="([^"]+)"/.exec(svg)?.[1];
    const described = /aria-describedby="([^"]+)"/.exec(svg)?.[1];
    assert.ok(labelled && described, 'named and described');
    // the title is the first child, and the ids point at it and at the desc
    assert.match(
      svg,
      new RegExp(`^<svg[^>]*><title id="${labelled}">[^<]+</title><desc id="${described}">[^<]+</desc>`),
    );
  }
  // numbers in the desc of the daily chart
  assert.match(charts[0]!, /<desc[^>]*>2 resets in the last 7 days: 1 completed, 1 failed, 0 abandoned\./);
  // tables: a caption and scoped headers, after each chart
  const sections = html.split('<section').slice(1);
  assert.equal(sections.length, 4);
  for (const s of sections) {
    const svgAt = s.indexOf('<svg');
    const tableAt = s.indexOf('<table');
    assert.ok(svgAt >= 0 && tableAt > svgAt, 'the table comes right after the chart');
    assert.match(s, /<caption[^>]*>[^<]+/);
    assert.match(s, /<th scope="col">/);
    assert.match(s, /<th scope="row">/);
  }
  assert.match(html, /<th scope="row">2024-05-09<\/th><td>1<\/td><td>1<\/td><td>0<\/td><td>2<\/td>/);
  assert.match(html, /<th scope="row">Code did not match<\/th><td>1<\/td>/);
  assert.match(html, /<th scope="row">Email code<\/th><td>1<\/td>/);
  assert.match(html, /<th scope="row">Users<\/th><td>3<\/td><td>1<\/td><td>2<\/td><td>6<\/td>/);
  assert.match(html, /<option value="7" selected>Last 7 days<\/option>/);
  assert.match(html, /Contoso &lt;b>Demo&lt;\/b>/, 'text is escaped');
});

test('insights page: no inline style, no script, unique ids, every pattern referenced exists', () => {
  for (const period of [7, 30, 90] as const) {
    const html = renderPage(InsightsPage({ tenantName: 'Contoso', activeAdmins: 1, report: report(period) }));
    assert.doesNotMatch(html, /\sstyle=/, 'the CSP forbids inline style attributes');
    assert.doesNotMatch(html, /<style|<script|\son[a-z]+=/i);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, `unique ids (${period} days)`);
    for (const ref of html.matchAll(/url\(#([^)]+)\)/g))
      assert.ok(ids.includes(ref[1]), `pattern ${ref[1]} is defined`);
    assert.match(html, /This organisation has only one active administrator/, 'the console banner is there');
    assert.equal((html.match(/<tbody>[\s\S]*?<\/tbody>/)![0].match(/<tr>/g) ?? []).length, period, 'one row per day');
  }
});

test('StackedColumnsChart: patterns for non-solid series, text in currentColor, one rect per non-empty segment', () => {
  const layout = layoutStackedColumns({
    series: OUTCOME_SERIES,
    categories: [
      { key: 'a', label: 'a', shortLabel: 'a', values: [1, 2, 0] },
      { key: 'b', label: 'b', shortLabel: 'b', values: [0, 0, 3] },
    ],
  });
  const svg = renderToString(
    StackedColumnsChart({ text: { id: 'c1', title: 'T <x>', desc: 'D & E' }, series: OUTCOME_SERIES, layout }),
  );
  assert.match(svg, /<title id="c1-title">T &lt;x><\/title>/);
  assert.match(svg, /<desc id="c1-desc">D &amp; E<\/desc>/);
  assert.match(svg, /<pattern id="c1-pat-failed"/);
  assert.match(svg, /<pattern id="c1-pat-abandoned"/);
  assert.doesNotMatch(svg, /c1-pat-completed/, 'solid series need no pattern');
  assert.equal((svg.match(new RegExp(`fill="${PALETTE.green}"`, 'g')) ?? []).length, 2, 'legend swatch + one bar');
  assert.equal((svg.match(/fill="url\(#c1-pat-failed\)"/g) ?? []).length, 2, 'legend swatch + one bar');
  assert.equal((svg.match(/fill="url\(#c1-pat-abandoned\)"/g) ?? []).length, 2);
  const texts = [...svg.matchAll(/<text [^>]*>/g)].map((m) => m[0]);
  assert.ok(texts.length > 0 && texts.every((t) => t.includes('fill="currentColor"')), 'text follows the theme');
});
