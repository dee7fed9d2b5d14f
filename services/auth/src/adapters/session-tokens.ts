import { webcrypto } from 'node:crypto';
import { identifiers } from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import { jwtVerify, SignJWT } from 'jose';
import type { SessionClaims, SessionTokens } from '../domain/ports.js';

const minKeyBytes = 32; // HS256: a key shorter than the hash output weakens the MAC (RFC 7518 §3.2)
// An explicit type keeps a session token from being accepted where another JWT is expected.
const tokenType = 'parley-session+jwt';
const stringClaims = ['sub', 'sid', 'tid', 'cid', 'did'] as const;

/** The kid of tokens issued before session tokens named their key (and the default kid). */
const legacySessionKid = 'default';

function importKey(kid: string, raw: Uint8Array) {
  if (!identifiers.keyId.safeParse(kid).success)
    throw new ParleyError(
      'invalid_config',
      `session key id '${kid.slice(0, 64)}' is not 1-64 of [A-Za-z0-9._-]`,
    );
  if (!(raw instanceof Uint8Array) || raw.length < minKeyBytes) {
    throw new ParleyError(
      'invalid_config',
      `session token key '${kid}' must be at least ${minKeyBytes} bytes`,
    );
  }
  // Imported once: raw bytes would be imported again by jose on every sign and verify.
  return webcrypto.subtle.importKey('raw', Uint8Array.from(raw), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
}

/**
 * Issues and verifies Parley session tokens: HS256 JWTs with `kid` in the header and `sub`
 * (customerKey), `sid`, `tid` (tenant), `cid` (channel), `did` (device), `iat`, `exp`, `iss` and
 * `aud`. New tokens are signed with `key` under `kid`; `previousKeys` only verify, so the signing
 * key rotates without signing anyone out (docs/channels.md, "The auth service"). A token without `kid` (issued
 * before key ids) is checked with the key of id `default`. Every verification failure is the same
 * `unauthenticated` error, the jose error kept as its cause for logs.
 *
 * @example
 * const sessionTokens = createSessionTokens({ key, kid: '2025-01', previousKeys: { default: oldKey } });
 * const token = await sessionTokens.issue({ sessionId, tenantId, channelId, customerKey, deviceId, expiresAt });
 */
export function createSessionTokens(options: {
  key: Uint8Array;
  kid?: string;
  previousKeys?: Readonly<Record<string, Uint8Array>>;
  issuer?: string;
  audience?: string;
}): SessionTokens {
  const { issuer = 'parley-auth', audience = 'parley', kid = legacySessionKid, previousKeys = {} } = options;
  if (Object.hasOwn(previousKeys, kid))
    throw new ParleyError('invalid_config', `session key id '${kid}' is both the current and a previous key`);
  const key = importKey(kid, options.key);
  const keys = new Map([[kid, key]]);
  for (const [previousKid, raw] of Object.entries(previousKeys))
    keys.set(previousKid, importKey(previousKid, raw));
  const keyOf = async (header: { kid?: string | undefined }) => {
    const found = keys.get(header.kid ?? legacySessionKid);
    if (!found) throw new Error(`no session key with kid ${String(header.kid).slice(0, 64)}`);
    return found;
  };

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
        .setProtectedHeader({ alg: 'HS256', typ: tokenType, kid })
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
        ({ payload } = await jwtVerify(token, keyOf, {
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
