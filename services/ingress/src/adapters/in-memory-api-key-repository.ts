import { ParleyError } from '@parley/errors';
import type { ApiKey, ApiKeyRepository } from '../domain/api-keys.js';

/** API keys in memory, for edge tests that need no database; the same contract as PostgreSQL's. */
export function createInMemoryApiKeyRepository(): ApiKeyRepository {
  const keys = new Map<string, ApiKey>();
  const date = (value: Date | null) => (value ? new Date(value) : null);
  const copy = (key: ApiKey): ApiKey => ({
    ...key,
    scopes: [...key.scopes],
    createdAt: new Date(key.createdAt),
    expiresAt: date(key.expiresAt),
    revokedAt: date(key.revokedAt),
  });
  return {
    async create(key) {
      if (typeof key.tenantId !== 'string' || key.tenantId.length === 0)
        throw new ParleyError('invalid_argument', 'tenant scope is empty');
      if (keys.has(key.keyId))
        throw new ParleyError('already_exists', 'an API key with this id already exists', {
          context: { keyId: key.keyId },
        });
      keys.set(key.keyId, copy(key));
    },
    async find(keyId) {
      const key = keys.get(keyId);
      return key ? copy(key) : null;
    },
    async list(tenantId) {
      return [...keys.values()]
        .filter((key) => key.tenantId === tenantId)
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
        .map(copy);
    },
    async revoke(tenantId, keyId, at) {
      const key = keys.get(keyId);
      if (!key || key.tenantId !== tenantId) return null;
      const revoked = key.revokedAt ? key : { ...key, revokedAt: new Date(at) };
      keys.set(keyId, revoked);
      return copy(revoked);
    },
  };
}
