import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type ApiKeyScope = 'admin' | 'bot' | 'agent';

export interface ApiKey {
  readonly keyId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  /** SHA-256 of the secret part; the secret itself is shown once and never stored. */
  readonly secretHash: string;
  readonly createdAt: Date;
}

export interface ApiKeyRepository {
  create(key: ApiKey): Promise<void>;
  find(keyId: string): Promise<ApiKey | null>;
}

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');

/**
 * A new API key: `pk_<keyId>.<secret>`. The key id finds the record; the secret is compared by hash
 * in constant time. High-entropy secrets make a plain SHA-256 sufficient (no password stretching).
 */
export function newApiKey(
  tenantId: string,
  name: string,
  scopes: readonly ApiKeyScope[],
  now: Date,
): { key: ApiKey; token: string } {
  const keyId = randomBytes(9).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  return {
    key: { keyId, tenantId, name, scopes, secretHash: hash(secret), createdAt: now },
    token: `pk_${keyId}.${secret}`,
  };
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
