import { decideCall, serviceIdentities } from '@parley/grpc';
import { describe, expect, it } from 'vitest';
import { documentedCallers } from '../../../../test/support/service-identity-doc.js';
import { authServiceCallers } from './auth-service.js';

describe('who may call AuthService', () => {
  it('is what docs/service-identity.md says', () => {
    expect(authServiceCallers).toEqual(documentedCallers('auth'));
  });

  it('lets ingress call everything and enrichment only GetChannel and GetAccessToken', () => {
    const allowed = (caller: (typeof serviceIdentities)[number]) =>
      Object.entries(authServiceCallers)
        .filter(([, callers]) => decideCall(callers, caller).allowed)
        .map(([method]) => method)
        .sort();
    expect(allowed('ingress')).toEqual(Object.keys(authServiceCallers).sort());
    expect(allowed('enrichment')).toEqual(['GetAccessToken', 'GetChannel']);
    for (const other of serviceIdentities.filter((id) => id !== 'ingress' && id !== 'enrichment'))
      expect(allowed(other), other).toEqual([]);
  });
});
