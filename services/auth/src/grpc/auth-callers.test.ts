import { readFileSync } from 'node:fs';
import { decideCall, serviceIdentities } from '@parley/grpc';
import { describe, expect, it } from 'vitest';
import { authServiceCallers } from './auth-service.js';

/** The rows of the method table in docs/service-identity.md for `service`: method → callers. */
function documentedCallers(service: string): Record<string, string[]> {
  const doc = readFileSync(new URL('../../../../docs/service-identity.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| (\w+) +\| (\w+) +\| ([\w, ]+?) +\|$/gm)];
  return Object.fromEntries(
    rows
      .filter(([, name]) => name === service)
      .map(([, , method, callers]) => [method, (callers ?? '').split(', ')]),
  );
}

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
