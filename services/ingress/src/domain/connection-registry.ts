/** A live WebSocket of one device, as the registry sees it. */
export interface DeviceConnection {
  readonly sessionId: string;
  send(frame: object): void;
  close(code: number, reason: string): void;
}

/** Close codes of `/v1/stream` (documented in the README). */
export const streamCloseCodes = {
  goingAway: 1001, // the pod is shutting down: reconnect (to another pod) and sync
  badFrame: 4400, // a frame that is not JSON or not a known type
  reauthenticationRequired: 4401, // the brand refused the grant: sign in again
  unauthenticated: 4403, // no valid session (ended, forged or expired)
  authTimeout: 4408, // no credentials within the time allowed after connecting
  unavailable: 4503, // the brand or auth did not answer: retry with backoff
} as const;

/**
 * The devices connected to this pod, by customer: deliveries go to every device of the customer,
 * the sender's other devices included.
 */
export function createConnectionRegistry() {
  const byCustomer = new Map<string, Set<DeviceConnection>>();
  const keyOf = (tenantId: string, customerKey: string) => `${tenantId}\u0000${customerKey}`;
  return {
    add(tenantId: string, customerKey: string, connection: DeviceConnection): () => void {
      const key = keyOf(tenantId, customerKey);
      const set = byCustomer.get(key) ?? new Set<DeviceConnection>();
      set.add(connection);
      byCustomer.set(key, set);
      return () => {
        set.delete(connection);
        if (set.size === 0) byCustomer.delete(key);
      };
    },
    /** Sends a frame to every connected device of a customer; returns how many. */
    broadcast(tenantId: string, customerKey: string, frame: object): number {
      const set = byCustomer.get(keyOf(tenantId, customerKey));
      for (const connection of set ?? []) connection.send(frame);
      return set?.size ?? 0;
    },
    /** Closes every connection (graceful shutdown): clients reconnect elsewhere and sync. */
    closeAll(code: number, reason: string): void {
      for (const set of byCustomer.values()) for (const connection of set) connection.close(code, reason);
    },
    size(): number {
      let total = 0;
      for (const set of byCustomer.values()) total += set.size;
      return total;
    },
  };
}

export type ConnectionRegistry = ReturnType<typeof createConnectionRegistry>;
