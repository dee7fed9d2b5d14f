import { describe, expect, it } from 'vitest';
import type { DeviceConnection } from '../domain/ports.js';
import { createConnectionRegistry } from './connection-registry.js';

function device(sessionId: string): DeviceConnection & { frames: object[] } {
  const frames: object[] = [];
  return {
    sessionId,
    deviceId: `d-${sessionId}`,
    frames,
    send: (frame) => void frames.push(frame),
    close() {},
  };
}

function registered(result: ReturnType<ReturnType<typeof createConnectionRegistry>['add']>) {
  if ('refused' in result) throw new Error(`refused: ${result.refused}`);
  return result;
}

describe('the connection registry', () => {
  it('holds a customer key while any device of it, of any tenant, is connected', () => {
    const registry = createConnectionRegistry({ perSession: 5, perCustomer: 20 });
    expect(registry.holdsCustomerKey('ck-1')).toBe(false);
    const laptop = registered(registry.add('acme', 'ck-1', device('s1')));
    const phone = registered(registry.add('acme', 'ck-1', device('s2')));
    const other = registered(registry.add('globex', 'ck-1', device('s3')));
    laptop.unregister();
    phone.unregister();
    expect(registry.holdsCustomerKey('ck-1')).toBe(true); // globex's device still
    other.unregister();
    other.unregister(); // twice changes nothing
    expect(registry.holdsCustomerKey('ck-1')).toBe(false);
    expect(registry.holdsCustomerKey('ck-2')).toBe(false);
  });

  it('counts a refused device as nothing held', () => {
    const registry = createConnectionRegistry({ perSession: 1, perCustomer: 1 });
    const first = registered(registry.add('acme', 'ck-1', device('s1')));
    expect(registry.add('acme', 'ck-1', device('s1'))).toEqual({ refused: 'session_limit' });
    first.unregister();
    expect(registry.holdsCustomerKey('ck-1')).toBe(false);
  });
});
