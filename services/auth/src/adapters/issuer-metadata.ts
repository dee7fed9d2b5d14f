import type { BrandHttpClient } from '@parley/brand-http';
import type { Clock } from '../domain/ports.js';

interface Remembered {
  readonly sendsIss: boolean;
  readonly fetchedAt: number;
}

/**
 * What an issuer's metadata (OpenID discovery, or RFC 8414 at
 * `/.well-known/oauth-authorization-server`) says about its authorization responses: whether it
 * always sends `iss` (RFC 9207 §3). Remembered per tenant and issuer for `maxAgeMs` (at most
 * `maxEntries`, oldest dropped), so sign-ins do not each fetch it. An issuer that publishes no
 * metadata about itself (any answer but a 200 document naming it) does not declare it; one that
 * does not answer is `brand_unavailable`, from the guarded client.
 */
export function createIssuerMetadata(deps: {
  http: BrandHttpClient;
  clock: Clock;
  maxAgeMs?: number;
  maxEntries?: number;
}) {
  const { http, clock, maxAgeMs = 10 * 60_000, maxEntries = 1000 } = deps;
  const remembered = new Map<string, Remembered>();

  async function fetchSendsIss(tenantId: string, issuer: string, signal?: AbortSignal): Promise<boolean> {
    const tenant = { tenant: tenantId, ...(signal ? { signal } : {}) };
    let response = await http.request(
      `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
      tenant,
    );
    if (response.status === 404 && URL.canParse(issuer)) {
      const url = new URL(issuer);
      const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
      response = await http.request(`${url.origin}/.well-known/oauth-authorization-server${path}`, tenant);
    }
    if (response.status !== 200) return false;
    let document: unknown;
    try {
      document = response.json();
    } catch {
      return false;
    }
    const metadata = (document ?? {}) as {
      issuer?: unknown;
      authorization_response_iss_parameter_supported?: unknown;
    };
    return metadata.issuer === issuer && metadata.authorization_response_iss_parameter_supported === true;
  }

  return {
    async sendsAuthorizationResponseIss(
      tenantId: string,
      issuer: string,
      signal?: AbortSignal,
    ): Promise<boolean> {
      const key = `${tenantId} ${issuer}`;
      const now = clock.now().getTime();
      const known = remembered.get(key);
      if (known && now - known.fetchedAt < maxAgeMs) return known.sendsIss;
      const sendsIss = await fetchSendsIss(tenantId, issuer, signal);
      remembered.delete(key);
      remembered.set(key, { sendsIss, fetchedAt: now });
      for (const oldest of remembered.keys()) {
        if (remembered.size <= maxEntries) break;
        remembered.delete(oldest);
      }
      return sendsIss;
    },
  };
}
