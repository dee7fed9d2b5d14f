/**
 * Listeners of one event. A listener that throws does not stop the others or the client: its
 * error is rethrown on its own (as `EventTarget` does), where the page's or process's error
 * handler sees it.
 */
export function createListenerSet<T>() {
  const listeners = new Set<(value: T) => void>();
  return {
    add(listener: (value: T) => void): () => void {
      // Wrapped, so the same function added twice is two subscriptions, each removable.
      const entry = (value: T) => listener(value);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    emit(value: T): void {
      for (const listener of [...listeners]) {
        try {
          listener(value);
        } catch (error) {
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    },
    get size(): number {
      return listeners.size;
    },
  };
}
