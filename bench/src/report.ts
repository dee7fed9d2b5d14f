import type { ProfileSummary } from './cpu-profile.js';
import type { BenchOptions } from './flags.js';
import type { RunResult } from './load-protocol.js';
import type { ProcessUsage } from './process-sampler.js';
import type { BrandCalls, Measured, ScenarioResults } from './scenarios.js';
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
  };
  readonly b?: {
    readonly p99LimitMs: number;
    readonly parley: {
      steps: RunStats[];
      outcome: RampOutcome;
      usage: (readonly ProcessUsage[])[];
      store: StorePerMessage[];
    };
    readonly baseline: { steps: RunStats[]; outcome: RampOutcome; store: StorePerMessage[] };
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
  };
  readonly d?: {
    readonly slowMs: number;
    readonly fast: RunStats;
    readonly slow: RunStats;
    readonly brandCallsPerMessage: { fast: PerMessage; slow: PerMessage };
    readonly store: StorePerMessage;
    readonly usage: readonly ProcessUsage[];
  };
  profiles?: { hottest: string; byService: Record<string, ProfileSummary> };
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
    };
  }
  if (results.b) {
    const steps = (runs: Measured<RunResult>[]) => runs.map((run) => runStats(run.value));
    const store = (runs: Measured<RunResult>[], stats: RunStats[], who: 'parley' | 'baseline') =>
      runs.map((run, index) => storePerMessage(run, stats[index]?.accepted ?? 0, who));
    const parley = steps(results.b.parley);
    const baseline = steps(results.b.baseline);
    const parleyOutcome = rampOutcome(parley, options.p99LimitMs);
    const baselineOutcome = rampOutcome(baseline, options.p99LimitMs);
    report.b = {
      p99LimitMs: options.p99LimitMs,
      parley: {
        steps: parley,
        outcome: parleyOutcome,
        usage: results.b.parley.map((run) => run.usage),
        store: store(results.b.parley, parley, 'parley'),
      },
      baseline: {
        steps: baseline,
        outcome: baselineOutcome,
        store: store(results.b.baseline, baseline, 'baseline'),
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
  return report;
}
