import type { BrandLabel, RunResult } from './load-protocol.js';

/** Percentiles of a set of latencies in ms; `null` where there was nothing to measure. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

/**
 * The nearest-rank percentile of ascending `sorted` values (`p` from 0 to 100): the smallest value
 * with at least p% of the values at or below it. `null` for no values.
 *
 * @example
 * percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** p50/p95/p99/max/mean of latencies given in any order. */
export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : null,
    mean: sorted.length ? sorted.reduce((sum, value) => sum + value, 0) / sorted.length : null,
  };
}

export interface SecondBucket {
  /** Whole seconds after `origin`. */
  readonly second: number;
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/** Latency percentiles per second of `at` (epoch ms) after `origin`; empty seconds are left out. */
export function perSecond(points: readonly { at: number; ms: number }[], origin: number): SecondBucket[] {
  const buckets = new Map<number, number[]>();
  for (const point of points) {
    const second = Math.floor((point.at - origin) / 1000);
    const bucket = buckets.get(second) ?? [];
    bucket.push(point.ms);
    buckets.set(second, bucket);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([second, values]) => {
      const summary = summarize(values);
      return {
        second,
        count: summary.count,
        p50: summary.p50 as number,
        p95: summary.p95 as number,
        p99: summary.p99 as number,
      };
    });
}

export interface RunStats {
  readonly label: string;
  readonly offeredRate: number;
  readonly seconds: number;
  readonly sent: number;
  readonly accepted: number;
  /** Acknowledged messages per second of sending. */
  readonly acceptedPerSecond: number;
  readonly ack: LatencySummary;
  readonly delivered: LatencySummary;
  readonly enriched: LatencySummary;
  /** By code: error frames, and messages never acknowledged, delivered or enriched in time. */
  readonly errors: Readonly<Record<string, number>>;
  readonly errorCount: number;
}

function count(errors: Record<string, number>, code: string, by = 1) {
  errors[code] = (errors[code] ?? 0) + by;
}

/** The measures of one run, optionally only of one brand's customers. */
export function runStats(run: RunResult, brand?: BrandLabel): RunStats {
  const samples = brand ? run.samples.filter((sample) => sample.brand === brand) : run.samples;
  const errors: Record<string, number> = {};
  if (!brand) for (const [code, n] of Object.entries(run.errors)) count(errors, code, n);
  const pick = (field: 'ackMs' | 'deliveredMs' | 'enrichedMs') =>
    samples.flatMap((sample) => (sample[field] === undefined ? [] : [sample[field] as number]));
  for (const sample of samples) {
    if (sample.error) count(errors, sample.error);
    else if (sample.ackMs === undefined) count(errors, 'no_ack');
    else {
      if (sample.deliveredMs === undefined) count(errors, 'not_delivered');
      if (sample.enrichedMs === undefined) count(errors, 'not_enriched');
    }
  }
  const seconds = Math.max(0.001, (run.sendingEndedAt - run.startedAt) / 1000);
  const accepted = pick('ackMs').length;
  return {
    label: brand ? `${run.label} (${brand} brand)` : run.label,
    offeredRate: run.rate,
    seconds,
    sent: samples.length,
    accepted,
    acceptedPerSecond: accepted / seconds,
    ack: summarize(pick('ackMs')),
    delivered: summarize(pick('deliveredMs')),
    enriched: summarize(pick('enrichedMs')),
    errors,
    errorCount: Object.values(errors).reduce((sum, n) => sum + n, 0),
  };
}

/** Delivered latency points of a run for per-second charts. */
export function deliveredPoints(run: RunResult): { at: number; ms: number }[] {
  return run.samples.flatMap((sample) =>
    sample.deliveredMs === undefined ? [] : [{ at: sample.sentAt, ms: sample.deliveredMs }],
  );
}

export interface RampOutcome {
  /** The highest offered rate whose step met the limit with no errors; null if none did. */
  readonly sustainableRate: number | null;
  /** True when every step passed: the real limit is higher than the ramp went. */
  readonly atLeast: boolean;
}

/** Judges ramp steps in order; the first failing step ends the ramp (later ones are not run). */
export function rampOutcome(steps: readonly RunStats[], p99LimitMs: number): RampOutcome {
  let sustainableRate: number | null = null;
  for (const step of steps) {
    if (!stepPasses(step, p99LimitMs)) return { sustainableRate, atLeast: false };
    sustainableRate = step.offeredRate;
  }
  return { sustainableRate, atLeast: steps.length > 0 };
}

export function stepPasses(step: RunStats, p99LimitMs: number): boolean {
  return step.errorCount === 0 && step.delivered.p99 !== null && step.delivered.p99 <= p99LimitMs;
}

/** `a ÷ b`, or null when either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return a / b;
}
