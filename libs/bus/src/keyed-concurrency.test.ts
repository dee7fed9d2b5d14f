import { describe, expect, it } from 'vitest';
import { processInKeyOrder } from './keyed-concurrency.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('processInKeyOrder', () => {
  it('keeps order within a key and runs distinct keys concurrently', async () => {
    const items = ['a1', 'b1', 'a2', 'c1', 'b2', 'a3'];
    const seen: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const outcome = await processInKeyOrder(
      items,
      (item) => item[0] as string,
      async (item) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await tick();
        seen.push(item);
        running -= 1;
      },
      3,
    );
    expect(outcome.done).toEqual(items.map(() => true));
    expect(seen.filter((item) => item.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(seen.filter((item) => item.startsWith('b'))).toEqual(['b1', 'b2']);
    expect(maxRunning).toBe(3);
  });

  it('never exceeds the concurrency limit', async () => {
    let running = 0;
    let maxRunning = 0;
    await processInKeyOrder(
      Array.from({ length: 20 }, (_, i) => `k${i}`),
      (item) => item,
      async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await tick();
        running -= 1;
      },
      4,
    );
    expect(maxRunning).toBe(4);
  });

  it('skips the rest of a failed key and finishes the others', async () => {
    const failure = new Error('a2 failed');
    const outcome = await processInKeyOrder(
      ['a1', 'a2', 'b1', 'a3', 'b2'],
      (item) => item[0] as string,
      async (item) => {
        if (item === 'a2') throw failure;
      },
      2,
    );
    expect(outcome.done).toEqual([true, false, true, false, true]);
    expect(outcome.failures).toEqual([{ index: 1, error: failure }]);
  });

  it('refuses a concurrency below one', async () => {
    await expect(processInKeyOrder([], String, async () => {}, 0)).rejects.toThrow(RangeError);
  });
});
