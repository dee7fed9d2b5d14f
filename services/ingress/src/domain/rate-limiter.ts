export interface RateLimiter {
  /** Takes one request for `key`; when refused, says after how many seconds to retry. */
  take(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number };
}

/**
 * A fixed-window limit per key (session, IP), kept in this process: each ingress pod enforces its
 * share, which bounds abuse without a shared store on the hot path.
 */
export function createRateLimiter(options: {
  limit: number;
  windowMs: number;
  now?: () => number;
  maxKeys?: number;
}): RateLimiter {
  const { limit, windowMs, now = Date.now, maxKeys = 100_000 } = options;
  const windows = new Map<string, { start: number; count: number }>();
  return {
    take(key) {
      const time = now();
      let window = windows.get(key);
      if (!window || time - window.start >= windowMs) {
        // Bounded memory: when full, forget the oldest windows (Map keeps insertion order).
        if (!window && windows.size >= maxKeys) {
          for (const oldest of windows.keys()) {
            windows.delete(oldest);
            if (windows.size < maxKeys * 0.9) break;
          }
        }
        window = { start: time, count: 0 };
        windows.delete(key);
        windows.set(key, window);
      }
      window.count += 1;
      if (window.count <= limit) return { allowed: true };
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((window.start + windowMs - time) / 1000)),
      };
    },
  };
}
