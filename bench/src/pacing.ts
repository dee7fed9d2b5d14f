import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `send(index, intendedAt)` `rate` times a second for `durationMs` (open loop: sends do not
 * wait for answers). `intendedAt` is the `performance.now()` time the send was due, so a late
 * sender (a busy event loop) shows up as latency instead of hiding. Resolves with the times the
 * schedule started and the last send happened.
 *
 * @example
 * await paceAt(100, 10_000, (index, intendedAt) => socket.send(frame(index)));
 */
export async function paceAt(
  rate: number,
  durationMs: number,
  send: (index: number, intendedAt: number) => void,
  now: () => number = () => performance.now(),
): Promise<{ start: number; end: number }> {
  const total = Math.round((rate * durationMs) / 1000);
  const interval = 1000 / rate;
  const start = now();
  let next = 0;
  while (next < total) {
    const current = now();
    while (next < total && start + next * interval <= current) {
      send(next, start + next * interval);
      next += 1;
    }
    if (next < total) await sleep(Math.max(1, Math.min(5, start + next * interval - now())));
  }
  return { start, end: now() };
}

/** Runs `work` on every item with at most `limit` at once; resolves with the results in order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * Customers (each a list of devices) reordered so that every brand's customers are spread evenly
 * over the sequence (50 fast and 25 slow: fast, slow, fast, fast, slow, ...), so that a run over
 * several brands loads them all in every second, not one after the other.
 */
export function interleaveBrands<T extends readonly { readonly customer: { readonly brand: string } }[]>(
  customers: readonly T[],
): T[] {
  const counts = new Map<string, number>();
  for (const customer of customers) {
    const brand = customer[0]?.customer.brand ?? '';
    counts.set(brand, (counts.get(brand) ?? 0) + 1);
  }
  const seen = new Map<string, number>();
  return customers
    .map((customer) => {
      const brand = customer[0]?.customer.brand ?? '';
      const index = seen.get(brand) ?? 0;
      seen.set(brand, index + 1);
      return { customer, position: index / (counts.get(brand) ?? 1) };
    })
    .sort((a, b) => a.position - b.position)
    .map((entry) => entry.customer);
}
