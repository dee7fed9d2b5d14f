import { randomBytes } from 'node:crypto';
import { decodeJwt, errors, SignJWT, UnsecuredJWT } from 'jose';
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

  it('requires a key of at least 32 bytes', () => {
    expect(() => createSessionTokens({ key: new Uint8Array(31) })).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    );
  });
});
