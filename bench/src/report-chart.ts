import type { RunResult } from './load-protocol.js';
import type { BenchReport } from './report.js';
import type { ScenarioResults } from './scenarios.js';
import { deliveredPoints, perSecond, type RunStats, type SecondBucket } from './stats.js';
import { type ChartBand, type ChartSeries, renderLatencyChart } from './svg-chart.js';

export interface Timeline {
  /** Epoch ms of the first measured send: second 0 of the chart. */
  readonly origin: number;
  readonly runs: readonly {
    label: string;
    baseline: boolean;
    from: number;
    to: number;
    seconds: SecondBucket[];
  }[];
}

/** Per-second send → delivered percentiles of every measured run, on one time axis. */
export function timelineOf(results: ScenarioResults): Timeline {
  const runs: { run: RunResult; baseline: boolean }[] = [
    ...(results.a
      ? [
          { run: results.a.parley.value, baseline: false },
          { run: results.a.baseline.value, baseline: true },
        ]
      : []),
    ...(results.b?.parley.map((step) => ({ run: step.value, baseline: false })) ?? []),
    ...(results.b?.baseline.map((step) => ({ run: step.value, baseline: true })) ?? []),
    ...(results.d ? [{ run: results.d.value, baseline: false }] : []),
  ];
  const origin = Math.min(...runs.map(({ run }) => run.startedAt));
  return {
    origin,
    runs: runs.map(({ run, baseline }) => ({
      label: run.label,
      baseline,
      from: (run.startedAt - origin) / 1000,
      to: (run.sendingEndedAt - origin) / 1000,
      seconds: perSecond(deliveredPoints(run), origin),
    })),
  };
}

/** The SVG chart of a timeline: Parley's p50/p95/p99 per second, the baseline's dashed. */
export function timelineChart(timeline: Timeline, p99LimitMs: number): string {
  const points = (baseline: boolean, field: 'p50' | 'p95' | 'p99') =>
    timeline.runs
      .filter((run) => run.baseline === baseline)
      .flatMap((run) => run.seconds.map((bucket) => ({ x: bucket.second + 0.5, y: bucket[field] })));
  const series: ChartSeries[] = [
    { label: 'Parley p50', color: '#1f77b4', points: points(false, 'p50') },
    { label: 'Parley p95', color: '#ff7f0e', points: points(false, 'p95') },
    { label: 'Parley p99', color: '#d62728', points: points(false, 'p99') },
    { label: 'baseline p50', color: '#7f7f7f', dashed: true, points: points(true, 'p50') },
    { label: 'baseline p99', color: '#2ca02c', dashed: true, points: points(true, 'p99') },
  ];
  const bands: ChartBand[] = timeline.runs.map((run) => ({
    from: run.from,
    to: Math.max(run.to, run.from + 1),
    label: run.label.replace(/^b (Parley|baseline) /, '').replace(/ baseline$/, ''),
    fill: run.baseline ? '#f1f1f1' : '#e8eef7',
  }));
  return renderLatencyChart({
    title:
      'send → delivered on the other device per second of sending; blue bands: Parley, grey: baseline (→ stored)',
    series,
    bands,
    limit: { y: p99LimitMs, label: `p99 limit ${p99LimitMs} ms` },
  });
}

/**
 * The SVG chart of the ramp (b): send → delivered p50 and p99 per offered rate, Parley's solid and
 * the baseline's (→ stored) dashed, on log scales, with the p99 limit.
 */
export function rampChart(b: NonNullable<BenchReport['b']>): string {
  const points = (steps: readonly RunStats[], field: 'p50' | 'p99') =>
    steps.flatMap((step) => {
      const value = step.delivered[field];
      return value === null ? [] : [{ x: step.offeredRate, y: value }];
    });
  const series: ChartSeries[] = [
    { label: 'Parley p50', color: '#1f77b4', markers: true, points: points(b.parley.steps, 'p50') },
    { label: 'Parley p99', color: '#d62728', markers: true, points: points(b.parley.steps, 'p99') },
    {
      label: 'baseline p50',
      color: '#7f7f7f',
      dashed: true,
      markers: true,
      points: points(b.baseline.steps, 'p50'),
    },
    {
      label: 'baseline p99',
      color: '#2ca02c',
      dashed: true,
      markers: true,
      points: points(b.baseline.steps, 'p99'),
    },
  ];
  return renderLatencyChart({
    title: 'ramp (b): send → delivered per step (baseline: → stored) against the offered rate',
    series,
    limit: { y: b.p99LimitMs, label: `p99 limit ${b.p99LimitMs} ms` },
    xAxis: { label: 'offered rate, msg/s', log: true, breakOver: Number.POSITIVE_INFINITY },
  });
}
