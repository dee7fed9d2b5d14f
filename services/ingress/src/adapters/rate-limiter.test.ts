import { describe, expect, it } from 'vitest';
import { createRateLimiter, ipRateLimitKey } from './rate-limiter.js';

describe('the fixed-window rate limiter', () => {
  it('refuses past the limit and allows again in the next window', () => {
    let time = 0;
    const limiter = createRateLimiter({ limit: 2, windowMs: 1000, now: () => time });
    expect(limiter.take('a')).toEqual({ allowed: true });
    expect(limiter.take('a')).toEqual({ allowed: true });
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    time = 1000;
    expect(limiter.take('a')).toEqual({ allowed: true });
  });

  it('keeps a used-up window while a flood of new keys fills the map', () => {
    let time = 0;
    const limiter = createRateLimiter({ limit: 2, windowMs: 60_000, now: () => time, maxKeys: 10 });
    limiter.take('victim');
    limiter.take('victim');
    expect(limiter.take('victim').allowed).toBe(false);
    for (let i = 0; i < 100; i += 1) limiter.take(`flood-${i}`);
    // The flood must not have reset the used-up window.
    expect(limiter.take('victim').allowed).toBe(false);
    time = 60_000;
    expect(limiter.take('victim').allowed).toBe(true);
  });

  it('counts new keys past the bound in one shared window, and frees expired windows first', () => {
    let time = 0;
    const limiter = createRateLimiter({ limit: 3, windowMs: 60_000, now: () => time, maxKeys: 2 });
    limiter.take('a');
    limiter.take('b');
    // Full of live windows: newcomers share one window of `limit`.
    expect(limiter.take('c').allowed).toBe(true);
    expect(limiter.take('d').allowed).toBe(true);
    expect(limiter.take('e').allowed).toBe(true);
    expect(limiter.take('f').allowed).toBe(false);
    // Once the windows expire, a newcomer gets its own again.
    time = 60_000;
    expect(limiter.take('f')).toEqual({ allowed: true });
    expect(limiter.take('a')).toEqual({ allowed: true });
  });
});

describe('the per-IP rate-limit key', () => {
  it('keys an IPv6 address by its /64 (or the configured prefix)', () => {
    const a = ipRateLimitKey('2001:db8:1:2:aaaa::1', 64);
    expect(ipRateLimitKey('2001:db8:1:2:ffff:ffff:ffff:ffff', 64)).toBe(a);
    expect(ipRateLimitKey('2001:0db8:0001:0002::9', 64)).toBe(a);
    expect(ipRateLimitKey('2001:db8:1:3::1', 64)).not.toBe(a);
    expect(ipRateLimitKey('2001:db8:1:3::1', 48)).toBe(ipRateLimitKey('2001:db8:1:2::1', 48));
    expect(ipRateLimitKey('2001:db8::1', 128)).not.toBe(ipRateLimitKey('2001:db8::2', 128));
  });

  it('keys IPv4 (mapped into IPv6 or not) by the whole address', () => {
    expect(ipRateLimitKey('192.0.2.1', 64)).toBe('192.0.2.1');
    expect(ipRateLimitKey('::ffff:192.0.2.1', 64)).toBe('192.0.2.1');
    expect(ipRateLimitKey('192.0.2.2', 64)).not.toBe(ipRateLimitKey('192.0.2.1', 64));
  });
});
