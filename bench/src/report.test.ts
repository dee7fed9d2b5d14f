import { describe, expect, it } from 'vitest';
import { defaultOptions } from './flags.js';
import type { MessageSample, RunResult } from './load-protocol.js';
import type { ProcessUsage } from './process-sampler.js';
import { buildReport } from './report.js';
import { timelineChart, timelineOf } from './report-chart.js';
import { renderReport } from './report-table.js';
import { baselineRamp, type Measured, type ScenarioResults } from './scenarios.js';
import type { StoreActivity } from './store-metrics.js';

const usage: ProcessUsage[] = [
  { name: 'ingress', pid: 1, cpuPercent: 40, cpuSeconds: 8, rssMaxMb: 120, rssMeanMb: 110 },
  { name: 'postgres', pid: 2, cpuPercent: 10, cpuSeconds: 0.2, rssMaxMb: 200, rssMeanMb: 190 },
];
function run(label: string, rate: number, deliveredMs: number, startedAt = 1_000_000): RunResult {
  const samples: MessageSample[] = Array.from({ length: rate * 2 }, (_, index) => ({
    sentAt: startedAt + index * (1000 / rate),
    brand: index % 2 ? 'slow' : 'fast',
    ackMs: 5,
    deliveredMs,
    enrichedMs: deliveredMs / 2,
  }));
  return { label, rate, startedAt, sendingEndedAt: startedAt + 2000, samples, errors: {} };
}
// While Parley runs, the services' statements; while the baseline runs, its own and a background one.
const parleyStore: StoreActivity = {
  source: 'pg_stat_statements',
  counts: { history: 120, auth: 80 },
  top: [
    { service: 'history', query: 'begin', calls: 60 },
    { service: 'auth', query: 'select * from sessions where tenant_id = $1', calls: 20 },
  ],
};
const baselineStore: StoreActivity = {
  source: 'pg_stat_statements',
  counts: { baseline: 20, auth: 1 },
  top: [{ service: 'baseline', query: 'insert into bench_x_baseline.messages values ($1)', calls: 20 }],
};
const measured = <T>(value: T, backlogAtStart = 0, store = parleyStore): Measured<T> => ({
  value,
  usage,
  calls: { fast: { introspection: 20, userinfo: 20 } },
  store,
  backlogAtStart,
});

const results: ScenarioResults = {
  idleBrandRtt: { introspection: [1, 2, 3], userinfo: [2, 3, 4] },
  a: {
    parley: measured(run('a', 10, 80)),
    baseline: measured(run('a baseline', 10, 8, 1_030_000), 0, baselineStore),
  },
  b: {
    parley: [measured(run('b Parley 10/s', 10, 50)), measured(run('b Parley 20/s', 20, 900), 3)],
    baseline: [measured(run('b baseline 10/s', 10, 8)), measured(run('b baseline 20/s', 20, 9))],
  },
  c: measured({
    devices: 4,
    readyMs: [10, 20, 30, 40],
    syncMs: [50, 60, 70, 80],
    allSyncedMs: 80,
    errors: {},
  }),
};
const report = buildReport({
  options: { ...defaultOptions, ramp: [10, 20] },
  results,
  startedAt: new Date(0),
  finishedAt: new Date(1000),
  machine: { cpus: 2, cpuModel: 'test', node: 'v20', loadAverage: [1, 1, 1] },
  infrastructure: 'Kafka: test',
  store: { counted: 'statements', notes: [] },
  warnings: [],
});

describe('buildReport', () => {
  it('compares Parley with the baseline measured in the same run', () => {
    expect(report.a?.ratios).toEqual({ throughput: 1, p50: 10, p99: 10 });
    expect(report.a?.brandCallsPerMessage).toEqual({ introspection: 1, userinfo: 1 });
  });

  it("divides the store's statements and CPU by the messages, each side its own statements", () => {
    expect(report.a?.store.parley).toEqual({
      cpuMs: 10,
      total: 10,
      byService: { history: 6, auth: 4 },
      top: [
        { service: 'history', query: 'begin', perMessage: 3 },
        { service: 'auth', query: 'select * from sessions where tenant_id = $1', perMessage: 1 },
      ],
    });
    expect(report.a?.store.baseline).toMatchObject({ cpuMs: 10, total: 1, byService: { baseline: 1 } });
    expect(report.b?.parley.store.map((step) => step.total)).toEqual([10, 5]);
  });

  it('judges the ramps and divides the sustainable rates', () => {
    expect(report.b?.parley.outcome).toEqual({ sustainableRate: 10, atLeast: false });
    expect(report.b?.baseline.outcome).toEqual({ sustainableRate: 20, atLeast: true });
    expect(report.b?.sustainableRatio).toBe(0.5);
  });

  it('summarizes the storm and warns about a measurement that started with a backlog', () => {
    expect(report.c).toMatchObject({ devices: 4, allSyncedMs: 80, sync: { p50: 60, max: 80 } });
    expect(report.c?.introspectionsPerReconnect).toBe(5);
    expect(report.warnings).toEqual([expect.stringContaining('b Parley 20/s started with 3 records')]);
  });
});

describe('renderReport', () => {
  it('prints every scenario, the ratios and the usage table', () => {
    const text = renderReport(report);
    expect(text).toContain('Parley ÷ baseline: throughput 1.00×, p50 10.00×, p99 10.00×');
    expect(text).toContain('sustainable: Parley 10 msg/s, baseline ≥ 20 msg/s; Parley ÷ baseline ≤ 0.50×');
    expect(text).toContain(
      'store per message, Parley: 10.00 statements (history 6.00, auth 4.00), 10.00 ms CPU',
    );
    expect(text).toContain('store per message, baseline: 1.00 statements, 10.00 ms CPU');
    expect(text).toMatch(/3\.00 {2}history {2}begin/);
    expect(text).toMatch(/postgres\s+10% \/ 200/);
    expect(text).toMatch(/ingress\s+40% \/ 120/);
    expect(text).toContain('WARNING: b Parley 20/s started with 3 records');
  });
});

describe('the latency chart of a run', () => {
  it('puts every measured run on one time axis from the first send', () => {
    const timeline = timelineOf(results);
    expect(timeline.origin).toBe(1_000_000);
    expect(timeline.runs.find((entry) => entry.label === 'a baseline')).toMatchObject({ from: 30, to: 32 });
    const svg = timelineChart(timeline, 250);
    expect(svg).toContain('p99 limit 250 ms');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });
});

describe('baselineRamp', () => {
  it('continues doubling twice after the given steps', () => {
    expect(baselineRamp([5, 10, 20])).toEqual([5, 10, 20, 40, 80]);
  });
});
