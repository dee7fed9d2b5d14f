export interface HostLimiter {
  /**
   * Waits for one of the host's slots (at most `waitMs`, and no longer than `signal` lets it) and
   * returns its release; false when no slot came free in time or the signal fired first.
   */
  acquire(host: string, waitMs: number, signal?: AbortSignal): Promise<(() => void) | false>;
  /** Requests running and waiting for the host, for metrics. */
  load(host: string): { running: number; waiting: number };
}

/**
 * At most `maxPerHost` requests to one brand host at once, the rest waiting in order: a brand that
 * slows down is not hammered with ever more requests, and its backlog waits on its own slots
 * instead of everyone's.
 *
 * @example
 * const release = await limiter.acquire('brand.example', 3000);
 * if (!release) throw timeout; try { await call(); } finally { release(); }
 */
export function createHostLimiter(maxPerHost: number): HostLimiter {
  if (!Number.isInteger(maxPerHost) || maxPerHost < 1) {
    throw new RangeError(`maxPerHost must be a positive integer, got ${maxPerHost}`);
  }
  const hosts = new Map<string, { running: number; waiting: (() => void)[] }>();

  function release(host: string) {
    const state = hosts.get(host);
    if (!state) return;
    const next = state.waiting.shift();
    if (next) return next(); // the slot passes straight to the next waiter
    state.running -= 1;
    if (state.running === 0) hosts.delete(host);
  }

  return {
    async acquire(host, waitMs, signal) {
      if (signal?.aborted) return false;
      let state = hosts.get(host);
      if (!state) {
        state = { running: 0, waiting: [] };
        hosts.set(host, state);
      }
      const once = () => {
        let released = false;
        return () => {
          if (released) return;
          released = true;
          release(host);
        };
      };
      if (state.running < maxPerHost) {
        state.running += 1;
        return once();
      }
      const waiting = state.waiting;
      return new Promise((resolve) => {
        const granted = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', giveUp);
          resolve(once());
        };
        const giveUp = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', giveUp);
          const index = waiting.indexOf(granted);
          if (index !== -1) waiting.splice(index, 1);
          resolve(false);
        };
        const timer = setTimeout(giveUp, waitMs);
        signal?.addEventListener('abort', giveUp, { once: true });
        waiting.push(granted);
      });
    },
    load(host) {
      const state = hosts.get(host);
      return { running: state?.running ?? 0, waiting: state?.waiting.length ?? 0 };
    },
  };
}
