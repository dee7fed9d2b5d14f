import type { webcrypto } from 'node:crypto';
import type { BrandHttpClient, BrandResponse } from '@parley/brand-http';
import { ParleyError } from '@parley/errors';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from '../domain/model.js';
import { createJwtValidator } from './jwt-validator.js';

const issuer = 'https://login.brand.example';
const audience = 'https://api.brand.example';

type SigningKey = { kid: string; privateKey: webcrypto.CryptoKey; jwk: JWK };
async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** The brand's JWKS endpoint as the guarded client would answer: counts fetches, can fail or stall. */
function jwksServer() {
  const state = {
    published: [] as SigningKey[],
    fetches: new Map<string, number>(),
    failing: false,
    stall: undefined as Promise<void> | undefined,
  };
  const http: BrandHttpClient = {
    async request(url) {
      const key = String(url);
      state.fetches.set(key, (state.fetches.get(key) ?? 0) + 1);
      if (state.stall) await state.stall;
      if (state.failing)
        throw new ParleyError('brand_unavailable', 'the brand server did not answer (timeout)');
      const body = { keys: state.published.map((published) => published.jwk) };
      return {
        status: 200,
        headers: {},
        body: Buffer.from(JSON.stringify(body)),
        json: () => body,
      } satisfies BrandResponse;
    },
  };
  return { state, http };
}

const channel = (
  overrides: Partial<Extract<Channel['validation'], { mode: 'jwt' }>> = {},
  jwks = 'https://login.brand.example/jwks',
) =>
  ({
    tenantId: 't',
    channelId: 'app',
    issuer,
    allowWithoutPkce: false,
    endpoints: { token: `${issuer}/token`, jwks, customerData: `${issuer}/me` },
    client: { clientId: 'parley', clientSecret: 's', method: 'client_secret_basic' },
    redirectUris: ['https://chat.brand.example/cb'],
    validation: {
      mode: 'jwt',
      issuer,
      audiences: [audience],
      algorithms: ['RS256'],
      clockToleranceSeconds: 5,
      ...overrides,
    },
    mapping: { customerId: '$.sub', customFields: {} },
    messagingMode: 'messaging',
    updatedAt: new Date(),
  }) satisfies Channel;

interface TokenOptions {
  typ?: string;
  aud?: string;
  exp?: number | null;
  sub?: string;
}
function token(key: SigningKey, options: TokenOptions = {}) {
  const jwt = new SignJWT({ sub: options.sub ?? 'c-1', client_id: 'parley' })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, ...(options.typ ? { typ: options.typ } : {}) })
    .setIssuer(issuer)
    .setAudience(options.aud ?? audience)
    .setIssuedAt();
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? '5m');
  return jwt.sign(key.privateKey);
}

describe('createJwtValidator', () => {
  let first: SigningKey;
  let second: SigningKey;
  beforeAll(async () => {
    first = await signingKey('key-1');
    second = await signingKey('key-2');
  });
  const clock = (at = { ms: Date.now() }) => ({ at, now: () => new Date(at.ms) });

  it('follows a key rotation at once: an unknown kid re-fetches the JWKS with no refusal', async () => {
    const { state, http } = jwksServer();
    state.published = [first];
    const validator = createJwtValidator({ http, clock: clock() });
    await expect(validator.validate(channel(), await token(first))).resolves.toEqual({
      active: true,
      subject: 'c-1',
    });
    state.published = [second, first]; // the brand rotates a moment later
    await expect(validator.validate(channel(), await token(second))).resolves.toEqual({
      active: true,
      subject: 'c-1',
    });
    expect(state.fetches.get('https://login.brand.example/jwks')).toBe(2);
  });

  it('re-fetches once for many concurrent tokens with the new kid (single flight)', async () => {
    const { state, http } = jwksServer();
    state.published = [first];
    const time = clock();
    const validator = createJwtValidator({ http, clock: time });
    await validator.validate(channel(), await token(first));
    time.at.ms += 60_000;
    state.published = [second, first];
    const tokens = await Promise.all(Array.from({ length: 20 }, () => token(second)));
    const verdicts = await Promise.all(tokens.map((jwt) => validator.validate(channel(), jwt)));
    expect(verdicts.every((verdict) => verdict.active)).toBe(true);
    expect(state.fetches.get('https://login.brand.example/jwks')).toBe(2);
  });

  it('keeps a floor between re-fetches: kids the brand does not publish cost one fetch per floor', async () => {
    const { state, http } = jwksServer();
    state.published = [first];
    const validator = createJwtValidator({ http, clock: clock(), minRefetchMs: 200 });
    await validator.validate(channel(), await token(first));
    const forged = await Promise.all(
      Array.from({ length: 5 }, async (_, n) => token(await signingKey(`forged-${n}`))),
    );
    const verdicts = forged.map((jwt) => validator.validate(channel(), jwt));
    for (const verdict of verdicts) await expect(verdict).rejects.toMatchObject({ code: 'auth_unavailable' });
    // One re-fetch, at the end of the floor after the first fetch, shared by all five.
    expect(state.fetches.get('https://login.brand.example/jwks')).toBe(2);
  });

  it('answers auth_unavailable, not brand_error, when the re-fetch for an unknown kid fails', async () => {
    const { state, http } = jwksServer();
    state.published = [first];
    const time = clock();
    const validator = createJwtValidator({ http, clock: time });
    await validator.validate(channel(), await token(first));
    state.published = [second, first];
    state.failing = true;
    await expect(validator.validate(channel(), await token(second))).rejects.toMatchObject({
      code: 'auth_unavailable',
    });
  });

  it('requires exp, the configured audience, and typ at+jwt where the channel says RFC 9068', async () => {
    const { state, http } = jwksServer();
    state.published = [first];
    const validator = createJwtValidator({ http, clock: clock() });
    await expect(validator.validate(channel(), await token(first, { exp: null }))).resolves.toEqual({
      active: false,
    });
    await expect(
      validator.validate(channel(), await token(first, { aud: 'https://other.example' })),
    ).resolves.toEqual({ active: false });
    const rfc9068 = channel({ requireAtJwtType: true });
    await expect(validator.validate(rfc9068, await token(first, { typ: 'JWT' }))).resolves.toEqual({
      active: false,
    });
    await expect(validator.validate(rfc9068, await token(first))).resolves.toEqual({ active: false });
    await expect(validator.validate(rfc9068, await token(first, { typ: 'at+jwt' }))).resolves.toEqual({
      active: true,
      subject: 'c-1',
    });
    await expect(
      validator.validate(rfc9068, await token(first, { typ: 'application/at+jwt' })),
    ).resolves.toEqual({ active: true, subject: 'c-1' });
    // Without the setting, a brand's plain JWT access tokens (Keycloak's typ is JWT) still pass.
    await expect(validator.validate(channel(), await token(first, { typ: 'JWT' }))).resolves.toEqual({
      active: true,
      subject: 'c-1',
    });
  });

  it('keeps at most maxCachedKeySets JWKS in memory, dropping the least recently used', async () => {
    const { state, http } = jwksServer();
    state.published = [first];
    const validator = createJwtValidator({ http, clock: clock(), maxCachedKeySets: 2 });
    const url = (n: number) => `https://login.brand.example/jwks/${n}`;
    const jwt = await token(first);
    for (let n = 0; n < 10; n += 1) await validator.validate(channel({}, url(n)), jwt);
    // The two most recently used are cached: no new fetch for them; the first was dropped.
    await validator.validate(channel({}, url(9)), jwt);
    await validator.validate(channel({}, url(8)), jwt);
    expect(state.fetches.get(url(9))).toBe(1);
    expect(state.fetches.get(url(8))).toBe(1);
    await validator.validate(channel({}, url(0)), jwt);
    expect(state.fetches.get(url(0))).toBe(2);
  });
});
