import type { ComponentChildren, VNode } from 'preact';
import type {
  ChartSeries,
  FillPattern,
  HorizontalBarsLayout,
  LegendItem,
  ShareRowsLayout,
  StackedColumnsLayout,
} from './chart-layout.ts';

/**
 * Inline SVG charts rendered on the server from the layouts of `chart-layout.ts`. No script and no
 * `style` attribute (the CSP allows neither): colours, fonts and strokes are SVG presentation
 * attributes. Each chart is one `role="img"` named by its `<title>` and described by its `<desc>`;
 * text and axes use `currentColor`, so they follow the page's light or dark theme; each series has
 * a pattern as well as a colour. The numbers are always also given as an HTML table next to it.
 * The words come translated from the page; the drawing keeps its left-to-right geometry in every
 * language (`direction="ltr"`: the axis labels are anchored for it), Arabic labels included.
 */

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif';

export interface ChartText {
  /** Unique on the page; prefixes every id inside the chart. */
  readonly id: string;
  readonly title: string;
  /** A sentence or two with the chart's main numbers (what a screen reader announces). */
  readonly desc: string;
}

/** The `fill` for a series: its colour, or a reference to its pattern. */
export function seriesFill(chartId: string, s: ChartSeries): string {
  return s.pattern === 'solid' ? s.color : `url(#${chartId}-pat-${s.key})`;
}

function Patterns({ chartId, series }: { chartId: string; series: readonly ChartSeries[] }): VNode {
  return (
    <defs>
      {series
        .filter((s) => s.pattern !== 'solid')
        .map((s) => (
          <Pattern key={s.key} id={`${chartId}-pat-${s.key}`} color={s.color} pattern={s.pattern} />
        ))}
    </defs>
  );
}

function Pattern({ id, color, pattern }: { id: string; color: string; pattern: FillPattern }): VNode {
  let marks: ComponentChildren;
  switch (pattern) {
    case 'hatch':
      marks = <path d="M0 6 L6 0 M-1 1 L1 -1 M5 7 L7 5" stroke="#ffffff" stroke-width="1.6" />;
      break;
    case 'dots':
      marks = <circle cx="3" cy="3" r="1.3" fill="#ffffff" />;
      break;
    case 'cross':
      marks = <path d="M0 3 H6 M3 0 V6" stroke="#ffffff" stroke-width="1.2" />;
      break;
    default:
      marks = null;
  }
  return (
    <pattern id={id} width="6" height="6" patternUnits="userSpaceOnUse">
      <rect width="6" height="6" fill={color} />
      {marks}
    </pattern>
  );
}

function Legend({ chartId, items }: { chartId: string; items: readonly LegendItem[] }): VNode {
  return (
    <g>
      {items.map((item) => (
        <g key={item.series.key}>
          <rect
            x={item.swatch.x}
            y={item.swatch.y}
            width={item.swatch.width}
            height={item.swatch.height}
            fill={seriesFill(chartId, item.series)}
            stroke="currentColor"
            stroke-width="1"
          />
          <text x={item.textX} y={item.textY} fill="currentColor">
            {item.series.label}
          </text>
        </g>
      ))}
    </g>
  );
}

function Svg(p: {
  text: ChartText;
  width: number;
  height: number;
  series: readonly ChartSeries[];
  /** Spans the full width of the page (otherwise at most 48rem wide). */
  wide?: boolean;
  children?: ComponentChildren;
}): VNode {
  const titleId = `${p.text.id}-title`;
  const descId = `${p.text.id}-desc`;
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      class={p.wide ? 'chart wide' : 'chart'}
      viewBox={`0 0 ${p.width} ${p.height}`}
      role="img"
      aria-labelledby={titleId}
      aria-describedby={descId}
      font-family={FONT}
      font-size="12"
      direction="ltr"
    >
      <title id={titleId}>{p.text.title}</title>
      <desc id={descId}>{p.text.desc}</desc>
      <Patterns chartId={p.text.id} series={p.series} />
      {p.children}
    </svg>
  );
}

/** Columns per day, stacked by series, with a y axis and a legend. */
export function StackedColumnsChart(p: {
  text: ChartText;
  series: readonly ChartSeries[];
  layout: StackedColumnsLayout;
}): VNode {
  const { layout: l, series } = p;
  const baseline = l.plot.y + l.plot.height;
  return (
    <Svg text={p.text} width={l.width} height={l.height} series={series} wide>
      <Legend chartId={p.text.id} items={l.legend} />
      <g>
        {l.yTicks.map((t) => (
          <g key={t.value}>
            <line
              x1={l.plot.x}
              x2={l.plot.x + l.plot.width}
              y1={t.at}
              y2={t.at}
              stroke="currentColor"
              stroke-opacity={t.value === 0 ? '1' : '0.25'}
              stroke-width="1"
            />
            <text x={l.plot.x - 6} y={t.at + 4} text-anchor="end" fill="currentColor">
              {t.value}
            </text>
          </g>
        ))}
      </g>
      <g>
        {l.segments.map((s) => (
          <rect
            key={`${s.categoryIndex}-${s.seriesIndex}`}
            x={s.x}
            y={s.y}
            width={s.width}
            height={s.height}
            fill={seriesFill(p.text.id, series[s.seriesIndex]!)}
          />
        ))}
      </g>
      <g>
        {l.xLabels.map((x) => (
          <g key={x.categoryIndex}>
            <line x1={x.at} x2={x.at} y1={baseline} y2={baseline + 4} stroke="currentColor" stroke-width="1" />
            <text x={x.at} y={baseline + 18} text-anchor="middle" fill="currentColor">
              {x.text}
            </text>
          </g>
        ))}
      </g>
    </Svg>
  );
}

/** One labelled bar per row, its value written after it. */
export function HorizontalBarsChart(p: { text: ChartText; color: string; layout: HorizontalBarsLayout }): VNode {
  const l = p.layout;
  const baseline = l.plot.y + l.plot.height;
  return (
    <Svg text={p.text} width={l.width} height={l.height} series={[]}>
      <g>
        {l.xTicks.map((t) => (
          <g key={t.value}>
            <line
              x1={t.at}
              x2={t.at}
              y1={l.plot.y}
              y2={baseline}
              stroke="currentColor"
              stroke-opacity={t.value === 0 ? '1' : '0.25'}
              stroke-width="1"
            />
            <text x={t.at} y={baseline + 16} text-anchor="middle" fill="currentColor">
              {t.value}
            </text>
          </g>
        ))}
      </g>
      <g>
        {l.bars.map((b) => (
          <g key={b.row.key}>
            <text x={b.labelX} y={b.textY} text-anchor="end" fill="currentColor">
              {b.row.label}
            </text>
            {b.bar.width > 0 ? (
              <rect x={b.bar.x} y={b.bar.y} width={b.bar.width} height={b.bar.height} fill={p.color} />
            ) : null}
            <text x={b.valueX} y={b.textY} fill="currentColor" font-weight="600">
              {b.row.value}
            </text>
          </g>
        ))}
      </g>
    </Svg>
  );
}

/** One full-width bar per group split into shares, the counts written under each bar. */
export function ShareRowsChart(p: { text: ChartText; series: readonly ChartSeries[]; layout: ShareRowsLayout }): VNode {
  const l = p.layout;
  return (
    <Svg text={p.text} width={l.width} height={l.height} series={p.series}>
      <Legend chartId={p.text.id} items={l.legend} />
      {l.rows.map((r) => (
        <g key={r.row.key}>
          <text x={l.plot.x} y={r.titleY} fill="currentColor" font-weight="600">
            {`${r.row.label} (${r.total})`}
          </text>
          <rect
            x={l.plot.x}
            y={r.titleY + 8}
            width={l.plot.width}
            height={24}
            fill="none"
            stroke="currentColor"
            stroke-width="1"
          />
          {r.segments.map((s) => (
            <rect
              key={s.seriesIndex}
              x={s.x}
              y={s.y}
              width={s.width}
              height={s.height}
              fill={seriesFill(p.text.id, p.series[s.seriesIndex]!)}
            />
          ))}
          <text x={l.plot.x} y={r.summaryY} fill="currentColor">
            {r.summary}
          </text>
        </g>
      ))}
    </Svg>
  );
}
