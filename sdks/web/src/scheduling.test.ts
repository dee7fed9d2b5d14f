import { describe, expect, it } from 'vitest';
import { backoffDelay } from './scheduling.js';

describe('backoffDelay', () => {
  const policy = (random: number) => ({ initialDelayMs: 1000, maxDelayMs: 30_000, random: () => random });

  it('doubles its ceiling per attempt up to the maximum', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, policy(0.999_999)));
    expect(ceilings).toEqual([999, 1999, 3999, 7999, 15_999, 29_999, 29_999]);
  });

  it('draws the whole range below the ceiling (full jitter)', () => {
    expect(backoffDelay(3, policy(0))).toBe(0);
    expect(backoffDelay(3, policy(0.25))).toBe(2000);
  });

  it('stays finite for very large attempt numbers', () => {
    expect(backoffDelay(10_000, policy(0.5))).toBe(15_000);
  });
});
