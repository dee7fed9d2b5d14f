import { ParleyError } from '@parley/errors';
import type { DiscoveredEndpoints } from './ports.js';

/**
 * An origin the operator lets an issuer's endpoints live on although neither the issuer's origin
 * nor its discovery document names it (`BRAND_ISSUER_ENDPOINT_EXCEPTIONS`); for every tenant, or
 * only for `tenantId`.
 */
export interface IssuerEndpointException {
  readonly tenantId?: string;
  readonly issuer: string;
  readonly origin: string;
}

const originOf = (url: string) => new URL(url).origin;
const sameUrl = (a: string | undefined, b: string) =>
  a !== undefined && URL.canParse(a) && new URL(a).href === new URL(b).href;

/**
 * Customer keys hash the issuer, so whatever answers "active, sub = x" for a channel speaks for
 * that issuer: each endpoint given explicitly must be on the issuer's origin, be the one the
 * issuer's own discovery document names, or be on an origin the operator allowed for the issuer.
 * `discover` is called only when an endpoint needs it. Refuses with `invalid_argument` naming
 * every endpoint that breaks the rule (docs/channels.md, "Pointing a channel at your OAuth server").
 */
export async function checkEndpointsOfIssuer(request: {
  readonly tenantId: string;
  readonly issuer: string;
  readonly explicit: DiscoveredEndpoints;
  readonly exceptions: readonly IssuerEndpointException[];
  readonly discover: () => Promise<DiscoveredEndpoints>;
}): Promise<void> {
  const { tenantId, issuer, explicit, exceptions } = request;
  const allowed = new Set([
    originOf(issuer),
    ...exceptions
      .filter((entry) => entry.issuer === issuer && (!entry.tenantId || entry.tenantId === tenantId))
      .map((entry) => entry.origin),
  ]);
  const elsewhere = (Object.entries(explicit) as [keyof DiscoveredEndpoints, string][]).filter(
    ([, url]) => !allowed.has(originOf(url)),
  );
  if (elsewhere.length === 0) return;
  const named = await request.discover().catch(() => ({}) as DiscoveredEndpoints);
  const refused = elsewhere.filter(([name, url]) => !sameUrl(named[name], url));
  if (refused.length === 0) return;
  const problems = refused.map(
    ([name]) =>
      `endpoints.${name}: must be on the issuer's origin (${originOf(issuer)}) or be the endpoint the issuer's discovery document names`,
  );
  throw new ParleyError(
    'invalid_argument',
    `invalid channel settings: ${problems.join('; ')} (an operator can allow another origin with BRAND_ISSUER_ENDPOINT_EXCEPTIONS)`,
    { context: { fields: refused.map(([name]) => `endpoints.${name}`) } },
  );
}

/**
 * Parses `BRAND_ISSUER_ENDPOINT_EXCEPTIONS`: comma-separated `issuer=origin` entries, each
 * optionally limited to one tenant as `tenantId:issuer=origin`.
 *
 * @example
 * parseIssuerEndpointExceptions('acme:https://login.acme.example=https://idp.vendor.example');
 * // [{ tenantId: 'acme', issuer: 'https://login.acme.example', origin: 'https://idp.vendor.example' }]
 */
export function parseIssuerEndpointExceptions(value: string): IssuerEndpointException[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^(?:([A-Za-z0-9._-]{1,64}):)?(https?:\/\/[^=\s]+)=(https?:\/\/[^=\s]+)$/.exec(entry);
      if (!match?.[2] || !match[3] || !URL.canParse(match[2]) || !URL.canParse(match[3])) {
        throw new Error(`"${entry}" is not [tenantId:]issuer=origin`);
      }
      const origin = originOf(match[3]);
      if (origin !== match[3].replace(/\/$/, '')) throw new Error(`"${match[3]}" is not an origin`);
      return { ...(match[1] ? { tenantId: match[1] } : {}), issuer: match[2], origin };
    });
}
