/** A wait for the next append of one tenant; `cancel` when giving up on it. */
export interface AppendWait {
  readonly appended: Promise<void>;
  cancel(): void;
}

export interface AppendSignal {
  /** Called after an append of the tenant committed. */
  notify(tenantId: string): void;
  /** Resolves at the tenant's next `notify`. */
  next(tenantId: string): AppendWait;
}

/**
 * In-process wake-ups for stream readers: a ReadEvents waiting for a tenant's next event is woken
 * the moment this replica appends one (appends through other replicas are found by polling).
 *
 * @example
 * const wait = signal.next(tenantId); // before reading, so an append meanwhile is not missed
 * const page = await read(); if (page.events.length === 0) await wait.appended; wait.cancel();
 */
export function createAppendSignal(): AppendSignal {
  const waiters = new Map<string, Set<() => void>>();
  return {
    notify(tenantId) {
      const woken = waiters.get(tenantId);
      if (!woken) return;
      waiters.delete(tenantId);
      for (const wake of woken) wake();
    },
    next(tenantId) {
      let wake: () => void = () => {};
      const appended = new Promise<void>((resolve) => {
        wake = resolve;
      });
      let set = waiters.get(tenantId);
      if (!set) {
        set = new Set();
        waiters.set(tenantId, set);
      }
      set.add(wake);
      return {
        appended,
        cancel() {
          const current = waiters.get(tenantId);
          current?.delete(wake);
          if (current?.size === 0) waiters.delete(tenantId);
        },
      };
    },
  };
}
