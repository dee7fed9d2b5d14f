import type { ProfileSummary } from './cpu-profile.js';
import type { BenchOptions } from './flags.js';
import { type IngressPodsReport, ingressPodsReport } from './ingress-pods.js';
import type { RunResult } from './load-protocol.js';
import type { ProcessUsage } from './process-sampler.js';
import type { BrandCalls, IdleMemory, Measured, ScenarioResults } from './scenarios.js';
import type { SpanBreakdown } from './span-breakdown.js';
import {
  type LatencySummary,
  type RampOutcome,
  type RunStats,
  rampOutcome,
  ratio,
  runStats,
  summarize,
} from './stats.js';

/** Everything a run measured, as written to `report.json` (and printed as a table). */
export interface BenchReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly options: Omit<BenchOptions, 'scenarios'> & { scenarios: string[] };
  readonly machine: { cpus: number; cpuModel: string; node: string; loadAverage: number[] };
  readonly infrastructure: string;
  /** What the store's figures count: statements (pg_stat_statements) or, as a fallback, transactions. */
  readonly store: { readonly counted: 'statements' | 'transactions'; readonly notes: readonly string[] };
  readonly warnings: readonly string[];
  readonly brandRtt: {
    readonly idle?: { introspection: LatencySummary; userinfo: LatencySummary };
    /** During the baseline's steady run (a), i.e. under the same rate as Parley's. */
    readonly underLoad?: { introspection: LatencySummary; userinfo: LatencySummary };
  };
  readonly a?: {
    readonly parley: RunStats;
    readonly baseline: RunStats;
    /** Parley ÷ baseline: accepted msg/s, and send → delivered (baseline: → stored) p50/p99. */
    readonly ratios: { throughput: number | null; p50: number | null; p99: number | null };
    readonly brandCallsPerMessage: PerMessage;
    readonly store: { readonly parley: StorePerMessage; readonly baseline: StorePerMessage };
    readonly usage: readonly ProcessUsage[];
    readonly baselineUsage: readonly ProcessUsage[];
    readonly cpuPerMessage: { readonly parley: CpuPerMessage; readonly baseline: CpuPerMessage };
    /** Each ingress pod's CPU and deliveries (with `--ingress-pods`, one row per pod; also for 1). */
    readonly ingressPods?: IngressPodsReport;
  };
  readonly b?: {
    readonly p99LimitMs: number;
    readonly parley: {
      steps: RunStats[];
      outcome: RampOutcome;
      usage: (readonly ProcessUsage[])[];
      store: StorePerMessage[];
      cpuPerMessage: CpuPerMessage[];
    };
    readonly baseline: {
      steps: RunStats[];
      outcome: RampOutcome;
      store: StorePerMessage[];
      cpuPerMessage: CpuPerMessage[];
    };
    /** Parley's sustainable rate ÷ the baseline's (an upper bound when the baseline never failed). */
    readonly sustainableRatio: number | null;
  };
  readonly c?: {
    readonly devices: number;
    readonly ready: LatencySummary;
    readonly sync: LatencySummary;
    readonly allSyncedMs: number | null;
    readonly errors: Readonly<Record<string, number>>;
    readonly introspectionsPerReconnect: number | null;
    /** The store's work per reconnecting device. */
    readonly storePerReconnect: StorePerMessage;
    readonly usage: readonly ProcessUsage[];
    /** The storm's targets: everyone resumed within `allSyncedMs`, with one introspection each. */
    readonly target: { readonly allSyncedMs: number; readonly introspectionsPerReconnect: number };
  };
  readonly d?: {
    readonly slowMs: number;
    readonly fast: RunStats;
    readonly slow: RunStats;
    readonly brandCallsPerMessage: { fast: PerMessage; slow: PerMessage };
    readonly store: StorePerMessage;
    readonly usage: readonly ProcessUsage[];
  };
  readonly e?: IdleMemoryReport;
  profiles?: { hottest: string; byService: Record<string, ProfileSummary> };
  /** Time per hop per message from the services' spans (`--spans`), over the whole run. */
  spans?: SpanBreakdown;
  /** Chart files written beside report.json. */
  charts?: string[];
}

/** Scenario e: ingress's memory per idle stream. */
export interface IdleMemoryReport {
  readonly requested: number;
  readonly opened: number;
  readonly forcedGc: boolean;
  /** Medians of the samples before and after, MB. */
  readonly before: { readonly rssMb: number; readonly heapUsedMb: number | null };
  readonly after: { readonly rssMb: number; readonly heapUsedMb: number | null };
  /** (after − before) ÷ streams opened, KB (1024 bytes). */
  readonly perStreamKb: { readonly rss: number | null; readonly heapUsed: number | null };
  readonly targetKb: number;
  readonly errors: Readonly<Record<string, number>>;
}

/** The targets scenarios c and e are read against. */
export const targets = { stormAllSyncedMs: 5000, introspectionsPerReconnect: 1, idleStreamKb: 30 } as const;

/** Parley's services among the sampled processes; the rest (brands, Kafka, store) serve both sides. */
export const parleyServices: readonly string[] = ['ingress', 'auth', 'enrichment', 'history', 'integrations'];

/** The service a sampled process runs: `ingress-2` (the second ingress pod) is `ingress`. */
const serviceOf = (name: string) => name.replace(/-\d+$/, '');

/** CPU time per accepted message of one measurement, ms. */
export interface CpuPerMessage {
  /** By sampled process; null where it was not measured or nothing was accepted. */
  readonly byProcess: Readonly<Record<string, number | null>>;
  /** The measured side's own work: Parley's services summed, or the baseline process. */
  readonly own: number | null;
}

/**
 * CPU seconds each process used during a measurement ÷ the messages it accepted, in ms.
 *
 * @example
 * cpuPerMessage([{ name: 'ingress', cpuSeconds: 2, ... }], 1000, 'parley').byProcess.ingress // 2
 */
export function cpuPerMessage(
  usage: readonly ProcessUsage[],
  accepted: number,
  who: 'parley' | 'baseline',
): CpuPerMessage {
  const ms = (seconds: number | null) => (seconds === null ? null : ratio(seconds * 1000, accepted));
  const byProcess = Object.fromEntries(usage.map((entry) => [entry.name, ms(entry.cpuSeconds)]));
  const own = usage.filter((entry) =>
    who === 'parley' ? parleyServices.includes(serviceOf(entry.name)) : entry.name === 'baseline',
  );
  const measured = own.length > 0 && own.every((entry) => entry.cpuSeconds !== null);
  return {
    byProcess,
    own: measured ? ms(own.reduce((sum, entry) => sum + (entry.cpuSeconds ?? 0), 0)) : null,
  };
}

const mb = (bytes: number) => bytes / 1024 / 1024;

function idleMemoryReport(e: IdleMemory): IdleMemoryReport {
  const { memory } = e;
  const kb = (bytes: number | null) => (bytes === null ? null : bytes / 1024);
  return {
    requested: e.requested,
    opened: memory.connections,
    forcedGc: e.forcedGc,
    before: {
      rssMb: mb(memory.before.rssBytes),
      heapUsedMb: memory.before.heapUsedBytes === null ? null : mb(memory.before.heapUsedBytes),
    },
    after: {
      rssMb: mb(memory.after.rssBytes),
      heapUsedMb: memory.after.heapUsedBytes === null ? null : mb(memory.after.heapUsedBytes),
    },
    perStreamKb: { rss: kb(memory.rssBytes), heapUsed: kb(memory.heapUsedBytes) },
    targetKb: targets.idleStreamKb,
    errors: e.errors,
  };
}

export interface PerMessage {
  readonly introspection: number | null;
  readonly userinfo: number | null;
}

const perMessage = (calls: BrandCalls | undefined, messages: number): PerMessage => ({
  introspection: calls ? ratio(calls.introspection, messages) : null,
  userinfo: calls ? ratio(calls.userinfo, messages) : null,
});

/** The store's work during one measurement ÷ the messages it accepted. */
export interface StorePerMessage {
  /** CPU of the PostgreSQL server and its workers, ms; null when it is not a process of this machine. */
  readonly cpuMs: number | null;
  /** Statements (transactions on the fallback) of the party measured; null when not counted. */
  readonly total: number | null;
  /** By service (`auth`, `history`, `ingress`), or `baseline`, or `database` on the fallback. */
  readonly byService: Readonly<Record<string, number>>;
  readonly top: readonly { readonly service: string; readonly query: string; readonly perMessage: number }[];
}

/**
 * Per message of `who`: Parley's services' statements during a Parley measurement, the baseline's
 * own during the baseline's (the idle services' background statements are left out of both).
 */
export function storePerMessage(
  measured: Pick<Measured<unknown>, 'store' | 'usage'>,
  messages: number,
  who: 'parley' | 'baseline',
): StorePerMessage {
  const cpuSeconds = measured.usage.find((usage) => usage.name === 'postgres')?.cpuSeconds;
  const cpuMs = cpuSeconds === null || cpuSeconds === undefined ? null : ratio(cpuSeconds * 1000, messages);
  const { store } = measured;
  if (!store || messages === 0) return { cpuMs, total: null, byService: {}, top: [] };
  const counted = (service: string) =>
    service === 'database' || (who === 'baseline' ? service === 'baseline' : service !== 'baseline');
  const byService = Object.fromEntries(
    Object.entries(store.counts)
      .filter(([service]) => counted(service))
      .sort(([, a], [, b]) => b - a)
      .map(([service, count]) => [service, count / messages]),
  );
  return {
    cpuMs,
    total: Object.values(byService).reduce((sum, count) => sum + count, 0),
    byService,
    top: store.top
      .filter((statement) => counted(statement.service))
      .map(({ service, query, calls }) => ({ service, query, perMessage: calls / messages })),
  };
}

const rtt = (values: { introspection: readonly number[]; userinfo: readonly number[] }) => ({
  introspection: summarize(values.introspection),
  userinfo: summarize(values.userinfo),
});

/** The report of a run from what its scenarios measured. */
export function buildReport(input: {
  options: BenchOptions;
  results: ScenarioResults;
  startedAt: Date;
  finishedAt: Date;
  machine: BenchReport['machine'];
  infrastructure: string;
  store: BenchReport['store'];
  warnings: readonly string[];
  /** The ingress pods by sampler name, with the device streams the load generator holds on each. */
  ingressPods?: readonly { name: string; sockets: number }[];
}): BenchReport {
  const { options, results } = input;
  const measurements: { label: string; backlogAtStart: number }[] = [
    ...(results.a ? [results.a.parley, results.a.baseline] : []),
    ...(results.b ? [...results.b.parley, ...results.b.baseline] : []),
    ...(results.d ? [results.d] : []),
  ].map((measured) => ({ label: measured.value.label, backlogAtStart: measured.backlogAtStart }));
  if (results.c) measurements.push({ label: 'c', backlogAtStart: results.c.backlogAtStart });
  const backlogWarnings = measurements
    .filter((measured) => measured.backlogAtStart > 0)
    .map(
      (measured) =>
        `${measured.label} started with ${measured.backlogAtStart} records still in the pipeline from the previous measurement (it ran at the same time)`,
    );
  const report: { -readonly [K in keyof BenchReport]: BenchReport[K] } = {
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    options: { ...options, scenarios: [...options.scenarios] },
    machine: input.machine,
    infrastructure: input.infrastructure,
    store: input.store,
    warnings: [...input.warnings, ...backlogWarnings],
    brandRtt: {
      ...(results.idleBrandRtt ? { idle: rtt(results.idleBrandRtt) } : {}),
      ...(results.a?.baseline.value.brandRtt ? { underLoad: rtt(results.a.baseline.value.brandRtt) } : {}),
    },
  };
  if (results.a) {
    const parley = runStats(results.a.parley.value);
    const baseline = runStats(results.a.baseline.value);
    report.a = {
      parley,
      baseline,
      ratios: {
        throughput: ratio(parley.acceptedPerSecond, baseline.acceptedPerSecond),
        p50: ratio(parley.delivered.p50, baseline.delivered.p50),
        p99: ratio(parley.delivered.p99, baseline.delivered.p99),
      },
      brandCallsPerMessage: perMessage(results.a.parley.calls.fast, parley.accepted),
      store: {
        parley: storePerMessage(results.a.parley, parley.accepted, 'parley'),
        baseline: storePerMessage(results.a.baseline, baseline.accepted, 'baseline'),
      },
      usage: results.a.parley.usage,
      baselineUsage: results.a.baseline.usage,
      cpuPerMessage: {
        parley: cpuPerMessage(results.a.parley.usage, parley.accepted, 'parley'),
        baseline: cpuPerMessage(results.a.baseline.usage, baseline.accepted, 'baseline'),
      },
      ...(input.ingressPods
        ? {
            ingressPods: ingressPodsReport({
              pods: input.ingressPods,
              usage: results.a.parley.usage,
              idleUsage: results.a.baseline.usage,
              deliveries: results.a.parley.deliveries,
              accepted: parley.accepted,
            }),
          }
        : {}),
    };
  }
  if (results.b) {
    const steps = (runs: Measured<RunResult>[]) => runs.map((run) => runStats(run.value));
    const store = (runs: Measured<RunResult>[], stats: RunStats[], who: 'parley' | 'baseline') =>
      runs.map((run, index) => storePerMessage(run, stats[index]?.accepted ?? 0, who));
    const parley = steps(results.b.parley);
    const baseline = steps(results.b.baseline);
    const cpu = (runs: Measured<RunResult>[], stats: RunStats[], who: 'parley' | 'baseline') =>
      runs.map((run, index) => cpuPerMessage(run.usage, stats[index]?.accepted ?? 0, who));
    const parleyOutcome = rampOutcome(parley, options.p99LimitMs);
    const baselineOutcome = rampOutcome(baseline, options.p99LimitMs);
    report.b = {
      p99LimitMs: options.p99LimitMs,
      parley: {
        steps: parley,
        outcome: parleyOutcome,
        usage: results.b.parley.map((run) => run.usage),
        store: store(results.b.parley, parley, 'parley'),
        cpuPerMessage: cpu(results.b.parley, parley, 'parley'),
      },
      baseline: {
        steps: baseline,
        outcome: baselineOutcome,
        store: store(results.b.baseline, baseline, 'baseline'),
        cpuPerMessage: cpu(results.b.baseline, baseline, 'baseline'),
      },
      sustainableRatio: ratio(parleyOutcome.sustainableRate, baselineOutcome.sustainableRate),
    };
  }
  if (results.c) {
    const storm = results.c.value;
    report.c = {
      devices: storm.devices,
      ready: summarize(storm.readyMs),
      sync: summarize(storm.syncMs),
      allSyncedMs: storm.allSyncedMs,
      errors: storm.errors,
      introspectionsPerReconnect: ratio(
        Object.values(results.c.calls).reduce((sum, calls) => sum + calls.introspection, 0),
        storm.devices,
      ),
      storePerReconnect: storePerMessage(results.c, storm.devices, 'parley'),
      usage: results.c.usage,
      target: {
        allSyncedMs: targets.stormAllSyncedMs,
        introspectionsPerReconnect: targets.introspectionsPerReconnect,
      },
    };
  }
  if (results.d) {
    const fast = runStats(results.d.value, 'fast');
    const slow = runStats(results.d.value, 'slow');
    report.d = {
      slowMs: options.slowMs,
      fast,
      slow,
      brandCallsPerMessage: {
        fast: perMessage(results.d.calls.fast, fast.accepted),
        slow: perMessage(results.d.calls.slow, slow.accepted),
      },
      store: storePerMessage(results.d, runStats(results.d.value).accepted, 'parley'),
      usage: results.d.usage,
    };
  }
  if (results.e) report.e = idleMemoryReport(results.e);
  return report;
}
