import type { AttemptOutcome } from './model.js';

/** How failed attempts are retried (docs/integrations.md, "Retries"). */
export interface RetryPolicy {
  /** Ceiling of the wait after the first failed attempt; doubled after each further one. */
  readonly baseDelayMs: number;
  /** The ceiling never exceeds this. */
  readonly maxDelayMs: number;
  /** Retries end this long after the series began; the delivery is then `failed`. */
  readonly windowMs: number;
}

const hour = 3_600_000;

export const defaultRetryPolicy: RetryPolicy = {
  baseDelayMs: 10_000, // 10 s
  maxDelayMs: 6 * hour,
  windowMs: 24 * hour,
};

/** The longest wait after the `failedAttempts`-th failed attempt: base × 2^(n−1), capped. */
export function retryCeilingMs(policy: RetryPolicy, failedAttempts: number): number {
  const exponent = Math.max(0, failedAttempts - 1);
  // 2^exponent overflows nothing below 2^1023; cap the exponent so the product stays finite.
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(exponent, 60));
}

/**
 * After a failed attempt: when to try again, or `failed` once the retry window is over. The wait
 * is a random time between 0 and the ceiling ("full jitter", so endpoints that failed together do
 * not get their retries together); the last retry falls at the window's end at the latest.
 *
 * @example
 * afterFailure(defaultRetryPolicy, { failedAttempts: 1, seriesStartedAt, at: new Date() });
 */
export function afterFailure(
  policy: RetryPolicy,
  attempt: { failedAttempts: number; seriesStartedAt: Date; at: Date },
  random: () => number = Math.random,
): AttemptOutcome['next'] {
  const windowEnds = attempt.seriesStartedAt.getTime() + policy.windowMs;
  if (attempt.at.getTime() >= windowEnds) return { kind: 'failed' };
  const wait = Math.floor(random() * retryCeilingMs(policy, attempt.failedAttempts));
  return { kind: 'retry', nextAttemptAt: new Date(Math.min(attempt.at.getTime() + wait, windowEnds)) };
}

/** What an attempt's answer means: 2xx is delivered, anything else (or no answer) is a failure. */
export function isDelivered(statusCode: number | null): boolean {
  return statusCode !== null && statusCode >= 200 && statusCode < 300;
}

/**
 * The pause rule: a subscription none of whose attempts has succeeded for `pauseAfterMs` is paused
 * at its next failed attempt, with a reason the admin sees.
 */
function pauseRule(
  pauseAfterMs: number,
  at: Date,
  lastFailure: string,
): NonNullable<AttemptOutcome['pause']> {
  return {
    pauseIfFailingSince: new Date(at.getTime() - pauseAfterMs),
    reason: `no delivery attempt has succeeded for ${formatDuration(pauseAfterMs)} (last: ${lastFailure}); enable the subscription again to resume`,
  };
}

/** `24 h`, `90 min`, `30 s`: the largest unit that divides the duration. */
export function formatDuration(ms: number): string {
  if (ms >= hour && ms % hour === 0) return `${ms / hour} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** The outcome of one attempt, with the retry schedule and the pause rule applied. */
export function outcomeOf(
  options: { policy: RetryPolicy; pauseAfterMs: number; random?: () => number },
  attempt: {
    at: Date;
    statusCode: number | null;
    error: string | null;
    failedAttempts: number;
    seriesStartedAt: Date;
  },
): AttemptOutcome {
  const { at, statusCode, error } = attempt;
  if (isDelivered(statusCode)) return { at, statusCode, error: null, next: { kind: 'delivered' } };
  const lastFailure = statusCode === null ? (error ?? 'no answer') : `HTTP ${statusCode}`;
  return {
    at,
    statusCode,
    error,
    next: afterFailure(options.policy, attempt, options.random),
    pause: pauseRule(options.pauseAfterMs, at, lastFailure),
  };
}
