import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ParleyError } from '@parley/errors';

export type ApiKeyScope = 'admin' | 'bot' | 'agent';

export interface ApiKey {
  readonly keyId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  /** SHA-256 of the secret part; the secret itself is shown once and never stored. */
  readonly secretHash: string;
  readonly createdAt: Date;
  /** From then on the key is refused (`api_key_expired`); null: it does not expire. */
  readonly expiresAt: Date | null;
  /** When an admin revoked it; from then on it is refused (`api_key_revoked`). */
  readonly revokedAt: Date | null;
}

/**
 * The store of API keys. A presented key is found by its id alone (the tenant comes from the key);
 * everything else is in its tenant's scope.
 */
export interface ApiKeyRepository {
  create(key: ApiKey): Promise<void>;
  find(keyId: string): Promise<ApiKey | null>;
  /** The tenant's keys, newest first. */
  list(tenantId: string): Promise<ApiKey[]>;
  /**
   * Revokes the tenant's key (a second revocation keeps the first time); the key as it now stands,
   * or null when the tenant has no such key.
   */
  revoke(tenantId: string, keyId: string, at: Date): Promise<ApiKey | null>;
}

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');
const day = 86_400_000;

/**
 * A new API key: `pk_<keyId>.<secret>`. The key id finds the record; the secret is compared by hash
 * in constant time. High-entropy secrets make a plain SHA-256 sufficient (no password stretching).
 */
export function newApiKey(
  tenantId: string,
  name: string,
  scopes: readonly ApiKeyScope[],
  now: Date,
  options: { expiresAt?: Date | null } = {},
): { key: ApiKey; token: string } {
  const keyId = randomBytes(9).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  return {
    key: {
      keyId,
      tenantId,
      name,
      scopes,
      secretHash: hash(secret),
      createdAt: now,
      expiresAt: options.expiresAt ?? null,
      revokedAt: null,
    },
    token: `pk_${keyId}.${secret}`,
  };
}

/**
 * When a new key expires: the time asked for, which must be in the future and at most
 * `maxLifetimeDays` away (`API_KEY_MAX_LIFETIME_DAYS`), or that maximum when none is asked for.
 *
 * @example
 * apiKeyExpiry(new Date(), undefined, 365); // a year from now
 */
export function apiKeyExpiry(now: Date, requested: Date | undefined, maxLifetimeDays: number): Date {
  const latest = new Date(now.getTime() + maxLifetimeDays * day);
  if (!requested) return latest;
  if (Number.isNaN(requested.getTime()))
    throw new ParleyError('invalid_argument', 'the expiry is not a valid time');
  if (requested.getTime() <= now.getTime())
    throw new ParleyError('invalid_argument', 'the expiry must be in the future');
  if (requested.getTime() > latest.getTime())
    throw new ParleyError(
      'invalid_argument',
      `the expiry must be at most ${maxLifetimeDays} days away (API_KEY_MAX_LIFETIME_DAYS), not after ${latest.toISOString()}`,
    );
  return requested;
}

/** Why a key whose secret matched is refused now (revoked, expired), or undefined when it may act. */
export function apiKeyRefusal(key: ApiKey, now: Date): ParleyError | undefined {
  if (key.revokedAt && key.revokedAt.getTime() <= now.getTime())
    return new ParleyError('api_key_revoked', 'this API key was revoked', { context: { keyId: key.keyId } });
  if (key.expiresAt && key.expiresAt.getTime() <= now.getTime())
    return new ParleyError('api_key_expired', `this API key expired at ${key.expiresAt.toISOString()}`, {
      context: { keyId: key.keyId },
    });
  return undefined;
}

/** The key id and secret of a presented token, or undefined when it is not shaped like one. */
export function parseApiKey(token: string): { keyId: string; secret: string } | undefined {
  const match = /^pk_([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return match ? { keyId: match[1] as string, secret: match[2] as string } : undefined;
}

export function secretMatches(key: ApiKey, secret: string): boolean {
  const expected = Buffer.from(key.secretHash, 'hex');
  const actual = Buffer.from(hash(secret), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
