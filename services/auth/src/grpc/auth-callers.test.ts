import { decideCall, serviceIdentities } from '@parley/grpc';
import { describe, expect, it } from 'vitest';
import { documentedCallers } from '../../../../test/support/service-identity-doc.js';
import { authServiceCallers } from './auth-service.js';

describe('who may call AuthService', () => {
  it('is what docs/service-identity.md says', () => {
    expect(authServiceCallers).toEqual(documentedCallers('auth'));
  });

  it('lets ingress call everything but GetCustomerDataAccess, and enrichment only that', () => {
    const allowed = (caller: (typeof serviceIdentities)[number]) =>
      Object.entries(authServiceCallers)
        .filter(([, callers]) => decideCall(callers, caller).allowed)
        .map(([method]) => method)
        .sort();
    expect(allowed('ingress')).toEqual(
      Object.keys(authServiceCallers)
        .filter((method) => method !== 'GetCustomerDataAccess')
        .sort(),
    );
    // Enrichment's one call per message: no channel settings, no audited token hand-outs.
    expect(allowed('enrichment')).toEqual(['GetCustomerDataAccess']);
    expect(decideCall(authServiceCallers.GetAccessToken, 'enrichment').allowed).toBe(false);
    expect(decideCall(authServiceCallers.GetChannel, 'enrichment').allowed).toBe(false);
    for (const other of serviceIdentities.filter((id) => id !== 'ingress' && id !== 'enrichment'))
      expect(allowed(other), other).toEqual([]);
  });
});
