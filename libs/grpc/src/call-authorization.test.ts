import type { ServiceDefinition } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { callerTable, decideCall } from './call-authorization.js';
import { serviceIdentities } from './service-identity.js';

describe('decideCall', () => {
  it('allows a proven identity the method declares', () => {
    expect(decideCall(['ingress', 'enrichment'], 'enrichment')).toEqual({
      allowed: true,
      caller: 'enrichment',
    });
  });

  it('refuses a caller without a proven identity as unauthenticated, whatever the method allows', () => {
    expect(decideCall([...serviceIdentities], undefined)).toEqual({
      allowed: false,
      code: 'unauthenticated',
    });
    expect(decideCall(undefined, undefined)).toEqual({ allowed: false, code: 'unauthenticated' });
  });

  it('refuses a proven identity the method does not declare as permission_denied', () => {
    expect(decideCall(['ingress'], 'enrichment')).toEqual({
      allowed: false,
      code: 'permission_denied',
      caller: 'enrichment',
    });
  });

  it('fails closed: a method nobody declared, or declared for nobody, refuses everyone', () => {
    for (const caller of serviceIdentities) {
      expect(decideCall(undefined, caller)).toMatchObject({ allowed: false, code: 'permission_denied' });
      expect(decideCall([], caller)).toMatchObject({ allowed: false, code: 'permission_denied' });
    }
  });
});

describe('callerTable', () => {
  const definition = {
    Sync: { path: '/parley.history.v1.HistoryService/Sync' },
    GetThread: { path: '/parley.history.v1.HistoryService/GetThread' },
  } as unknown as ServiceDefinition;

  it('maps each declared method’s full path to its callers, leaving undeclared ones out (refused)', () => {
    const table = callerTable([{ definition, callers: { Sync: ['ingress'] } }]);
    expect(table.get('/parley.history.v1.HistoryService/Sync')).toEqual(['ingress']);
    expect(table.has('/parley.history.v1.HistoryService/GetThread')).toBe(false);
    expect(decideCall(table.get('/parley.history.v1.HistoryService/GetThread'), 'ingress')).toMatchObject({
      allowed: false,
    });
  });

  it('opens the health service to every Parley service, and to nobody else', () => {
    const table = callerTable([]);
    for (const path of ['/grpc.health.v1.Health/Check', '/grpc.health.v1.Health/Watch']) {
      expect(table.get(path)).toEqual(serviceIdentities);
      expect(decideCall(table.get(path), undefined)).toMatchObject({
        allowed: false,
        code: 'unauthenticated',
      });
    }
  });
});
