import { describe, expect, it } from 'vitest';
import { defaultOptions } from './flags.js';
import type { MessageSample, RunResult } from './load-protocol.js';
import type { ProcessUsage } from './process-sampler.js';
import { buildReport, cpuPerMessage } from './report.js';
import { rampChart, timelineChart, timelineOf } from './report-chart.js';
import { cpuPerMessageTable, renderReport } from './report-table.js';
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
  deliveries: [],
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
  e: {
    requested: 2000,
    forcedGc: true,
    errors: {},
    memory: {
      connections: 1000,
      before: { rssBytes: 100 * 1024 * 1024, heapUsedBytes: 40 * 1024 * 1024 },
      after: { rssBytes: 140 * 1024 * 1024, heapUsedBytes: 50 * 1024 * 1024 },
      rssBytes: 40 * 1024 * 1.024,
      heapUsedBytes: 10 * 1024 * 1.024,
    },
  },
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

describe('CPU per message', () => {
  const usage: ProcessUsage[] = [
    { name: 'ingress', pid: 1, cpuPercent: 50, cpuSeconds: 3, rssMaxMb: 1, rssMeanMb: 1 },
    { name: 'auth', pid: 2, cpuPercent: 10, cpuSeconds: 1, rssMaxMb: 1, rssMeanMb: 1 },
    { name: 'baseline', pid: 3, cpuPercent: 5, cpuSeconds: 0.5, rssMaxMb: 1, rssMeanMb: 1 },
    { name: 'kafka', pid: 4, cpuPercent: null, cpuSeconds: null, rssMaxMb: null, rssMeanMb: null },
  ];

  it("divides each process's CPU seconds by the accepted messages, in ms; own work by side", () => {
    expect(cpuPerMessage(usage, 2000, 'parley')).toEqual({
      byProcess: { ingress: 1.5, auth: 0.5, baseline: 0.25, kafka: null },
      own: 2,
    });
    expect(cpuPerMessage(usage, 2000, 'baseline').own).toBe(0.25);
  });

  it('has no figure without accepted messages or with a service unmeasured', () => {
    expect(cpuPerMessage(usage, 0, 'parley')).toMatchObject({ own: null, byProcess: { ingress: null } });
    const gone = usage.map((entry) => (entry.name === 'auth' ? { ...entry, cpuSeconds: null } : entry));
    expect(cpuPerMessage(gone, 2000, 'parley').own).toBeNull();
  });

  it('is in the report for (a) and every ramp step, and printed one row per measurement', () => {
    expect(report.a?.cpuPerMessage.parley).toEqual({ byProcess: { ingress: 400, postgres: 10 }, own: 400 });
    expect(report.a?.cpuPerMessage.baseline.own).toBeNull();
    expect(report.b?.parley.cpuPerMessage.map((cpu) => cpu.own)).toEqual([400, 200]);
    expect(report.b?.baseline.cpuPerMessage).toHaveLength(2);
    const text = renderReport(report);
    expect(text).toMatch(/CPU ms per accepted message\s+own\s+ingress\s+postgres/);
    expect(text).toMatch(/a Parley\s+400\.00\s+400\.00\s+10\.00/);
    expect(text).toMatch(/b Parley 20\/s\s+200\.00\s+200\.00\s+5\.00/);
    expect(text).toMatch(/b baseline 10\/s\s+-\s+400\.00/);
    expect(cpuPerMessageTable([{ name: 'x', cpu: { byProcess: { a: null }, own: 1 } }])).toMatch(
      /x\s+1\.00\s+-/,
    );
  });
});

describe('the ingress pods of (a)', () => {
  it("are in the report with the pods the run started, and counted in Parley's own CPU", () => {
    const pods: ProcessUsage[] = [
      { name: 'ingress', pid: 1, cpuPercent: 10, cpuSeconds: 2, rssMaxMb: 1, rssMeanMb: 1 },
      { name: 'ingress-2', pid: 2, cpuPercent: 10, cpuSeconds: 2, rssMaxMb: 1, rssMeanMb: 1 },
    ];
    const withPods = buildReport({
      options: defaultOptions,
      results: {
        a: {
          parley: {
            ...measured(run('a', 10, 80)),
            usage: pods,
            deliveries: [
              { name: 'ingress', handled: 20, seconds: 0.01 },
              { name: 'ingress-2', handled: 20, seconds: 0.02 },
            ],
          },
          baseline: measured(run('a baseline', 10, 8)),
        },
      },
      startedAt: new Date(0),
      finishedAt: new Date(1000),
      machine: { cpus: 2, cpuModel: 'test', node: 'v20', loadAverage: [1, 1, 1] },
      infrastructure: 'Kafka: test',
      store: { counted: 'statements', notes: [] },
      warnings: [],
      ingressPods: [
        { name: 'ingress', sockets: 10 },
        { name: 'ingress-2', sockets: 10 },
      ],
    });
    // 20 accepted messages: 4 s of both pods' CPU is 200 ms per message.
    expect(withPods.a?.cpuPerMessage.parley.own).toBe(200);
    expect(withPods.a?.ingressPods?.pods.map((pod) => [pod.name, pod.deliveriesPerMessage])).toEqual([
      ['ingress', 1],
      ['ingress-2', 1],
    ]);
    expect(withPods.a?.ingressPods?.cluster.deliveryHandlingMsPerMessage).toBeCloseTo(1.5, 9);
    expect(renderReport(withPods)).toContain('Ingress pods during (a)');
    expect(report.a?.ingressPods).toBeUndefined();
  });
});

describe('the storm and the idle streams against their targets', () => {
  it('prints the storm with its targets', () => {
    expect(report.c?.target).toEqual({ allSyncedMs: 5000, introspectionsPerReconnect: 1 });
    const text = renderReport(report);
    expect(text).toMatch(/sync \(resumed\)\s+60\s+80\s+80\s+80/);
    // 20 introspections for 4 reconnects: five times the target.
    expect(text).toContain(
      'target: all resumed within 5000 ms (met), 1 introspection per reconnect (MISSED)',
    );
  });

  it('reports memory per idle stream in KB with the target', () => {
    expect(report.e).toMatchObject({
      requested: 2000,
      opened: 1000,
      before: { rssMb: 100, heapUsedMb: 40 },
      after: { rssMb: 140, heapUsedMb: 50 },
      perStreamKb: { rss: 40.96, heapUsed: 10.24 },
      targetKb: 30,
    });
    const text = renderReport(report);
    expect(text).toContain(
      '(e) idle streams at ingress: 1000/2000 opened; medians of 5 samples after a forced full GC each',
    );
    expect(text).toMatch(/RSS\s+100\.0\s+140\.0\s+41\.0 KB \(MISSED\)/);
    expect(text).toMatch(/V8 heap used\s+40\.0\s+50\.0\s+10\.2 KB \(met\)/);
    expect(text).toContain('target ≤ 30 KB per idle stream');
  });
});

describe('the ramp chart', () => {
  it('plots p50 and p99 against the offered rate for both sides', () => {
    const b = report.b;
    if (!b) throw new Error('no ramp in the report');
    const svg = rampChart(b);
    expect(svg).toContain('offered rate, msg/s (log scale)');
    expect(svg).toContain('p99 limit 250 ms');
    for (const label of ['Parley p50', 'Parley p99', 'baseline p50', 'baseline p99'])
      expect(svg).toContain(label);
    // Two steps on each of four lines, each a marker, and each line unbroken.
    expect(svg.match(/<circle /g)).toHaveLength(8);
    expect(svg.match(/<path d="M[^"]*L/g)).toHaveLength(4);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('is listed in the printed report', () => {
    expect(renderReport({ ...report, charts: ['latency.svg', 'ramp.svg'] })).toContain(
      'Charts: latency.svg, ramp.svg',
    );
  });
});
