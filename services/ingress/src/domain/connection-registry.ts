/** A live WebSocket of one device, as the registry sees it. */
export interface DeviceConnection {
  readonly sessionId: string;
  readonly deviceId: string;
  send(frame: object): void;
  close(code: number, reason: string): void;
}

/**
 * Close codes of `/v1/stream` — every code the server closes a stream with (listed in the README's
 * chat API section and the OpenAPI document).
 */
export const streamCloseCodes = {
  goingAway: 1001, // the pod is shutting down: reconnect (to another pod) and sync
  tooManyPendingFrames: 1008, // more frames waiting than the server takes: wait for acks before sending more
  frameTooLarge: 1009, // a frame over BODY_LIMIT_BYTES (sent by the WebSocket library itself)
  badFrame: 4400, // a frame that is not JSON or not a known type
  reauthenticationRequired: 4401, // the brand refused the grant: sign in again
  unauthenticated: 4403, // no valid session (logged out, forged or expired): sign in again
  authTimeout: 4408, // no credentials within the time allowed after connecting
  tooManyStreams: 4409, // this session, or this customer, has as many streams open on this pod as allowed
  rateLimited: 4429, // the session's rate limit is used up: reconnect after a minute
  unavailable: 4503, // the brand or auth did not answer: retry with backoff
} as const;

/** Why a stream was not registered. */
export type ConnectionRefusal = 'session_limit' | 'customer_limit';

/** Whose sessions ended, as the session.ended event says (one session, one device, or every device). */
export interface EndedSessions {
  readonly tenantId: string;
  readonly customerKey: string;
  readonly allDevices: boolean;
  readonly sessionId?: string;
  readonly deviceId: string;
}

/**
 * The devices connected to this pod, by customer: deliveries go to every device of the customer,
 * the sender's other devices included. Streams are capped per session and per customer on this pod
 * (like the rate limits, per pod), so one account cannot hold every socket.
 */
export function createConnectionRegistry(limits: { perSession: number; perCustomer: number }) {
  const byCustomer = new Map<string, Set<DeviceConnection>>();
  const keyOf = (tenantId: string, customerKey: string) => `${tenantId}\u0000${customerKey}`;
  return {
    add(
      tenantId: string,
      customerKey: string,
      connection: DeviceConnection,
    ): { unregister: () => void } | { refused: ConnectionRefusal } {
      const key = keyOf(tenantId, customerKey);
      const set = byCustomer.get(key) ?? new Set<DeviceConnection>();
      let ofSession = 0;
      for (const other of set) if (other.sessionId === connection.sessionId) ofSession += 1;
      if (ofSession >= limits.perSession) return { refused: 'session_limit' };
      if (set.size >= limits.perCustomer) return { refused: 'customer_limit' };
      set.add(connection);
      byCustomer.set(key, set);
      return {
        unregister() {
          set.delete(connection);
          if (set.size === 0 && byCustomer.get(key) === set) byCustomer.delete(key);
        },
      };
    },
    /** Sends a frame to every connected device of a customer; returns how many. */
    broadcast(tenantId: string, customerKey: string, frame: object): number {
      const set = byCustomer.get(keyOf(tenantId, customerKey));
      for (const connection of set ?? []) connection.send(frame);
      return set?.size ?? 0;
    },
    /**
     * Closes the streams of sessions that ended (4403): every device of the customer, or the one
     * session (the device's, when the event names no session). Returns how many.
     */
    endSessions(ended: EndedSessions): number {
      const set = byCustomer.get(keyOf(ended.tenantId, ended.customerKey));
      const matches = [...(set ?? [])].filter((connection) => {
        if (ended.allDevices) return true;
        if (ended.sessionId) return connection.sessionId === ended.sessionId;
        return connection.deviceId === ended.deviceId;
      });
      for (const connection of matches) connection.close(streamCloseCodes.unauthenticated, 'session_ended');
      return matches.length;
    },
    size(): number {
      let total = 0;
      for (const set of byCustomer.values()) total += set.size;
      return total;
    },
  };
}

export type ConnectionRegistry = ReturnType<typeof createConnectionRegistry>;
