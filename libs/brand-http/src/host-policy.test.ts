import { describe, expect, it } from 'vitest';
import { createHostPolicy } from './host-policy.js';

describe('host policy', () => {
  const policy = createHostPolicy(['localhost', 'CRM.internal:8443@Acme', '[::1]@acme', 'demo:80']);
  const refusal = (url: string, tenant: string) => policy.refusal(new URL(url), tenant);

  it('allows an entry without a tenant to every tenant, one with a tenant to that tenant only', () => {
    expect(refusal('http://localhost:9000/token', 'anyone')).toBeUndefined();
    expect(refusal('http://crm.internal:8443/me', 'Acme')).toBeUndefined();
    expect(refusal('http://crm.internal:8443/me', 'acme')).toBe('only https is allowed');
    expect(refusal('http://crm.internal:8443/me', 'globex')).toBe('only https is allowed');
    expect(refusal('https://[::1]/token', 'acme')).toBeUndefined();
    expect(refusal('https://[::1]/token', 'globex')).toBe('::1 is not a public address');
  });

  it('matches the port when the entry names one (the scheme default when the URL does not)', () => {
    expect(refusal('http://crm.internal:9999/me', 'Acme')).toBe('only https is allowed');
    expect(refusal('http://demo/x', 't')).toBeUndefined();
    expect(refusal('http://demo:81/x', 't')).toBe('only https is allowed');
    expect(policy.listed('CRM.INTERNAL')).toBe(true);
    expect(policy.listed('other.example')).toBe(false);
  });

  it('still refuses credentials and other schemes, and refuses entries it cannot read', () => {
    expect(refusal('http://user:pw@localhost/x', 't')).toBe('credentials in URLs are not allowed');
    expect(refusal('ftp://localhost/x', 't')).toBe('only http and https are supported');
    for (const entry of ['http://localhost', 'host/path', 'host@', 'a b']) {
      expect(() => createHostPolicy([entry]), entry).toThrow(RangeError);
    }
  });
});
