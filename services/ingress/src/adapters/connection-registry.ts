import { streamCloseCodes } from '@parley/contracts';
import type {
  ConnectionRefusal,
  ConnectionRegistry,
  DeviceConnection,
  EndedSessions,
} from '../domain/ports.js';

/**
 * The devices connected to this pod, by customer: deliveries go to every device of the customer,
 * the sender's other devices included. Streams are capped per session and per customer on this pod
 * (like the rate limits, per pod), so one account cannot hold every socket.
 */
export function createConnectionRegistry(limits: {
  perSession: number;
  perCustomer: number;
}): ConnectionRegistry {
  const byCustomer = new Map<string, Set<DeviceConnection>>();
  const keyOf = (tenantId: string, customerKey: string) => `${tenantId}\u0000${customerKey}`;
  /** Connected customers per customer key, whatever the tenant: the pod's events are keyed so. */
  const tenantsOfKey = new Map<string, number>();
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
      if (set.size === 0) tenantsOfKey.set(customerKey, (tenantsOfKey.get(customerKey) ?? 0) + 1);
      set.add(connection);
      byCustomer.set(key, set);
      return {
        unregister() {
          if (!set.delete(connection) || set.size > 0 || byCustomer.get(key) !== set) return;
          byCustomer.delete(key);
          const tenants = (tenantsOfKey.get(customerKey) ?? 1) - 1;
          if (tenants > 0) tenantsOfKey.set(customerKey, tenants);
          else tenantsOfKey.delete(customerKey);
        },
      };
    },
    holdsCustomerKey(customerKey: string): boolean {
      return tenantsOfKey.has(customerKey);
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
