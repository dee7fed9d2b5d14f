import type { BrandHttpClient } from '@parley/brand-http';
import { ParleyError, untilCallerGone } from '@parley/errors';
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

/** RFC 9068 §2.1: the `typ` of a JWT access token (jose also accepts `application/at+jwt`). */
const accessTokenType = 'at+jwt';
const maxKeysPerSet = 100; // more than any brand publishes; bounds what one admin-set URL can add

interface CachedKeys {
  readonly keys: ReturnType<typeof createLocalJWKSet>;
  readonly fetchedAt: number;
}

interface KeySetSource {
  readonly tenantId: string;
  readonly jwksUrl: string;
}

interface KeySetEntry {
  current?: CachedKeys;
  /** The fetch under way, which every caller that needs fresh keys joins (single flight). */
  inFlight?: Promise<CachedKeys>;
  /** When the last fetch started: re-fetches for unknown kids are at least `minRefetchMs` apart. */
  lastFetchStartedAt: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const unavailable = (message: string, cause?: unknown) =>
  new ParleyError('auth_unavailable', message, { cause, context: { reason: 'jwks' } });

/**
 * `jwt` validation mode: the access token's signature and claims checked with jose against the
 * brand's JWKS, fetched through the guarded client and cached per tenant and JWKS URL (at most
 * `maxCachedKeySets`, least recently used dropped). A token naming a kid the cached set lacks (the
 * brand rotated its keys) re-fetches the set at once, one fetch shared by every caller; fetches are
 * at least `minRefetchMs` apart (a kid that comes sooner waits for the next one, so a rotation is
 * never refused); when that re-fetch fails or the kid is still unknown the answer is
 * `auth_unavailable` (retriable), never an inactive token. See README "JWT validation".
 */
export function createJwtValidator(deps: {
  http: BrandHttpClient;
  clock: Clock;
  minRefetchMs?: number;
  maxAgeMs?: number;
  maxCachedKeySets?: number;
}) {
  // A key the brand withdrew (say, after a compromise) stops being trusted within maxAgeMs.
  const {
    http,
    clock,
    minRefetchMs = 1000, // 1 s: forged kids cost the brand at most one JWKS fetch a second per URL
    maxAgeMs = 10 * 60_000,
    maxCachedKeySets = 1000,
  } = deps;
  const cache = new Map<string, KeySetEntry>();
  const now = () => clock.now().getTime();

  function entryFor({ tenantId, jwksUrl }: KeySetSource): KeySetEntry {
    // Per tenant: a URL the operator allowed for one tenant only is fetched for that tenant only.
    const key = `${tenantId} ${jwksUrl}`;
    let entry = cache.get(key);
    if (entry) {
      // Map order is insertion order: re-inserting marks the entry most recently used.
      cache.delete(key);
    } else {
      entry = { lastFetchStartedAt: Number.NEGATIVE_INFINITY };
    }
    cache.set(key, entry);
    while (cache.size > maxCachedKeySets) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
    return entry;
  }

  async function fetchKeys({ tenantId, jwksUrl }: KeySetSource): Promise<CachedKeys> {
    const response = await http.request(jwksUrl, { tenant: tenantId });
    if (response.status !== 200)
      throw new ParleyError('brand_unavailable', `the brand's JWKS answered ${response.status}`);
    const set = response.json() as JSONWebKeySet;
    if (!set || !Array.isArray(set.keys))
      throw new ParleyError('brand_error', 'the brand’s JWKS is not a key set');
    if (set.keys.length > maxKeysPerSet)
      throw new ParleyError('brand_error', `the brand’s JWKS has more than ${maxKeysPerSet} keys`);
    return { keys: createLocalJWKSet(set), fetchedAt: now() };
  }

  /** One fetch for every caller, started at once or, within the floor of the last one, at its end. */
  function refetch(source: KeySetSource, entry: KeySetEntry): Promise<CachedKeys> {
    if (entry.inFlight) return entry.inFlight;
    const waitMs = Math.max(0, Math.min(minRefetchMs, entry.lastFetchStartedAt + minRefetchMs - now()));
    entry.lastFetchStartedAt = now() + waitMs;
    const fetching = (waitMs > 0 ? sleep(waitMs) : Promise.resolve())
      .then(() => fetchKeys(source))
      .then((fresh) => {
        entry.current = fresh;
        return fresh;
      })
      .finally(() => {
        entry.inFlight = undefined;
      });
    entry.inFlight = fetching;
    return fetching;
  }

  /** The cached keys, fetched when absent or older than maxAgeMs. */
  function keysFor(source: KeySetSource): Promise<CachedKeys> {
    const entry = entryFor(source);
    const { current } = entry;
    if (current && now() - current.fetchedAt < maxAgeMs) return Promise.resolve(current);
    return refetch(source, entry);
  }

  /** Fresh keys for a token whose kid the cached set lacks (a rotation at the brand). */
  function keysAfterUnknownKid(source: KeySetSource, seen: CachedKeys): Promise<CachedKeys> {
    const entry = entryFor(source);
    // Another caller's re-fetch already brought a newer set: try that first.
    if (!entry.inFlight && entry.current && entry.current !== seen) return Promise.resolve(entry.current);
    return refetch(source, entry);
  }

  async function verify(channel: Channel, token: string, keys: CachedKeys): Promise<TokenVerdict> {
    if (channel.validation.mode !== 'jwt') throw new ParleyError('brand_error', 'the channel has no JWKS');
    const { issuer, audiences, algorithms, clockToleranceSeconds, requireAtJwtType } = channel.validation;
    const { payload } = await jwtVerify(token, keys.keys, {
      issuer,
      // jose requires `aud` whenever an audience is given, and refuses every other audience.
      audience: [...audiences],
      algorithms: [...algorithms],
      clockTolerance: clockToleranceSeconds,
      currentDate: clock.now(),
      // A token that never expires is not an access token Parley accepts (RFC 9068 §2.2).
      requiredClaims: ['exp'],
      ...(requireAtJwtType ? { typ: accessTokenType } : {}),
    });
    if (typeof payload.sub !== 'string' || payload.sub === '') return { active: false };
    return { active: true, subject: payload.sub };
  }

  return {
    /** `signal`: the caller stops waiting for a key set fetch (shared with other callers, it runs on). */
    async validate(channel: Channel, token: string, signal?: AbortSignal): Promise<TokenVerdict> {
      const jwksUrl = channel.endpoints.jwks;
      if (channel.validation.mode !== 'jwt' || !jwksUrl)
        throw new ParleyError('brand_error', 'the channel has no JWKS');
      const source = { tenantId: channel.tenantId, jwksUrl };
      let keys = await untilCallerGone(keysFor(source), signal);
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await verify(channel, token, keys);
        } catch (error) {
          if (error instanceof joseErrors.JWKSNoMatchingKey) {
            if (attempt > 0) throw unavailable('the token names a key the brand does not publish', error);
            try {
              keys = await untilCallerGone(keysAfterUnknownKid(source, keys), signal);
            } catch (fetchError) {
              throw unavailable('the brand’s JWKS could not be fetched again for a new key', fetchError);
            }
            continue;
          }
          // Only a token that fails its own checks is inactive; trouble with the brand's keys is
          // the brand's (fail closed, but do not end the customer's sessions for it).
          if (tokenRejections.some((rejection) => error instanceof rejection)) return { active: false };
          if (error instanceof ParleyError) throw error;
          throw new ParleyError('brand_error', 'the brand’s keys cannot check this token', { cause: error });
        }
      }
    },
  };
}
