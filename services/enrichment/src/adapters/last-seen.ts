/**
 * A bounded map of the last customer snapshot seen per customer (least recently used dropped
 * first). It only decides when to announce a change: after a restart the first message of each
 * customer announces nothing, and the brand's data itself is fetched fresh for every message.
 */
export function createLastSeen<T>(maxEntries = 50_000) {
  const entries = new Map<string, T>();
  return {
    get(key: string): T | undefined {
      const value = entries.get(key);
      if (value !== undefined) {
        entries.delete(key);
        entries.set(key, value);
      }
      return value;
    },
    set(key: string, value: T): void {
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
  };
}
