import type { IndexSpec } from '@parley/mongo';
import { toStoreError } from '@parley/mongo';
import type { Db } from 'mongodb';
import type { ApiKey, ApiKeyRepository } from '../domain/api-keys.js';

/** Ingress's own database: API keys (secrets stored as hashes only). */
export const ingressIndexes: readonly IndexSpec[] = [
  { collection: 'api_keys', key: { keyId: 1 }, options: { name: 'key_id', unique: true } },
  { collection: 'api_keys', key: { tenantId: 1, name: 1 }, options: { name: 'tenant_name' } },
];

/**
 * API keys in MongoDB. Lookups go by key id, which is unique across tenants: the tenant is then
 * taken from the key itself, so a request can never choose it.
 */
export function createApiKeyRepository(db: () => Db): ApiKeyRepository {
  const keys = () => db().collection<ApiKey>('api_keys');
  return {
    async create(key) {
      try {
        await keys().insertOne({ ...key });
      } catch (error) {
        throw toStoreError(error, 'create API key');
      }
    },
    async find(keyId) {
      try {
        const found = await keys().findOne({ keyId }, { projection: { _id: 0 } });
        return found as ApiKey | null;
      } catch (error) {
        throw toStoreError(error, 'find API key');
      }
    },
  };
}
