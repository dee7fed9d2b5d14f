import type { BrandServer } from '@parley/test-brand';
import { BenchError } from './bench-error.js';
import type { BrandLabel, CustomerSession } from './load-protocol.js';
import { mapConcurrent } from './pacing.js';

/** A brand of the run: its OAuth server and the Parley tenant whose channel `web` points at it. */
export interface BenchBrand {
  readonly label: BrandLabel;
  readonly tenant: string;
  readonly server: BrandServer;
}

async function failure(what: string, response: Response): Promise<BenchError> {
  const body = (await response.text().catch(() => '')).slice(0, 300);
  return new BenchError('setup_failed', `${what} failed: ${response.status} ${body}`);
}

/**
 * Stores the tenant's channel `web` through ingress's admin API, as a brand admin would:
 * introspection on every message, customer data from the brand's userinfo endpoint.
 */
export async function putChannel(ingressUrl: string, adminKey: string, brand: BenchBrand): Promise<void> {
  const { server } = brand;
  const response = await fetch(`${ingressUrl}/v1/admin/channels/web`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      issuer: server.issuer,
      client: { clientId: server.client.clientId, clientSecret: server.client.clientSecret },
      redirectUris: [server.client.redirectUri],
      validationMode: 'introspection',
      customerDataUrl: server.endpoints.userinfo,
      mapping: { customFields: { tier: '$.tier' } },
    }),
  });
  if (!response.ok) throw await failure(`storing the channel of ${brand.tenant}`, response);
}

/** Signs a customer's device in: code flow at the brand, then POST /v1/channels/web/sessions. */
async function signIn(ingressUrl: string, brand: BenchBrand, sub: string, deviceId: string): Promise<string> {
  const { code, codeVerifier, redirectUri, iss } = await brand.server.authorize(sub);
  const response = await fetch(`${ingressUrl}/v1/channels/web/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'parley-tenant': brand.tenant },
    body: JSON.stringify({ code, codeVerifier, redirectUri, iss, device: { id: deviceId, platform: 'web' } }),
  });
  if (response.status !== 201) throw await failure(`signing ${sub} in on ${brand.tenant}`, response);
  return ((await response.json()) as { sessionToken: string }).sessionToken;
}

/** `count` customers of `brand` (made up at the brand), each signed in on `devices` devices. */
export async function signInCustomers(
  ingressUrl: string,
  brand: BenchBrand,
  count: number,
  devices: number,
): Promise<CustomerSession[]> {
  const subs = Array.from({ length: count }, (_, index) => `${brand.label}-${index + 1}`);
  for (const [index, sub] of subs.entries()) {
    brand.server.customers.set(sub, { name: `Customer ${index + 1}`, tier: index % 3 ? 'silver' : 'gold' });
  }
  const pairs = subs.flatMap((sub) => Array.from({ length: devices }, (_, device) => ({ sub, device })));
  const tokens = await mapConcurrent(pairs, 8, ({ sub, device }) =>
    signIn(ingressUrl, brand, sub, `device-${device + 1}`),
  );
  return subs.map((_, index) => ({
    brand: brand.label,
    sessionTokens: tokens.slice(index * devices, (index + 1) * devices),
  }));
}

/**
 * `count` more sessions of the brand's first `customers` customers (signed in by
 * `signInCustomers`), round-robin, each a device of its own through the same code flow.
 */
export async function signInMoreDevices(
  ingressUrl: string,
  brand: BenchBrand,
  customers: number,
  count: number,
): Promise<string[]> {
  return mapConcurrent(
    Array.from({ length: count }, (_, index) => index),
    8,
    (index) => signIn(ingressUrl, brand, `${brand.label}-${(index % customers) + 1}`, `more-${index + 1}`),
  );
}

/** An access token of `sub` straight from the brand (code flow + token endpoint), for the baseline. */
export async function brandAccessToken(server: BrandServer, sub: string): Promise<string> {
  const { code, codeVerifier, redirectUri } = await server.authorize(sub);
  const { clientId, clientSecret } = server.client;
  const response = await fetch(server.endpoints.token, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: codeVerifier,
      redirect_uri: redirectUri,
    }).toString(),
  });
  if (!response.ok) throw await failure(`getting a brand token for ${sub}`, response);
  return ((await response.json()) as { access_token: string }).access_token;
}
