/**
 * The timers the client schedules reconnects, retries and heartbeats with; injectable for tests.
 *
 * @example
 * const timers: Timers = { setTimeout: (run, ms) => setTimeout(run, ms), clearTimeout: (h) => clearTimeout(h as number) };
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The platform's timers, looked up at each call (so test runners that replace them still work). */
export const platformTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};

/** How retries and reconnects wait: exponential backoff with full jitter. */
export interface BackoffPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly random: () => number;
}

/**
 * The delay before retry number `attempt` (0 first): a random point in
 * `[0, min(maxDelayMs, initialDelayMs · 2^attempt))` — full jitter, so many clients cut off at once
 * do not come back at once.
 *
 * @example
 * backoffDelay(3, { initialDelayMs: 1000, maxDelayMs: 30_000, random: Math.random }); // 0…8000
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(policy.random() * ceiling);
}

/** Resolves after `ms` on the given timers. */
export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => {
    timers.setTimeout(resolve, ms);
  });
}
