import { describe, expect, it } from 'vitest';
import { interleaveBrands, mapConcurrent, paceAt } from './pacing.js';

describe('paceAt', () => {
  it('sends rate × duration times at evenly spaced intended times, catching up when late', async () => {
    const intended: number[] = [];
    const { start, end } = await paceAt(200, 100, (index, at) => {
      intended[index] = at;
    });
    expect(intended).toHaveLength(20);
    intended.forEach((at, index) => {
      expect(at).toBeCloseTo(start + index * 5);
    });
    expect(end).toBeGreaterThanOrEqual(start + 95);
  });
});

describe('mapConcurrent', () => {
  it('keeps the order of results and at most `limit` at once', async () => {
    let running = 0;
    let most = 0;
    const results = await mapConcurrent([5, 1, 3, 2, 4], 2, async (value) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, value));
      running -= 1;
      return value * 10;
    });
    expect(results).toEqual([50, 10, 30, 20, 40]);
    expect(most).toBe(2);
  });
});

describe('interleaveBrands', () => {
  it("spreads each brand evenly over the order, keeping each brand's own order", () => {
    const customer = (brand: string, id: number) => [{ customer: { brand }, id }];
    const order = interleaveBrands([
      customer('fast', 1),
      customer('fast', 2),
      customer('fast', 3),
      customer('fast', 4),
      customer('slow', 1),
      customer('slow', 2),
    ]).map((devices) => `${devices[0]?.customer.brand}${devices[0]?.id}`);
    expect(order).toEqual(['fast1', 'slow1', 'fast2', 'fast3', 'slow2', 'fast4']);
  });
});
