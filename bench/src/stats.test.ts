import { describe, expect, it } from 'vitest';
import type { MessageSample, RunResult } from './load-protocol.js';
import { percentile, perSecond, rampOutcome, ratio, runStats, summarize } from './stats.js';

describe('percentile (nearest rank)', () => {
  it('picks the smallest value with at least p% at or below it', () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2], 0)).toBe(1);
  });

  it('is null without values', () => {
    expect(percentile([], 50)).toBeNull();
  });
});

describe('summarize', () => {
  it('sorts, then gives p50/p95/p99/max/mean', () => {
    expect(summarize([30, 10, 20, 40])).toEqual({ count: 4, p50: 20, p95: 40, p99: 40, max: 40, mean: 25 });
  });

  it('is all null for nothing measured', () => {
    expect(summarize([])).toEqual({ count: 0, p50: null, p95: null, p99: null, max: null, mean: null });
  });
});

describe('perSecond', () => {
  it('buckets points by whole seconds after the origin, in order, leaving empty seconds out', () => {
    const origin = 1_000_000;
    const buckets = perSecond(
      [
        { at: origin + 2500, ms: 9 },
        { at: origin + 100, ms: 10 },
        { at: origin + 900, ms: 30 },
        { at: origin + 999, ms: 20 },
      ],
      origin,
    );
    expect(buckets).toEqual([
      { second: 0, count: 3, p50: 20, p95: 30, p99: 30 },
      { second: 2, count: 1, p50: 9, p95: 9, p99: 9 },
    ]);
  });
});

function run(samples: MessageSample[], errors: Record<string, number> = {}): RunResult {
  return { label: 'a', rate: 4, startedAt: 0, sendingEndedAt: 1000, samples, errors };
}
const done = (ms: number, brand: 'fast' | 'slow' = 'fast'): MessageSample => ({
  sentAt: 0,
  brand,
  ackMs: ms / 4,
  deliveredMs: ms,
  enrichedMs: ms / 2,
});

describe('runStats', () => {
  it('measures accepted/s and latencies, and counts what never arrived by code', () => {
    const stats = runStats(
      run(
        [
          done(100),
          done(200),
          { sentAt: 0, brand: 'fast', ackMs: 5, enrichedMs: 50 },
          { sentAt: 0, brand: 'fast' },
          { sentAt: 0, brand: 'fast', error: 'auth_unavailable' },
        ],
        { socket_closed_1006: 1 },
      ),
    );
    expect(stats).toMatchObject({
      sent: 5,
      accepted: 3,
      acceptedPerSecond: 3,
      delivered: { count: 2, p50: 100, max: 200 },
      errors: { socket_closed_1006: 1, not_delivered: 1, no_ack: 1, auth_unavailable: 1 },
      errorCount: 4,
    });
  });

  it('separates the brands', () => {
    const result = run([done(10, 'fast'), done(600, 'slow'), done(700, 'slow')], { socket_closed_1006: 1 });
    expect(runStats(result, 'slow')).toMatchObject({
      label: 'a (slow brand)',
      sent: 2,
      delivered: { p50: 600 },
    });
    // Errors not tied to a message belong to the run, not to a brand.
    expect(runStats(result, 'fast').errorCount).toBe(0);
  });
});

describe('rampOutcome', () => {
  const step = (offeredRate: number, p99: number | null, errorCount = 0) =>
    ({ ...runStats(run([])), offeredRate, errorCount, delivered: { ...summarize([]), p99 } }) as ReturnType<
      typeof runStats
    >;

  it('is the highest step before the first one over the limit or with errors', () => {
    expect(rampOutcome([step(25, 40), step(50, 90), step(100, 400)], 250)).toEqual({
      sustainableRate: 50,
      atLeast: false,
    });
    expect(rampOutcome([step(25, 40), step(50, 90, 1)], 250)).toEqual({
      sustainableRate: 25,
      atLeast: false,
    });
  });

  it('says "at least" when every step passed, and none when the first failed', () => {
    expect(rampOutcome([step(25, 40), step(50, 90)], 250)).toEqual({ sustainableRate: 50, atLeast: true });
    expect(rampOutcome([step(25, 300)], 250)).toEqual({ sustainableRate: null, atLeast: false });
    expect(rampOutcome([step(25, null)], 250)).toEqual({ sustainableRate: null, atLeast: false });
  });
});

describe('ratio', () => {
  it('divides, or is null when a side is missing or zero', () => {
    expect(ratio(30, 10)).toBe(3);
    expect(ratio(null, 10)).toBeNull();
    expect(ratio(10, 0)).toBeNull();
  });
});
