import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  layoutHorizontalBars,
  layoutLegend,
  layoutShareRows,
  layoutStackedColumns,
  linearScale,
  niceStep,
  niceTicks,
  PALETTE,
  percentages,
  type ChartSeries,
} from '../../src/http/admin/chart-layout.ts';

const SERIES: ChartSeries[] = [
  { key: 'a', label: 'Completed', color: PALETTE.green, pattern: 'solid' },
  { key: 'b', label: 'Failed', color: PALETTE.orange, pattern: 'hatch' },
  { key: 'c', label: 'Abandoned', color: PALETTE.grey, pattern: 'dots' },
];

test('niceStep and niceTicks: 1-2-5 steps, integer ticks from 0 to at least the max', () => {
  const cases: [number, number[]][] = [
    [0, [0, 1]],
    [1, [0, 1]],
    [3, [0, 1, 2, 3]],
    [5, [0, 1, 2, 3, 4, 5]],
    [6, [0, 2, 4, 6]],
    [7, [0, 2, 4, 6, 8]],
    [10, [0, 2, 4, 6, 8, 10]],
    [11, [0, 5, 10, 15]],
    [99, [0, 20, 40, 60, 80, 100]],
    [100, [0, 20, 40, 60, 80, 100]],
    [101, [0, 50, 100, 150]],
    [1234, [0, 500, 1000, 1500]],
  ];
  for (const [max, ticks] of cases) assert.deepEqual(niceTicks(max), ticks, `max ${max}`);
  assert.equal(niceStep(0.3), 1, 'counts never get fractional steps');
  assert.equal(niceStep(0.3, 5, 0.1), 0.1);
  assert.deepEqual(niceTicks(0.3, 5, 0.1), [0, 0.1, 0.2, 0.3], 'no float drift in the ticks');
  assert.equal(niceStep(Number.NaN), 1);
  assert.equal(niceStep(-5), 1);
});

test('linearScale maps 0…max onto the range, clamps negatives, survives a zero domain', () => {
  const y = linearScale(10, 200, 0);
  assert.equal(y(0), 200);
  assert.equal(y(10), 0);
  assert.equal(y(5), 100);
  assert.equal(y(-3), 200);
  const flat = linearScale(0, 0, 100);
  assert.equal(flat(0), 0);
  assert.equal(flat(1), 100);
});

test('layoutStackedColumns: segments stack bottom-up, heights are proportional, zeros draw nothing', () => {
  const l = layoutStackedColumns({
    series: SERIES,
    categories: [
      { key: 'd1', label: '2024-05-01', shortLabel: '1 May', values: [2, 1, 1] },
      { key: 'd2', label: '2024-05-02', shortLabel: '2 May', values: [0, 0, 0] },
      { key: 'd3', label: '2024-05-03', shortLabel: '3 May', values: [4, 0, 0] },
    ],
    width: 300,
    height: 200,
  });
  assert.equal(l.max, 4);
  assert.deepEqual(
    l.yTicks.map((t) => t.value),
    [0, 1, 2, 3, 4],
  );
  const baseline = l.plot.y + l.plot.height;
  assert.equal(l.yTicks[0]!.at, baseline);
  assert.equal(l.yTicks[4]!.at, l.plot.y);
  // 4 segments: three for day 1, none for day 2, one for day 3
  assert.equal(l.segments.length, 4);
  const day1 = l.segments.filter((s) => s.categoryIndex === 0);
  assert.deepEqual(
    day1.map((s) => s.seriesIndex),
    [0, 1, 2],
  );
  assert.equal(day1[0]!.y + day1[0]!.height, baseline, 'first series sits on the baseline');
  assert.equal(day1[1]!.y + day1[1]!.height, day1[0]!.y, 'second sits on the first');
  assert.equal(day1[2]!.y + day1[2]!.height, day1[1]!.y);
  assert.equal(day1[2]!.y, l.plot.y, 'a total equal to the max reaches the top');
  const unit = l.plot.height / 4;
  assert.ok(Math.abs(day1[0]!.height - 2 * unit) < 0.02);
  const day3 = l.segments.find((s) => s.categoryIndex === 2)!;
  assert.ok(Math.abs(day3.height - 4 * unit) < 0.02);
  assert.ok(day3.x > day1[0]!.x + day1[0]!.width, 'columns do not overlap');
  assert.ok(day3.x + day3.width <= l.plot.x + l.plot.width + 0.01, 'inside the plot');
  assert.equal(l.legend.length, 3);
});

test('layoutStackedColumns: 90 days keep at most the asked number of x labels, the newest day always labelled', () => {
  const categories = Array.from({ length: 90 }, (_, i) => ({
    key: String(i),
    label: String(i),
    shortLabel: `d${i}`,
    values: [i % 3, 0, 1],
  }));
  const l = layoutStackedColumns({ series: SERIES, categories, maxXLabels: 8 });
  assert.ok(l.xLabels.length <= 8, `${l.xLabels.length} labels`);
  assert.equal(l.xLabels[l.xLabels.length - 1]!.text, 'd89');
  assert.ok(l.segments.every((s) => s.width >= 0.5 && s.height > 0));
  // every column stays apart from the next
  const xs = [...new Set(l.segments.map((s) => s.x))].sort((a, b) => a - b);
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i]! - xs[i - 1]! >= l.segments[0]!.width);
});

test('layoutStackedColumns: no data still draws an axis 0…1 and no segments', () => {
  const l = layoutStackedColumns({
    series: SERIES,
    categories: [{ key: 'x', label: 'x', shortLabel: 'x', values: [0, 0, 0] }],
  });
  assert.equal(l.segments.length, 0);
  assert.deepEqual(
    l.yTicks.map((t) => t.value),
    [0, 1],
  );
});

test('layoutLegend wraps to a new line when the width runs out', () => {
  const items = layoutLegend(SERIES, 10, 14, 150);
  assert.equal(items[0]!.swatch.x, 10);
  assert.ok(
    items.some((i) => i.textY > 14),
    'wrapped',
  );
  const wide = layoutLegend(SERIES, 10, 14, 1000);
  assert.ok(wide.every((i) => i.textY === 14));
  assert.ok(wide[1]!.swatch.x > wide[0]!.textX, 'items follow each other');
});

test('layoutHorizontalBars: bar length proportional to the value, value written after the bar, zero is an empty bar', () => {
  const l = layoutHorizontalBars({
    rows: [
      { key: 'a', label: 'Code did not match', value: 8 },
      { key: 'b', label: 'Expired', value: 2 },
      { key: 'c', label: 'Blocked', value: 0 },
    ],
    width: 500,
    labelWidth: 200,
  });
  assert.equal(l.max, 8);
  const [a, b, c] = l.bars;
  assert.equal(a!.bar.x, 200);
  assert.ok(Math.abs(a!.bar.width - l.plot.width) < 0.02, 'the max fills the plot');
  assert.ok(Math.abs(b!.bar.width - l.plot.width / 4) < 0.02);
  assert.equal(c!.bar.width, 0);
  assert.ok(a!.valueX > a!.bar.x + a!.bar.width);
  assert.ok(a!.labelX < a!.bar.x, 'labels end left of the bars');
  assert.ok(b!.bar.y > a!.bar.y + a!.bar.height, 'rows do not overlap');
  assert.ok(l.height >= l.plot.y + l.plot.height);
  assert.equal(l.xTicks[0]!.at, l.plot.x);
});

test('percentages: whole numbers that add up to 100 (largest remainder), zeros when empty', () => {
  assert.deepEqual(percentages([1, 1, 1]), [34, 33, 33]);
  assert.deepEqual(percentages([2, 1, 0]), [67, 33, 0]);
  assert.deepEqual(percentages([0, 0, 0]), [0, 0, 0]);
  assert.deepEqual(percentages([5]), [100]);
  for (const v of [
    [7, 13, 80],
    [1, 2, 3, 4, 5, 6],
    [999, 1, 0],
  ]) {
    assert.equal(
      percentages(v).reduce((a, b) => a + b, 0),
      100,
      String(v),
    );
  }
});

test('layoutShareRows: segments fill the width in proportion, with the numbers in words', () => {
  const l = layoutShareRows({
    series: SERIES,
    rows: [
      { key: 'users', label: 'Users', values: [3, 1, 0] },
      { key: 'admins', label: 'Administrators', values: [0, 0, 0] },
    ],
    width: 400,
  });
  const [users, admins] = l.rows;
  assert.equal(users!.total, 4);
  assert.equal(users!.segments.length, 2, 'no segment for a zero share');
  const sum = users!.segments.reduce((a, s) => a + s.width, 0);
  assert.ok(Math.abs(sum - l.plot.width) < 0.05, 'the shares fill the bar');
  assert.ok(Math.abs(users!.segments[0]!.width - l.plot.width * 0.75) < 0.05);
  assert.equal(users!.segments[1]!.x, Math.round((l.plot.x + l.plot.width * 0.75) * 100) / 100);
  assert.equal(users!.summary, 'Completed: 3 (75 %) · Failed: 1 (25 %) · Abandoned: 0 (0 %)');
  assert.equal(admins!.segments.length, 0);
  assert.equal(admins!.summary, 'nobody yet');
  assert.ok(admins!.titleY > users!.summaryY, 'rows are stacked below each other');
  assert.ok(l.height > admins!.summaryY);
});
