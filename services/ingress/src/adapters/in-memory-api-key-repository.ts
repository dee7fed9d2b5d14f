import { ParleyError } from '@parley/errors';
import type { ApiKey, ApiKeyRepository } from '../domain/api-keys.js';

/** API keys in memory, for edge tests that need no database; the same contract as PostgreSQL's. */
export function createInMemoryApiKeyRepository(): ApiKeyRepository {
  const keys = new Map<string, ApiKey>();
  const copy = (key: ApiKey): ApiKey => ({
    ...key,
    scopes: [...key.scopes],
    createdAt: new Date(key.createdAt),
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
  };
}
