import { randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { SessionClaims } from '../domain/ports.js';
import { createSessionTokens } from './session-tokens.js';

const key = new Uint8Array(randomBytes(32));
const tokens = createSessionTokens({ key });
const inAnHour = () => new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
const claims = (overrides: Partial<SessionClaims> = {}): SessionClaims => ({
  sessionId: 'sess-1',
  tenantId: 'tenant-a',
  channelId: 'web',
  customerKey: 'ck-1',
  deviceId: 'dev-1',
  expiresAt: inAnHour(),
  ...overrides,
});

/** A token signed with the real key but hand-built claims, to test what verify demands. */
const signed = (payload: Record<string, unknown>, typ = 'parley-session+jwt') =>
  new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(key);
const validPayload = {
  sub: 'ck-1',
  sid: 's',
  tid: 't',
  cid: 'c',
  did: 'd',
  iss: 'parley-auth',
  aud: 'parley',
};

describe('createSessionTokens', () => {
  it('issues a token with the documented claims and verifies it back', async () => {
    const token = await tokens.issue(claims());
    expect(decodeJwt(token)).toMatchObject({
      sub: 'ck-1',
      sid: 'sess-1',
      tid: 'tenant-a',
      cid: 'web',
      did: 'dev-1',
      iss: 'parley-auth',
      aud: 'parley',
      exp: claims().expiresAt.getTime() / 1000,
      iat: expect.any(Number),
    });
    expect(await tokens.verify(token)).toEqual(claims());
  });

  it('refuses an expired token as unauthenticated, keeping the jose error as cause', async () => {
    const token = await tokens.issue(claims({ expiresAt: new Date(Date.now() - 60_000) }));
    const error = await tokens.verify(token).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'unauthenticated', message: 'session token is invalid or expired' });
    expect((error as Error).cause).toBeInstanceOf(errors.JWTExpired);
  });

  it('refuses another key, issuer or audience', async () => {
    const token = await tokens.issue(claims());
    const others = [
      createSessionTokens({ key: new Uint8Array(randomBytes(32)) }),
      createSessionTokens({ key, issuer: 'someone-else' }),
      createSessionTokens({ key, audience: 'another-service' }),
    ];
    for (const other of others) {
      await expect(other.verify(token)).rejects.toMatchObject({ code: 'unauthenticated' });
    }
  });

  it('refuses malformed, unsigned, re-typed and incomplete tokens', async () => {
    const bad = [
      '',
      'not.a.jwt',
      `${(await tokens.issue(claims())).slice(0, -2)}xx`,
      new UnsecuredJWT(validPayload).setIssuedAt().setExpirationTime('1h').encode(),
      await signed(validPayload, 'JWT'),
      await signed({ ...validPayload, sid: undefined }),
      await signed({ ...validPayload, did: '' }),
      await signed({ ...validPayload, tid: 42 }),
    ];
    expect(await tokens.verify(await signed(validPayload))).toMatchObject({ sessionId: 's' });
    for (const token of bad) {
      await expect(tokens.verify(token), token).rejects.toMatchObject({ code: 'unauthenticated' });
    }
  });

  it('names its key in the header, so the key rotates without signing anyone out', async () => {
    const oldKey = new Uint8Array(randomBytes(32));
    const before = createSessionTokens({ key: oldKey, kid: '2024-06' });
    const issuedBefore = await before.issue(claims());
    expect(decodeProtectedHeader(issuedBefore)).toMatchObject({ alg: 'HS256', kid: '2024-06' });
    // Rotated: a new current key, the old one kept for verification only.
    const after = createSessionTokens({ key, kid: '2025-01', previousKeys: { '2024-06': oldKey } });
    expect(await after.verify(issuedBefore)).toEqual(claims());
    const issuedAfter = await after.issue(claims());
    expect(decodeProtectedHeader(issuedAfter)).toMatchObject({ kid: '2025-01' });
    await expect(before.verify(issuedAfter)).rejects.toMatchObject({ code: 'unauthenticated' });
    // Once the old key is dropped, its tokens stop verifying.
    const dropped = createSessionTokens({ key, kid: '2025-01' });
    await expect(dropped.verify(issuedBefore)).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  it('checks a token without kid (issued before key ids) with the key of id default', async () => {
    const legacy = await signed(validPayload); // no kid, signed with `key`
    const rotated = createSessionTokens({
      key: new Uint8Array(randomBytes(32)),
      kid: '2025-01',
      previousKeys: { default: key },
    });
    expect(await rotated.verify(legacy)).toMatchObject({ sessionId: 's' });
    const withoutDefault = createSessionTokens({ key, kid: '2025-01' });
    await expect(withoutDefault.verify(legacy)).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  it('refuses a kid it does not hold, and a previous key id equal to the current one', async () => {
    const other = createSessionTokens({ key: new Uint8Array(randomBytes(32)), kid: 'elsewhere' });
    await expect(tokens.verify(await other.issue(claims()))).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    expect(() => createSessionTokens({ key, kid: 'k', previousKeys: { k: key } })).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    );
  });

  it('requires a key of at least 32 bytes', () => {
    expect(() => createSessionTokens({ key: new Uint8Array(31) })).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    );
  });
});
