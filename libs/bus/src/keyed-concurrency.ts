export interface KeyedOutcome {
  /** `done[i]` is true when items[i] was processed successfully. */
  readonly done: readonly boolean[];
  /** Errors of the items that failed; later items of the same key were not attempted. */
  readonly failures: readonly { readonly index: number; readonly error: unknown }[];
}

/**
 * Runs `work` over items so that items sharing a key run one after another in their original order,
 * while up to `concurrency` distinct keys run at once. When an item fails, the rest of its key is
 * skipped (order would break otherwise) and the other keys go on.
 *
 * @example
 * const { done, failures } = await processInKeyOrder(messages, (m) => m.key, handle, 16);
 */
export async function processInKeyOrder<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  work: (item: T) => Promise<void>,
  concurrency: number,
): Promise<KeyedOutcome> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const groups = new Map<string, number[]>();
  items.forEach((item, index) => {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(index);
    else groups.set(key, [index]);
  });

  const done = items.map(() => false);
  const failures: { index: number; error: unknown }[] = [];
  const queue = [...groups.values()];

  async function drain(): Promise<void> {
    for (let group = queue.shift(); group; group = queue.shift()) {
      for (const index of group) {
        try {
          await work(items[index] as T);
          done[index] = true;
        } catch (error) {
          failures.push({ index, error });
          break;
        }
      }
    }
  }

  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, drain));
  return { done, failures };
}
