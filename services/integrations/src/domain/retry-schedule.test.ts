import { describe, expect, it } from 'vitest';
import {
  afterFailure,
  defaultRetryPolicy,
  formatDuration,
  isDelivered,
  outcomeOf,
  retryCeilingMs,
} from './retry-schedule.js';

const start = new Date('2025-01-01T00:00:00Z');
const after = (ms: number) => new Date(start.getTime() + ms);
const second = 1000;
const hour = 3_600_000;

describe('retry schedule', () => {
  it('doubles the ceiling from 10 s per failed attempt up to 6 h (the table in docs/integrations.md)', () => {
    const ceilings = Array.from({ length: 14 }, (_, i) => retryCeilingMs(defaultRetryPolicy, i + 1) / second);
    expect(ceilings).toEqual([10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240, 20480, 21600, 21600]);
    expect(retryCeilingMs(defaultRetryPolicy, 5000)).toBe(6 * hour);
  });

  it('waits a random time between 0 and the ceiling (full jitter)', () => {
    const attempt = { failedAttempts: 3, seriesStartedAt: start, at: after(60 * second) };
    expect(afterFailure(defaultRetryPolicy, attempt, () => 0)).toEqual({
      kind: 'retry',
      nextAttemptAt: after(60 * second),
    });
    expect(afterFailure(defaultRetryPolicy, attempt, () => 0.5)).toEqual({
      kind: 'retry',
      nextAttemptAt: after(80 * second),
    });
    expect(afterFailure(defaultRetryPolicy, attempt, () => 0.999_999)).toEqual({
      kind: 'retry',
      nextAttemptAt: after(60 * second + 39_999),
    });
  });

  it('tries a last time at the end of the 24 h window, then fails the delivery', () => {
    const late = { failedAttempts: 15, seriesStartedAt: start, at: after(23 * hour) };
    expect(afterFailure(defaultRetryPolicy, late, () => 0.9)).toEqual({
      kind: 'retry',
      nextAttemptAt: after(24 * hour),
    });
    expect(afterFailure(defaultRetryPolicy, { ...late, at: after(24 * hour) }, () => 0)).toEqual({
      kind: 'failed',
    });
  });

  it('spans about a day when every attempt fails: attempts counted with the mean wait', () => {
    let at = start;
    let failed = 0;
    for (;;) {
      failed += 1;
      const next = afterFailure(
        defaultRetryPolicy,
        { failedAttempts: failed, seriesStartedAt: start, at },
        () => 0.5,
      );
      if (next.kind !== 'retry') break;
      at = next.nextAttemptAt;
    }
    expect(at).toEqual(after(24 * hour));
    // 12 attempts in the first ~6 h as the ceiling grows, then one every ~3 h.
    expect(failed).toBe(20);
  });

  it('counts 2xx as delivered and anything else, or no answer, as a failure', () => {
    expect([200, 204, 299].every(isDelivered)).toBe(true);
    expect([null, 100, 301, 304, 400, 410, 429, 500, 503].some(isDelivered)).toBe(false);
  });

  it('gives a failed attempt the pause rule: pause when failing since the pause time ago', () => {
    const options = { policy: defaultRetryPolicy, pauseAfterMs: 24 * hour, random: () => 0 };
    const attempt = { at: after(hour), failedAttempts: 1, seriesStartedAt: start };
    expect(outcomeOf(options, { ...attempt, statusCode: 204, error: 'ignored' })).toEqual({
      at: after(hour),
      statusCode: 204,
      error: null,
      next: { kind: 'delivered' },
    });
    expect(outcomeOf(options, { ...attempt, statusCode: 500, error: 'HTTP 500' })).toEqual({
      at: after(hour),
      statusCode: 500,
      error: 'HTTP 500',
      next: { kind: 'retry', nextAttemptAt: after(hour) },
      pause: {
        pauseIfFailingSince: after(-23 * hour),
        reason:
          'no delivery attempt has succeeded for 24 h (last: HTTP 500); enable the subscription again to resume',
      },
    });
    expect(
      outcomeOf(options, { ...attempt, statusCode: null, error: 'timeout: no answer within 10000 ms' }).pause
        ?.reason,
    ).toContain('(last: timeout: no answer within 10000 ms)');
  });

  it('writes durations in the largest whole unit', () => {
    expect([24 * hour, 90 * 60_000, 30 * second, 1500].map(formatDuration)).toEqual([
      '24 h',
      '90 min',
      '30 s',
      '2 s',
    ]);
  });
});
