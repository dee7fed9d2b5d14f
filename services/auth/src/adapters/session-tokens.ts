import { webcrypto } from 'node:crypto';
import { ParleyError } from '@parley/errors';
import { jwtVerify, SignJWT } from 'jose';
import type { SessionClaims, SessionTokens } from '../domain/ports.js';

const minKeyBytes = 32; // HS256: a key shorter than the hash output weakens the MAC (RFC 7518 §3.2)
// An explicit type keeps a session token from being accepted where another JWT is expected.
const tokenType = 'parley-session+jwt';
const stringClaims = ['sub', 'sid', 'tid', 'cid', 'did'] as const;

/**
 * Issues and verifies Parley session tokens: HS256 JWTs with `sub` (customerKey), `sid`, `tid`
 * (tenant), `cid` (channel), `did` (device), `iat`, `exp`, `iss` and `aud`. Every verification
 * failure is the same `unauthenticated` error, the jose error kept as its cause for logs.
 *
 * @example
 * const sessionTokens = createSessionTokens({ key: config.SESSION_TOKEN_KEY });
 * const token = await sessionTokens.issue({ sessionId, tenantId, channelId, customerKey, deviceId, expiresAt });
 */
export function createSessionTokens(options: {
  key: Uint8Array;
  issuer?: string;
  audience?: string;
}): SessionTokens {
  const { issuer = 'parley-auth', audience = 'parley' } = options;
  if (!(options.key instanceof Uint8Array) || options.key.length < minKeyBytes) {
    throw new ParleyError('invalid_config', `session token key must be at least ${minKeyBytes} bytes`);
  }
  // Imported once: raw bytes would be imported again by jose on every sign and verify.
  const key = webcrypto.subtle.importKey(
    'raw',
    Uint8Array.from(options.key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );

  const invalid = (cause?: unknown) =>
    new ParleyError('unauthenticated', 'session token is invalid or expired', { cause });

  return {
    async issue(claims) {
      return new SignJWT({
        sid: claims.sessionId,
        tid: claims.tenantId,
        cid: claims.channelId,
        did: claims.deviceId,
      })
        .setProtectedHeader({ alg: 'HS256', typ: tokenType })
        .setSubject(claims.customerKey)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(Math.floor(claims.expiresAt.getTime() / 1000))
        .sign(await key);
    },
    async verify(token) {
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, await key, {
          algorithms: ['HS256'],
          issuer,
          audience,
          typ: tokenType,
          requiredClaims: [...stringClaims, 'exp', 'iat'],
        }));
      } catch (error) {
        throw invalid(error);
      }
      const missing = stringClaims.filter(
        (claim) => typeof payload[claim] !== 'string' || payload[claim] === '',
      );
      if (missing.length > 0) throw invalid(new Error(`claims not non-empty strings: ${missing.join(', ')}`));
      const claim = (name: (typeof stringClaims)[number]) => payload[name] as string;
      return {
        sessionId: claim('sid'),
        tenantId: claim('tid'),
        channelId: claim('cid'),
        customerKey: claim('sub'),
        deviceId: claim('did'),
        expiresAt: new Date(Number(payload.exp) * 1000),
      } satisfies SessionClaims;
    },
  };
}
