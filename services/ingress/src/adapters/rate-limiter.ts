import { isIPv4, isIPv6 } from 'node:net';
import type { RateLimiter } from '../domain/ports.js';

/**
 * A fixed-window limit per key (session, IP), kept in this process: each ingress pod enforces its
 * share, which bounds abuse without a shared store on the hot path.
 *
 * Memory is bounded by `maxKeys` without ever forgetting a live window: the map is in order of
 * window start (a renewed window moves to the end), so expired windows are dropped from the front;
 * while the map is still full of live windows, new keys share one overflow window of `limit`
 * (a flood of new keys slows newcomers for at most one window, and resets nobody's count).
 */
export function createRateLimiter(options: {
  limit: number;
  windowMs: number;
  now?: () => number;
  maxKeys?: number;
}): RateLimiter {
  const { limit, windowMs, now = Date.now, maxKeys = 100_000 } = options;
  const windows = new Map<string, { start: number; count: number }>();
  let overflow = { start: Number.NEGATIVE_INFINITY, count: 0 };

  function dropExpired(time: number) {
    for (const [key, window] of windows) {
      if (time - window.start < windowMs) break;
      windows.delete(key);
    }
  }

  function windowOf(key: string, time: number) {
    const window = windows.get(key);
    if (window && time - window.start < windowMs) return window;
    windows.delete(key);
    if (windows.size >= maxKeys) dropExpired(time);
    if (windows.size >= maxKeys) {
      if (time - overflow.start >= windowMs) overflow = { start: time, count: 0 };
      return overflow;
    }
    const fresh = { start: time, count: 0 };
    windows.set(key, fresh);
    return fresh;
  }

  return {
    take(key) {
      const time = now();
      const window = windowOf(key, time);
      window.count += 1;
      if (window.count <= limit) return { allowed: true };
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((window.start + windowMs - time) / 1000)),
      };
    },
  };
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail and a zone allowed). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0] as string;
  const lastColon = text.lastIndexOf(':');
  const ipv4Tail = text.slice(lastColon + 1);
  const embedded = isIPv4(ipv4Tail);
  // `::ffff:192.0.2.1` is read as `::ffff:0:0`, the IPv4 part put in the last two groups after.
  if (embedded) text = `${text.slice(0, lastColon)}:0:0`;
  const [head = '', tail] = text.split('::');
  const groupsOf = (part: string) =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const front = groupsOf(head);
  const back = tail === undefined ? [] : groupsOf(tail);
  const groups = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  if (embedded) {
    const [a, b, c, d] = ipv4Tail.split('.').map(Number) as [number, number, number, number];
    groups[6] = (a << 8) | b;
    groups[7] = (c << 8) | d;
  }
  return groups;
}

/**
 * The per-IP rate-limit key of a client address: an IPv4 address (also when mapped into IPv6) as it
 * is, an IPv6 address by its first `ipv6PrefixLength` bits — one subscriber usually holds a whole
 * /64, so keying the full address would give each of them 2^64 separate limits.
 *
 * @example
 * ipRateLimitKey('2001:db8:1:2::7', 64); // '2001:db8:1:2:0:0:0:0/64'
 */
export function ipRateLimitKey(address: string, ipv6PrefixLength: number): string {
  if (!isIPv6(address.split('%')[0] as string)) return address;
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff)
    return [groups[6] as number, groups[7] as number]
      .map((group) => `${group >> 8}.${group & 0xff}`)
      .join('.');
  const masked = groups.map((group, index) => {
    const bits = Math.min(16, Math.max(0, ipv6PrefixLength - index * 16));
    return bits === 0 ? 0 : group & ((0xffff << (16 - bits)) & 0xffff);
  });
  return `${masked.map((group) => group.toString(16)).join(':')}/${ipv6PrefixLength}`;
}
