import { describe, expect, it } from 'vitest';
import { PartitionProgress } from './partition-progress.js';

describe('PartitionProgress', () => {
  it('commits only up to the first record not finished, whatever order records finish in', () => {
    const progress = new PartitionProgress(5n);
    expect(progress.committable()).toBe(5n);
    const [a, b, c] = [progress.take(5n), progress.take(6n), progress.take(9n)];
    expect(progress.inFlight).toBe(3);
    progress.finish(c);
    progress.finish(b);
    expect(progress.committable()).toBe(5n);
    progress.finish(a);
    expect(progress.committable()).toBe(10n);
    expect(progress.inFlight).toBe(0);
  });

  it('knows what it has taken, so a re-fetched record is not handled twice', () => {
    const progress = new PartitionProgress(0n);
    progress.take(0n);
    progress.take(1n);
    expect(progress.hasTaken(1n)).toBe(true);
    expect(progress.hasTaken(2n)).toBe(false);
    expect(() => progress.take(1n)).toThrow(RangeError);
  });
});
