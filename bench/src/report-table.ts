import type { ProfileSummary } from './cpu-profile.js';
import type { IngressPodsReport } from './ingress-pods.js';
import type { ProcessUsage } from './process-sampler.js';
import type { BenchReport, CpuPerMessage, IdleMemoryReport, StorePerMessage } from './report.js';
import type { SpanBreakdown } from './span-breakdown.js';
import type { LatencySummary, RunStats } from './stats.js';

/** Columns padded to their widest cell; the first column left-aligned, the others right-aligned. */
export function formatTable(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [index, cell] of row.entries()) widths[index] = Math.max(widths[index] ?? 0, cell.length);
  }
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, index) =>
            index === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[index] ?? 0),
          )
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

const n = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined ? '-' : value.toFixed(digits);
const times = (value: number | null) => (value === null ? '-' : `${value.toFixed(2)}×`);
const errors = (codes: Readonly<Record<string, number>>) =>
  Object.entries(codes)
    .map(([code, count]) => `${code}×${count}`)
    .join(' ') || '0';

const latencyHeader = ['p50', 'p95', 'p99', 'max'];
const latency = (summary: LatencySummary) =>
  [summary.p50, summary.p95, summary.p99, summary.max].map((v) => n(v));

function runRow(name: string, stats: RunStats): string[] {
  return [
    name,
    n(stats.acceptedPerSecond, 1),
    n(stats.ack.p50),
    ...latency(stats.delivered),
    ...latency(stats.enriched),
    errors(stats.errors),
  ];
}

const runHeader = [
  '',
  'accepted/s',
  'ack p50',
  ...latencyHeader.map((p) => `deliv ${p}`),
  ...latencyHeader.map((p) => `enrich ${p}`),
  'errors',
];

/** CPU % of one core and max RSS per process, one column per measurement. */
function usageTable(columns: readonly { name: string; usage: readonly ProcessUsage[] }[]): string {
  const names = [...new Set(columns.flatMap((column) => column.usage.map((usage) => usage.name)))];
  return formatTable([
    ['CPU % of a core / RSS MB', ...columns.map((column) => column.name)],
    ...names.map((name) => [
      name,
      ...columns.map((column) => {
        const usage = column.usage.find((entry) => entry.name === name);
        return usage ? `${n(usage.cpuPercent)}% / ${n(usage.rssMaxMb)}` : '-';
      }),
    ]),
  ]);
}

/**
 * CPU ms per accepted message, one row per measurement, one column per process; `own` is the
 * measured side's own work (Parley's services summed, or the baseline process).
 */
export function cpuPerMessageTable(rows: readonly { name: string; cpu: CpuPerMessage }[]): string {
  const names = [...new Set(rows.flatMap((row) => Object.keys(row.cpu.byProcess)))];
  return formatTable([
    ['CPU ms per accepted message', 'own', ...names],
    ...rows.map((row) => [
      row.name,
      n(row.cpu.own, 2),
      ...names.map((name) => n(row.cpu.byProcess[name], 2)),
    ]),
  ]);
}

/**
 * The ingress pods during (a): per pod its streams, CPU (busy, idle), CPU per message, the deliveries
 * it handled per message and their handling time; then the pods' sums.
 */
export function ingressPodsTable(pods: IngressPodsReport): string {
  const { cluster } = pods;
  return [
    `Ingress pods during (a): CPU per accepted message; "busy" = minus the pod's idle CPU (during the baseline's (a)); deliveries handled by its pod-events consumer`,
    formatTable([
      ['pod', 'streams', 'CPU %', 'idle %', 'ms/msg', 'busy ms/msg', 'deliveries/msg', 'ms/delivery'],
      ...pods.pods.map((pod) => [
        pod.name,
        String(pod.sockets),
        n(pod.cpuPercent, 1),
        n(pod.idleCpuPercent, 1),
        n(pod.cpuMsPerMessage, 2),
        n(pod.busyCpuMsPerMessage, 2),
        n(pod.deliveriesPerMessage, 2),
        n(pod.handlingMsPerDelivery, 3),
      ]),
    ]),
    `  all pods: ${n(cluster.cpuMsPerMessage, 2)} ms CPU per message (busy ${n(cluster.busyCpuMsPerMessage, 2)}), deliveries' handling ${n(cluster.deliveryHandlingMsPerMessage, 3)} ms per message`,
  ].join('\n');
}

const met = (ok: boolean) => (ok ? 'met' : 'MISSED');

/** Scenario e's lines: memory before and after, per stream, against the target. */
export function idleMemoryLines(e: IdleMemoryReport): string[] {
  const perStream = (kb: number | null) => (kb === null ? '-' : `${n(kb, 1)} KB (${met(kb <= e.targetKb)})`);
  return [
    `(e) idle streams at ingress: ${e.opened}/${e.requested} opened; medians of 5 samples ${e.forcedGc ? 'after a forced full GC each' : 'without forced GC, after settling'}`,
    formatTable([
      ['ingress', 'before MB', 'after MB', 'per stream'],
      ['RSS', n(e.before.rssMb, 1), n(e.after.rssMb, 1), perStream(e.perStreamKb.rss)],
      [
        'V8 heap used',
        n(e.before.heapUsedMb, 1),
        n(e.after.heapUsedMb, 1),
        perStream(e.perStreamKb.heapUsed),
      ],
    ]),
    `  target ≤ ${e.targetKb} KB per idle stream; errors ${errors(e.errors)}`,
  ];
}

/** `14.02 statements (history 8.01, auth 4.00, ingress 2.01), 0.62 ms CPU` */
function storeFigures(store: StorePerMessage, counted: string): string {
  const parts: string[] = [];
  if (store.total !== null) {
    const services = Object.entries(store.byService).filter(
      ([service]) => service !== 'baseline' && service !== 'database',
    );
    const split = services.length
      ? ` (${services.map(([service, count]) => `${service} ${n(count, 2)}`).join(', ')})`
      : '';
    parts.push(`${n(store.total, 2)} ${counted}${split}`);
  }
  parts.push(`${n(store.cpuMs, 2)} ms CPU`);
  return parts.join(', ');
}

function topStatements(store: StorePerMessage, count = 8): string[] {
  return store.top
    .slice(0, count)
    .map(
      (statement) =>
        `    ${n(statement.perMessage, 2).padStart(6)}  ${statement.service.padEnd(8)} ${statement.query.slice(0, 100)}`,
    );
}

/** Where a message's time goes per hop, from the services' spans (`--spans`). */
export function spanTable(breakdown: SpanBreakdown): string {
  return [
    `Time per hop, from ${breakdown.spans} spans of ${breakdown.messages} messages (nested spans count in their parent too)`,
    formatTable([
      ['hop', 'per msg', 'p50 ms', 'p95 ms', 'ms per msg'],
      ...breakdown.hops.map((hop) => [
        hop.hop,
        n(hop.perMessage, 2),
        n(hop.p50Ms, 1),
        n(hop.p95Ms, 1),
        n(hop.msPerMessage, 1),
      ]),
    ]),
  ].join('\n');
}

export function profileTable(service: string, summary: ProfileSummary): string {
  return [
    `CPU profile of ${service}: ${n(summary.busyMs / 1000, 1)} s busy of ${n(summary.profiledMs / 1000, 1)} s; top functions by self time`,
    formatTable([
      ['function', 'self ms', '%', 'where'],
      ...summary.functions.map((f) => [f.functionName, n(f.selfMs), n(f.percent, 1), f.url]),
    ]),
    '  by package:',
    formatTable(
      summary.packages.map((p) => [p.name, `${n(p.selfMs)} ms`, `${n(p.percent, 1)}%`]),
      '    ',
    ),
  ].join('\n');
}

/** The report as the table printed at the end of a run. */
export function renderReport(report: BenchReport): string {
  const out: string[] = [
    `Parley benchmark ${report.startedAt} — ${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node}, load average ${report.machine.loadAverage.map((v) => v.toFixed(2)).join(' ')} at start`,
    ...report.infrastructure.split('\n').map((line) => `  ${line}`),
    ...report.store.notes.map((note) => `  Note: ${note}`),
    ...report.warnings.map((warning) => `WARNING: ${warning}`),
    '',
  ];
  const { idle, underLoad } = report.brandRtt;
  if (idle || underLoad) {
    out.push(
      'Brand round trips (ms)',
      formatTable([
        ['', ...latencyHeader],
        ...(idle
          ? [
              ['introspection, idle', ...latency(idle.introspection)],
              ['userinfo, idle', ...latency(idle.userinfo)],
            ]
          : []),
        ...(underLoad
          ? [
              ['introspection, baseline (a)', ...latency(underLoad.introspection)],
              ['userinfo, baseline (a)', ...latency(underLoad.userinfo)],
            ]
          : []),
      ]),
      '',
    );
  }
  const columns: { name: string; usage: readonly ProcessUsage[] }[] = [];
  const { counted } = report.store;
  if (report.a) {
    const { a } = report;
    out.push(
      `(a) steady ${report.options.rate} msg/s for ${report.options.duration} s (latencies in ms; baseline "delivered" = stored)`,
      formatTable([runHeader, runRow('Parley', a.parley), runRow('baseline', a.baseline)]),
      `  Parley ÷ baseline: throughput ${times(a.ratios.throughput)}, p50 ${times(a.ratios.p50)}, p99 ${times(a.ratios.p99)}`,
      `  brand calls per message: introspection ${n(a.brandCallsPerMessage.introspection, 2)}, userinfo ${n(a.brandCallsPerMessage.userinfo, 2)}`,
      `  store per message, Parley: ${storeFigures(a.store.parley, counted)}`,
      `  store per message, baseline: ${storeFigures(a.store.baseline, counted)}`,
      ...(a.store.parley.top.length
        ? [`  Parley's most frequent ${counted} per message:`, ...topStatements(a.store.parley)]
        : []),
      '',
    );
    columns.push({ name: 'a', usage: a.usage }, { name: 'a baseline', usage: a.baselineUsage });
  }
  if (report.b) {
    const { b } = report;
    const rates = [...new Set([...b.parley.steps, ...b.baseline.steps].map((step) => step.offeredRate))];
    const cell = (side: { steps: RunStats[]; store: StorePerMessage[] }, rate: number) => {
      const index = side.steps.findIndex((s) => s.offeredRate === rate);
      const step = side.steps[index];
      const store = side.store[index];
      return step
        ? [
            n(step.acceptedPerSecond, 1),
            n(step.delivered.p50),
            n(step.delivered.p99),
            errors(step.errors),
            n(store?.cpuMs, 2),
            n(store?.total, 1),
          ]
        : ['', '', '', 'not run', '', ''];
    };
    const storeHeader = ['store ms', counted === 'statements' ? 'stmts' : 'xacts'];
    const sustainable = (outcome: { sustainableRate: number | null; atLeast: boolean }) =>
      outcome.sustainableRate === null
        ? 'none'
        : `${outcome.atLeast ? '≥ ' : ''}${outcome.sustainableRate} msg/s`;
    out.push(
      `(b) ramp, ${report.options.stepDuration} s per step: sustainable = highest step with p99 ≤ ${b.p99LimitMs} ms and no errors`,
      formatTable([
        [
          'offered/s',
          'Parley acc/s',
          'p50',
          'p99',
          'errors',
          ...storeHeader,
          'baseline acc/s',
          'p50',
          'p99',
          'errors',
          ...storeHeader,
        ],
        ...rates.map((rate) => [String(rate), ...cell(b.parley, rate), ...cell(b.baseline, rate)]),
      ]),
      `  store ms, ${storeHeader[1]}: the store's CPU and ${counted} per accepted message`,
      `  sustainable: Parley ${sustainable(b.parley.outcome)}, baseline ${sustainable(b.baseline.outcome)}; Parley ÷ baseline ${b.baseline.outcome.atLeast ? '≤ ' : ''}${times(b.sustainableRatio)}`,
      '',
    );
    const last = b.parley.usage.length - 1;
    if (last >= 0)
      columns.push({ name: `b @${b.parley.steps[last]?.offeredRate}/s`, usage: b.parley.usage[last] ?? [] });
  }
  if (report.c) {
    const { c } = report;
    out.push(
      `(c) reconnect storm: ${c.devices} devices disconnect and reconnect at once (ms from reconnect)`,
      formatTable([
        ['', ...latencyHeader],
        ['ready', ...latency(c.ready)],
        ['sync (resumed)', ...latency(c.sync)],
      ]),
      `  all resumed after ${n(c.allSyncedMs)} ms; errors ${errors(c.errors)}; introspections per reconnect ${n(c.introspectionsPerReconnect, 2)}`,
      `  store per reconnect: ${storeFigures(c.storePerReconnect, counted)}`,
      `  target: all resumed within ${c.target.allSyncedMs} ms (${met(c.allSyncedMs !== null && c.allSyncedMs <= c.target.allSyncedMs)}), ${c.target.introspectionsPerReconnect} introspection per reconnect (${met(c.introspectionsPerReconnect !== null && c.introspectionsPerReconnect <= c.target.introspectionsPerReconnect)})`,
      '',
    );
    columns.push({ name: 'c', usage: c.usage });
  }
  if (report.d) {
    const { d } = report;
    out.push(
      `(d) one slow brand (customer data +${d.slowMs} ms) beside a fast one, ${report.options.rate} msg/s over both`,
      formatTable([runHeader, runRow('fast brand', d.fast), runRow('slow brand', d.slow)]),
      `  brand calls per message: fast ${n(d.brandCallsPerMessage.fast.introspection, 2)} + ${n(d.brandCallsPerMessage.fast.userinfo, 2)}, slow ${n(d.brandCallsPerMessage.slow.introspection, 2)} + ${n(d.brandCallsPerMessage.slow.userinfo, 2)} (introspection + userinfo)`,
      `  store per message: ${storeFigures(d.store, counted)}`,
      '',
    );
    columns.push({ name: 'd', usage: d.usage });
  }
  if (report.e) out.push(...idleMemoryLines(report.e), '');
  if (columns.length) out.push(usageTable(columns), '');
  const cpuRows: { name: string; cpu: CpuPerMessage }[] = [
    ...(report.a
      ? [
          { name: 'a Parley', cpu: report.a.cpuPerMessage.parley },
          { name: 'a baseline', cpu: report.a.cpuPerMessage.baseline },
        ]
      : []),
    ...(report.b?.parley.cpuPerMessage.map((cpu, index) => ({
      name: `b Parley ${report.b?.parley.steps[index]?.offeredRate}/s`,
      cpu,
    })) ?? []),
    ...(report.b?.baseline.cpuPerMessage.map((cpu, index) => ({
      name: `b baseline ${report.b?.baseline.steps[index]?.offeredRate}/s`,
      cpu,
    })) ?? []),
  ];
  if (cpuRows.length) out.push(cpuPerMessageTable(cpuRows), '');
  if (report.a?.ingressPods) out.push(ingressPodsTable(report.a.ingressPods), '');
  if (report.charts?.length) out.push(`Charts: ${report.charts.join(', ')}`, '');
  if (report.spans) out.push(spanTable(report.spans), '');
  if (report.profiles) {
    const hottest = report.profiles.byService[report.profiles.hottest];
    if (hottest) out.push(profileTable(report.profiles.hottest, hottest), '');
  }
  return out.join('\n');
}
