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
    /** Store commands per accepted message, by command (local FerretDB; includes others' use). */
    readonly storeCommandsPerMessage: { parley?: Record<string, number>; baseline?: Record<string, number> };
    readonly usage: readonly ProcessUsage[];
    readonly baselineUsage: readonly ProcessUsage[];
  };
  readonly b?: {
    readonly p99LimitMs: number;
    readonly parley: { steps: RunStats[]; outcome: RampOutcome; usage: (readonly ProcessUsage[])[] };
    readonly baseline: { steps: RunStats[]; outcome: RampOutcome };
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
    readonly usage: readonly ProcessUsage[];
  };
  readonly d?: {
    readonly slowMs: number;
    readonly fast: RunStats;
    readonly slow: RunStats;
    readonly brandCallsPerMessage: { fast: PerMessage; slow: PerMessage };
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

function perMessageCommands(commands: Readonly<Record<string, number>> | undefined, messages: number) {
  if (!commands || messages === 0) return undefined;
  return Object.fromEntries(
    Object.entries(commands)
      .sort(([, a], [, b]) => b - a)
      .map(([command, count]) => [command, count / messages]),
  );
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
      storeCommandsPerMessage: {
        parley: perMessageCommands(results.a.parley.storeCommands, parley.accepted),
        baseline: perMessageCommands(results.a.baseline.storeCommands, baseline.accepted),
      },
      usage: results.a.parley.usage,
      baselineUsage: results.a.baseline.usage,
    };
  }
  if (results.b) {
    const steps = (runs: Measured<RunResult>[]) => runs.map((run) => runStats(run.value));
    const parley = steps(results.b.parley);
    const baseline = steps(results.b.baseline);
    const parleyOutcome = rampOutcome(parley, options.p99LimitMs);
    const baselineOutcome = rampOutcome(baseline, options.p99LimitMs);
    report.b = {
      p99LimitMs: options.p99LimitMs,
      parley: { steps: parley, outcome: parleyOutcome, usage: results.b.parley.map((run) => run.usage) },
      baseline: { steps: baseline, outcome: baselineOutcome },
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
      usage: results.d.usage,
    };
  }
  return report;
}
