/**
 * Chart geometry and palette, pure: scales, ticks and the rectangles and labels of the console's
 * charts, in SVG user units. Presentation, so it lives with the views (core keeps the numbers:
 * core/insights.ts); insights-charts.tsx turns a layout into inline SVG (escaped by construction).
 *
 * Colours are chosen for at least 3:1 contrast against both the light (#ffffff) and the dark
 * (#121212) page background (WCAG 1.4.11), and every series also has its own pattern, so colour
 * is never the only cue.
 */

export type FillPattern = 'solid' | 'hatch' | 'dots' | 'cross';

export interface ChartSeries {
  readonly key: string;
  readonly label: string;
  /** A hex colour (see the palette below). */
  readonly color: string;
  readonly pattern: FillPattern;
}

/** Contrast with white / with #121212: green 4.63/4.05, orange 4.30/4.36, grey 4.61/4.07, blue 4.72/3.97, amber 4.87/3.85. */
export const PALETTE = {
  green: '#238636',
  orange: '#d9480f',
  grey: '#757575',
  blue: '#3b6fd8',
  amber: '#9a6700',
} as const;

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Margins {
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly left: number;
}

/**
 * A "nice" tick step (1, 2 or 5 × 10^k, never below `minStep`) so that about `target` steps cover
 * `max`. Counts use `minStep` 1: no tick at 0.5 people.
 */
export function niceStep(max: number, target = 5, minStep = 1): number {
  if (!(max > 0)) return minStep;
  const raw = max / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  return Math.max(minStep, step);
}

/** Tick values from 0 to the first multiple of the step at or above `max` (at least one step). */
export function niceTicks(max: number, target = 5, minStep = 1): number[] {
  const step = niceStep(max, target, minStep);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  // multiply rather than add, so that 0.1 + 0.2 errors cannot creep in
  for (let i = 0; i * step <= top + step / 1e9; i++) ticks.push(round(i * step));
  return ticks;
}

/** A linear scale from [0, domainMax] onto [rangeFrom, rangeTo] (rangeTo may be smaller: SVG y grows downwards). */
export function linearScale(domainMax: number, rangeFrom: number, rangeTo: number): (value: number) => number {
  const span = domainMax > 0 ? domainMax : 1;
  return (value) => round(rangeFrom + ((rangeTo - rangeFrom) * Math.max(0, value)) / span);
}

/** Rounds to 2 decimals: stable output, and short SVG. */
export function round(n: number): number {
  return Math.round(n * 100) / 100;
}

// ---- stacked columns (one column per category, e.g. per day) -------------------------------

export interface ColumnCategory {
  readonly key: string;
  /** Full label, e.g. `2024-05-01`. */
  readonly label: string;
  /** Short axis label, e.g. `1 May`. */
  readonly shortLabel: string;
  /** One value per series, in series order. */
  readonly values: readonly number[];
}

export interface StackedColumnsInput {
  readonly series: readonly ChartSeries[];
  readonly categories: readonly ColumnCategory[];
  readonly width?: number;
  readonly height?: number;
  readonly margins?: Partial<Margins>;
  /** At most this many x-axis labels (evenly spaced, the last category always labelled). */
  readonly maxXLabels?: number;
}

export interface Segment extends Box {
  readonly seriesIndex: number;
  readonly categoryIndex: number;
  readonly value: number;
}

export interface AxisTick {
  readonly value: number;
  /** y for a vertical axis, x for a horizontal one. */
  readonly at: number;
}

export interface AxisLabel {
  readonly at: number;
  readonly text: string;
  readonly categoryIndex: number;
}

export interface StackedColumnsLayout {
  readonly width: number;
  readonly height: number;
  readonly plot: Box;
  readonly max: number;
  readonly yTicks: readonly AxisTick[];
  readonly xLabels: readonly AxisLabel[];
  /** Non-empty segments only, bottom to top within each column. */
  readonly segments: readonly Segment[];
  readonly legend: readonly LegendItem[];
}

export interface LegendItem {
  readonly series: ChartSeries;
  readonly swatch: Box;
  readonly textX: number;
  readonly textY: number;
}

const COLUMN_MARGINS: Margins = { top: 40, right: 12, bottom: 36, left: 44 };

/** Columns stacked by series, a y axis with nice integer ticks, a legend row above the plot. */
export function layoutStackedColumns(input: StackedColumnsInput): StackedColumnsLayout {
  const width = input.width ?? 640;
  const height = input.height ?? 280;
  const m = { ...COLUMN_MARGINS, ...input.margins };
  const plot: Box = { x: m.left, y: m.top, width: width - m.left - m.right, height: height - m.top - m.bottom };
  const totals = input.categories.map((c) => c.values.reduce((a, b) => a + Math.max(0, b), 0));
  const ticks = niceTicks(Math.max(0, ...totals));
  const max = ticks[ticks.length - 1]!;
  const y = linearScale(max, plot.y + plot.height, plot.y);
  const n = Math.max(1, input.categories.length);
  const band = plot.width / n;
  // a gap of a fifth of the band between columns, at least half a unit so 90 columns still separate
  const gap = Math.max(0.5, band * 0.2);
  const barWidth = round(Math.max(0.5, band - gap));
  const segments: Segment[] = [];
  input.categories.forEach((category, ci) => {
    let base = 0;
    const x = round(plot.x + ci * band + (band - barWidth) / 2);
    category.values.forEach((raw, si) => {
      const value = Math.max(0, raw);
      if (value === 0) return;
      const top = y(base + value);
      segments.push({
        x,
        y: top,
        width: barWidth,
        height: round(y(base) - top),
        seriesIndex: si,
        categoryIndex: ci,
        value,
      });
      base += value;
    });
  });
  const maxLabels = Math.max(1, input.maxXLabels ?? 8);
  const every = Math.max(1, Math.ceil(input.categories.length / maxLabels));
  const xLabels: AxisLabel[] = [];
  const last = input.categories.length - 1;
  input.categories.forEach((category, ci) => {
    // count back from the last category (today), so the newest day always has its label
    if ((last - ci) % every !== 0) return;
    xLabels.push({ at: round(plot.x + ci * band + band / 2), text: category.shortLabel, categoryIndex: ci });
  });
  return {
    width,
    height,
    plot,
    max,
    yTicks: ticks.map((value) => ({ value, at: y(value) })),
    xLabels,
    segments,
    legend: layoutLegend(input.series, plot.x, 14, width - m.right),
  };
}

/** A legend row (wrapping when it runs out of width): swatch, then label; about 7 units per character. */
export function layoutLegend(series: readonly ChartSeries[], x0: number, y0: number, xMax: number): LegendItem[] {
  const items: LegendItem[] = [];
  let x = x0;
  let y = y0;
  for (const s of series) {
    const w = 14 + 6 + s.label.length * 7 + 18;
    if (x + w > xMax && x > x0) {
      x = x0;
      y += 20;
    }
    items.push({ series: s, swatch: { x, y: y - 11, width: 14, height: 14 }, textX: x + 20, textY: y });
    x += w;
  }
  return items;
}

// ---- horizontal bars (one bar per category, labelled with its value) -----------------------

export interface BarRow {
  readonly key: string;
  readonly label: string;
  readonly value: number;
}

export interface HorizontalBarsInput {
  readonly rows: readonly BarRow[];
  readonly width?: number;
  /** Space for the row labels on the left. */
  readonly labelWidth?: number;
  readonly rowHeight?: number;
}

export interface HorizontalBar {
  readonly row: BarRow;
  /** Where the row label ends (text-anchor end) and its baseline. */
  readonly labelX: number;
  readonly textY: number;
  readonly bar: Box;
  /** Where the value is written, just after the bar's end. */
  readonly valueX: number;
}

export interface HorizontalBarsLayout {
  readonly width: number;
  readonly height: number;
  readonly plot: Box;
  readonly max: number;
  readonly xTicks: readonly AxisTick[];
  readonly bars: readonly HorizontalBar[];
}

/** Bars growing to the right from a common baseline, each with its label on the left and its value after it. */
export function layoutHorizontalBars(input: HorizontalBarsInput): HorizontalBarsLayout {
  const width = input.width ?? 640;
  const labelWidth = input.labelWidth ?? 250;
  const rowHeight = input.rowHeight ?? 26;
  const top = 8;
  const bottom = 26;
  // leave room after the longest bar for its value
  const plot: Box = {
    x: labelWidth,
    y: top,
    width: width - labelWidth - 48,
    height: Math.max(1, input.rows.length) * rowHeight,
  };
  const ticks = niceTicks(Math.max(0, ...input.rows.map((r) => r.value)));
  const max = ticks[ticks.length - 1]!;
  const x = linearScale(max, plot.x, plot.x + plot.width);
  const barHeight = round(rowHeight * 0.65);
  const bars = input.rows.map((row, i) => {
    const rowTop = plot.y + i * rowHeight;
    const end = x(row.value);
    return {
      row,
      labelX: plot.x - 8,
      textY: round(rowTop + rowHeight / 2 + 4),
      bar: { x: plot.x, y: round(rowTop + (rowHeight - barHeight) / 2), width: round(end - plot.x), height: barHeight },
      valueX: round(end + 6),
    };
  });
  return {
    width,
    height: plot.y + plot.height + bottom,
    plot,
    max,
    xTicks: ticks.map((value) => ({ value, at: x(value) })),
    bars,
  };
}

// ---- 100 % stacked rows (shares of a whole, e.g. registration coverage) -----------------------

export interface ShareRowInput {
  readonly key: string;
  readonly label: string;
  /** One count per series, in series order. */
  readonly values: readonly number[];
}

export interface ShareRowsInput {
  readonly series: readonly ChartSeries[];
  readonly rows: readonly ShareRowInput[];
  readonly width?: number;
  /** The summary of a row with no one in it, in the page's language (default `nobody yet`). */
  readonly emptySummary?: string;
}

export interface ShareRow {
  readonly row: ShareRowInput;
  readonly total: number;
  /** The row's title above its bar. */
  readonly titleY: number;
  readonly segments: readonly Segment[];
  /** Counts and percentages in words, under the bar (so the numbers do not depend on colour). */
  readonly summary: string;
  readonly summaryY: number;
}

export interface ShareRowsLayout {
  readonly width: number;
  readonly height: number;
  readonly plot: Box;
  readonly rows: readonly ShareRow[];
  readonly legend: readonly LegendItem[];
}

/** Whole-number percentages of `values` that add up to exactly 100 (largest remainder); all 0 when the total is 0. */
export function percentages(values: readonly number[]): number[] {
  const total = values.reduce((a, b) => a + Math.max(0, b), 0);
  if (total === 0) return values.map(() => 0);
  const exact = values.map((v) => (Math.max(0, v) * 100) / total);
  const floors = exact.map(Math.floor);
  let left = 100 - floors.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    floors[i]! += 1;
    left -= 1;
  }
  return floors;
}

/** One full-width bar per row, split into the series' shares, with the numbers written under it. */
export function layoutShareRows(input: ShareRowsInput): ShareRowsLayout {
  const width = input.width ?? 640;
  const x0 = 8;
  const plotWidth = width - 16;
  const legendY = 14;
  const legend = layoutLegend(input.series, x0, legendY, width - 8);
  const firstTop = (legend[legend.length - 1]?.textY ?? legendY) + 30;
  const rowBlock = 78;
  const barHeight = 24;
  const rows = input.rows.map((row, ri) => {
    const top = firstTop + ri * rowBlock;
    const total = row.values.reduce((a, b) => a + Math.max(0, b), 0);
    const pct = percentages(row.values);
    const segments: Segment[] = [];
    let x = x0;
    const barY = top + 8;
    row.values.forEach((raw, si) => {
      const value = Math.max(0, raw);
      if (value === 0 || total === 0) return;
      const w = (plotWidth * value) / total;
      segments.push({
        x: round(x),
        y: barY,
        width: round(w),
        height: barHeight,
        seriesIndex: si,
        categoryIndex: ri,
        value,
      });
      x += w;
    });
    const summary =
      total === 0
        ? (input.emptySummary ?? 'nobody yet')
        : input.series.map((s, si) => `${s.label}: ${row.values[si] ?? 0} (${pct[si]} %)`).join(' · ');
    return { row, total, titleY: top, segments, summary, summaryY: barY + barHeight + 18 };
  });
  const height = firstTop + Math.max(1, input.rows.length) * rowBlock - 12;
  return {
    width,
    height,
    plot: { x: x0, y: firstTop, width: plotWidth, height: height - firstTop },
    rows,
    legend,
  };
}
