import type { BrandHttpClient } from '@parley/brand-http';
import { ParleyError } from '@parley/errors';
import { createLocalJWKSet, type JSONWebKeySet, errors as joseErrors, jwtVerify } from 'jose';
import type { Channel } from '../domain/model.js';
import type { Clock, TokenVerdict } from '../domain/ports.js';

const tokenRejections = [
  joseErrors.JWSSignatureVerificationFailed,
  joseErrors.JWTExpired,
  joseErrors.JWTClaimValidationFailed,
  joseErrors.JWTInvalid,
  joseErrors.JWSInvalid,
  joseErrors.JOSEAlgNotAllowed,
];

interface CachedKeys {
  readonly keys: ReturnType<typeof createLocalJWKSet>;
  readonly fetchedAt: number;
}

/**
 * `jwt` validation mode: the access token's signature and claims checked with jose against the
 * brand's JWKS, fetched through the guarded client, cached, and fetched again when a token names
 * an unknown key (the brand rotated its keys) — at most once per `minRefetchMs`.
 */
export function createJwtValidator(deps: {
  http: BrandHttpClient;
  clock: Clock;
  minRefetchMs?: number;
  maxAgeMs?: number;
}) {
  // A key the brand withdrew (say, after a compromise) stops being trusted within maxAgeMs.
  const { http, clock, minRefetchMs = 30_000, maxAgeMs = 10 * 60_000 } = deps;
  const cache = new Map<string, CachedKeys>();

  async function keysFor(jwksUrl: string, refetch: boolean): Promise<CachedKeys> {
    const cached = cache.get(jwksUrl);
    const age = cached ? clock.now().getTime() - cached.fetchedAt : Number.POSITIVE_INFINITY;
    if (cached && age < maxAgeMs && (!refetch || age < minRefetchMs)) return cached;
    const response = await http.request(jwksUrl);
    if (response.status !== 200)
      throw new ParleyError('brand_unavailable', `the brand's JWKS answered ${response.status}`);
    const set = response.json() as JSONWebKeySet;
    if (!set || !Array.isArray(set.keys))
      throw new ParleyError('brand_error', 'the brand’s JWKS is not a key set');
    const fresh = { keys: createLocalJWKSet(set), fetchedAt: clock.now().getTime() };
    cache.set(jwksUrl, fresh);
    return fresh;
  }

  return {
    async validate(channel: Channel, token: string): Promise<TokenVerdict> {
      if (channel.validation.mode !== 'jwt' || !channel.endpoints.jwks)
        throw new ParleyError('brand_error', 'the channel has no JWKS');
      const { issuer, audiences, algorithms, clockToleranceSeconds } = channel.validation;
      const options = {
        issuer,
        audience: [...audiences],
        algorithms: [...algorithms],
        clockTolerance: clockToleranceSeconds,
        currentDate: clock.now(),
      };
      for (const refetch of [false, true]) {
        const { keys } = await keysFor(channel.endpoints.jwks, refetch);
        try {
          const { payload } = await jwtVerify(token, keys, options);
          if (typeof payload.sub !== 'string' || payload.sub === '') return { active: false };
          return { active: true, subject: payload.sub };
        } catch (error) {
          if (error instanceof joseErrors.JWKSNoMatchingKey && !refetch) continue;
          // Only a token that fails its own checks is inactive; trouble with the brand's keys is
          // the brand's (fail closed, but do not end the customer's sessions for it).
          if (tokenRejections.some((rejection) => error instanceof rejection)) return { active: false };
          throw new ParleyError('brand_error', 'the brand’s keys cannot check this token', { cause: error });
        }
      }
      throw new ParleyError('brand_error', 'the token names a key the brand does not publish');
    },
  };
}
