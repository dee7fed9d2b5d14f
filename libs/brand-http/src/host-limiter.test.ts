import { describe, expect, it } from 'vitest';
import { createHostLimiter } from './host-limiter.js';

describe('host limiter', () => {
  it('lets at most the limit run per host, hands slots on in order, and leaves other hosts alone', async () => {
    const limiter = createHostLimiter(2);
    const first = await limiter.acquire('slow', 1000);
    const second = await limiter.acquire('slow', 1000);
    expect(first && second).toBeTruthy();
    const order: string[] = [];
    const third = limiter.acquire('slow', 1000).then((release) => {
      order.push('third');
      return release;
    });
    const fourth = limiter.acquire('slow', 1000).then((release) => {
      order.push('fourth');
      return release;
    });
    expect(limiter.load('slow')).toEqual({ running: 2, waiting: 2 });
    // Another host is not held back by the slow one.
    expect(await limiter.acquire('fast', 0)).toBeTypeOf('function');
    if (first) first();
    if (first) first(); // releasing twice frees one slot only
    expect(await third).toBeTypeOf('function');
    expect(limiter.load('slow')).toEqual({ running: 2, waiting: 1 });
    if (second) second();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
  });

  it('gives up after the wait and forgets the waiter', async () => {
    const limiter = createHostLimiter(1);
    const held = await limiter.acquire('brand', 10);
    expect(await limiter.acquire('brand', 20)).toBe(false);
    expect(limiter.load('brand')).toEqual({ running: 1, waiting: 0 });
    if (held) held();
    expect(limiter.load('brand')).toEqual({ running: 0, waiting: 0 });
  });
});
