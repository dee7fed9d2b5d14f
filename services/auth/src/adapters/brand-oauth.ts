import { randomBytes } from 'node:crypto';
import type { BrandHttpClient, BrandResponse } from '@parley/brand-http';
import { BrandFailure, ParleyError, untrustedText } from '@parley/errors';
import type { Channel } from '../domain/model.js';
import type { BrandOAuth, Clock, DiscoveredEndpoints, TokenSet, TokenVerdict } from '../domain/ports.js';
import { createIssuerMetadata } from './issuer-metadata.js';
import { createJwtValidator } from './jwt-validator.js';

type Json = Record<string, unknown>;

function clientAuthentication(channel: Channel, form: URLSearchParams): Record<string, string> {
  const { clientId, clientSecret, method } = channel.client;
  if (method === 'client_secret_post') {
    form.set('client_id', clientId);
    form.set('client_secret', clientSecret);
    return {};
  }
  // RFC 6749 §2.3.1: form-urlencode both parts before joining them.
  const credentials = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
  return { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

function objectBody(response: BrandResponse, what: string): Json {
  const body = response.json();
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BrandFailure('invalid_response', `the brand's ${what} answer is not a JSON object`);
  }
  return body as Json;
}

/**
 * The brand's OAuth server over the guarded brand HTTP client: RFC 6749 token requests, RFC 7662
 * introspection or JWT validation against the brand's JWKS, RFC 7009 revocation, OpenID discovery.
 */
export function createBrandOAuth(deps: {
  http: BrandHttpClient;
  clock: Clock;
  jwksCacheMaxEntries?: number;
}): BrandOAuth {
  const { http, clock, jwksCacheMaxEntries } = deps;
  const jwt = createJwtValidator({
    http,
    clock,
    ...(jwksCacheMaxEntries === undefined ? {} : { maxCachedKeySets: jwksCacheMaxEntries }),
  });
  const issuerMetadata = createIssuerMetadata({ http, clock });

  /** Every form post to the brand: the channel's client authentication, its tenant, POST. */
  function postForm(
    channel: Channel,
    url: string,
    form: URLSearchParams,
    options: { retries: number; signal?: AbortSignal | undefined },
  ): Promise<BrandResponse> {
    const headers = clientAuthentication(channel, form);
    return http.request(url, {
      tenant: channel.tenantId,
      method: 'POST',
      form,
      headers,
      retries: options.retries,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  async function tokenRequest(
    channel: Channel,
    form: URLSearchParams,
    refusal: 'unauthenticated' | 'reauthentication_required',
  ) {
    // No caller's signal: tokens the brand grants must reach Parley (BrandOAuth).
    const response = await postForm(channel, channel.endpoints.token, form, { retries: 0 });
    if (response.status >= 500)
      throw new BrandFailure('server_error', `the brand's token endpoint answered ${response.status}`);
    const body = objectBody(response, 'token');
    if (response.status !== 200) {
      // The brand's own string ends up in a message the client sees: bounded, printable ASCII.
      const error = typeof body.error === 'string' ? untrustedText(body.error) : 'unknown';
      if (error === 'invalid_grant') {
        throw new ParleyError(
          refusal,
          refusal === 'unauthenticated'
            ? 'the brand refused the authorization code'
            : 'the brand refused the refresh token',
          {
            context: { brandError: error },
          },
        );
      }
      // invalid_client, unauthorized_client, …: Parley's configuration for this brand is wrong.
      throw new ParleyError('brand_error', `the brand's token endpoint refused the request: ${error}`, {
        context: { brandError: error, status: response.status },
      });
    }
    return parseTokenSet(body, channel);
  }

  return {
    sendsAuthorizationResponseIss: issuerMetadata.sendsAuthorizationResponseIss,

    async discover(tenantId, issuer, signal) {
      const tenant = { tenant: tenantId, ...(signal ? { signal } : {}) };
      let response = await http.request(
        `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
        tenant,
      );
      if (response.status === 404) {
        // RFC 8414 §3.1: OAuth servers that are not OpenID providers publish their metadata here.
        const url = new URL(issuer);
        const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
        response = await http.request(`${url.origin}/.well-known/oauth-authorization-server${path}`, tenant);
      }
      if (response.status !== 200)
        throw new ParleyError('brand_error', `OpenID discovery at ${issuer} answered ${response.status}`);
      const document = objectBody(response, 'discovery');
      // RFC 8414 §3.3: the document must be about the issuer asked for (mix-up defence).
      if (document.issuer !== issuer) {
        throw new ParleyError(
          'brand_error',
          `discovery at ${issuer} describes another issuer (${String(document.issuer)})`,
        );
      }
      const pick = (key: string) =>
        typeof document[key] === 'string' ? (document[key] as string) : undefined;
      const endpoints: DiscoveredEndpoints = {
        ...(pick('token_endpoint') ? { token: pick('token_endpoint') } : {}),
        ...(pick('introspection_endpoint') ? { introspection: pick('introspection_endpoint') } : {}),
        ...(pick('jwks_uri') ? { jwks: pick('jwks_uri') } : {}),
        ...(pick('revocation_endpoint') ? { revocation: pick('revocation_endpoint') } : {}),
        ...(pick('authorization_endpoint') ? { authorization: pick('authorization_endpoint') } : {}),
      };
      return endpoints;
    },

    async probe(tenantId, url, signal) {
      const response = await http.request(url, {
        tenant: tenantId,
        retries: 0,
        ...(signal ? { signal } : {}),
      });
      return { status: response.status, ...serverDate(response) };
    },

    async authenticateClient(channel, endpoint, signal) {
      const url = endpoint === 'token' ? channel.endpoints.token : channel.endpoints.introspection;
      if (!url) throw new ParleyError('brand_error', `the channel has no ${endpoint} endpoint`);
      // Made up, so a good client gets past authentication and no further (nothing is granted).
      const made = randomBytes(24).toString('base64url');
      const form =
        endpoint === 'token'
          ? new URLSearchParams({
              grant_type: 'authorization_code',
              code: made,
              redirect_uri: channel.redirectUris[0] ?? '',
            })
          : new URLSearchParams({ token: made, token_type_hint: 'access_token' });
      const response = await postForm(channel, url, form, { retries: 0, signal });
      let error: unknown;
      try {
        error = (response.json() as { error?: unknown } | null)?.error;
      } catch {} // not JSON: the status alone tells
      return {
        status: response.status,
        ...(typeof error === 'string' ? { error: error.slice(0, 100) } : {}),
        ...serverDate(response),
      };
    },

    exchangeCode(channel, request) {
      const form = new URLSearchParams({
        grant_type: 'authorization_code',
        code: request.code,
        redirect_uri: request.redirectUri,
      });
      if (request.codeVerifier) form.set('code_verifier', request.codeVerifier);
      return tokenRequest(channel, form, 'unauthenticated');
    },

    refresh(channel, refreshToken) {
      return tokenRequest(
        channel,
        new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
        'reauthentication_required',
      );
    },

    async validate(channel, accessToken, signal): Promise<TokenVerdict> {
      if (channel.validation.mode === 'jwt') {
        // Customer keys hash the channel's issuer; settings stored before PutChannel required the
        // two to be one may still differ: such tokens are not the channel issuer's.
        if (channel.validation.issuer !== channel.issuer)
          throw new ParleyError(
            'brand_error',
            "the channel's jwt.issuer is not its issuer: save the channel again",
          );
        return jwt.validate(channel, accessToken, signal);
      }
      const endpoint = channel.endpoints.introspection;
      if (!endpoint) throw new ParleyError('brand_error', 'the channel has no introspection endpoint');
      const form = new URLSearchParams({ token: accessToken, token_type_hint: 'access_token' });
      // Introspection only reads: safe to retry once.
      const response = await postForm(channel, endpoint, form, { retries: 1, signal });
      if (response.status >= 500)
        throw new BrandFailure(
          'server_error',
          `the brand's introspection endpoint answered ${response.status}`,
        );
      if (response.status !== 200)
        throw new ParleyError(
          'brand_error',
          `the brand's introspection endpoint answered ${response.status}`,
        );
      const body = objectBody(response, 'introspection');
      if (body.active !== true) return { active: false };
      // Customer keys hash the channel's issuer: an answer about another issuer's token is not the brand's.
      if (body.iss !== undefined && body.iss !== channel.issuer) {
        throw new ParleyError(
          'brand_error',
          `introspection answered for issuer ${untrustedText(body.iss, 200)}, not the channel's issuer ${channel.issuer}`,
        );
      }
      // RFC 7662: trust an active token only if it is unexpired, for a subject, and issued to us.
      if (typeof body.exp === 'number' && body.exp * 1000 <= clock.now().getTime()) return { active: false };
      if (typeof body.client_id === 'string' && body.client_id !== channel.client.clientId)
        return { active: false };
      if (typeof body.sub !== 'string' || body.sub === '')
        throw new ParleyError('brand_error', 'introspection answered an active token without sub');
      return { active: true, subject: body.sub };
    },

    async revoke(channel, token, hint) {
      const endpoint = channel.endpoints.revocation;
      if (!endpoint) return false;
      const form = new URLSearchParams({ token, token_type_hint: hint });
      const response = await postForm(channel, endpoint, form, { retries: 1 });
      return response.status === 200;
    },

    async fetchCustomerData(channel, accessToken, signal, retries) {
      const response = await http.request(channel.endpoints.customerData, {
        tenant: channel.tenantId,
        headers: { authorization: `Bearer ${accessToken}` },
        ...(signal ? { signal } : {}),
        ...(retries === undefined ? {} : { retries }),
      });
      if (response.status !== 200) {
        // A 5xx is the brand being down (retriable); anything else, an answer Parley cannot use.
        const host = new URL(channel.endpoints.customerData).host;
        throw new BrandFailure(
          response.status >= 500 ? 'server_error' : 'invalid_response',
          `the brand's customer-data endpoint answered ${response.status}`,
          { host },
        );
      }
      return objectBody(response, 'customer-data');
    },
  };
}

function serverDate(response: BrandResponse): { serverDate?: Date } {
  const date = response.headers.date ? new Date(response.headers.date) : undefined;
  return date && !Number.isNaN(date.getTime()) ? { serverDate: date } : {};
}

function parseTokenSet(body: Json, channel: Channel): TokenSet {
  if (typeof body.access_token !== 'string' || body.access_token === '')
    throw new ParleyError('brand_error', 'the token response has no access_token');
  if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer') {
    throw new ParleyError(
      'brand_error',
      `the token response has token_type ${untrustedText(body.token_type)}, not Bearer`,
    );
  }
  const expiresIn = body.expires_in === undefined ? 300 : Number(body.expires_in); // RFC 6749 leaves it optional: assume short
  if (!Number.isFinite(expiresIn) || expiresIn <= 0)
    throw new ParleyError('brand_error', 'the token response has an invalid expires_in');
  const idTokenIssuer = typeof body.id_token === 'string' ? issuerOfJwt(body.id_token) : undefined;
  if (idTokenIssuer && channel.issuer && idTokenIssuer !== channel.issuer) {
    throw new ParleyError(
      'brand_error',
      `the ID token was issued by ${idTokenIssuer}, not ${channel.issuer}`,
    );
  }
  return {
    accessToken: body.access_token,
    tokenType: 'Bearer',
    expiresInSeconds: expiresIn,
    ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
    ...(typeof body.scope === 'string' ? { scope: body.scope } : {}),
    ...(idTokenIssuer ? { idTokenIssuer } : {}),
  };
}

function issuerOfJwt(token: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      iss?: unknown;
    };
    return typeof payload.iss === 'string' ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}
