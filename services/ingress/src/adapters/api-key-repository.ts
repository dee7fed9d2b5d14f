import { ParleyError } from '@parley/errors';
import { type Database, sql } from '@parley/postgres';
import type { ApiKeyRepository, ApiKeyScope } from '../domain/api-keys.js';

interface ApiKeyRow {
  tenant_id: string;
  key_id: string;
  name: string;
  scopes: ApiKeyScope[];
  secret_hash: string;
  created_at: Date;
}

/**
 * API keys in PostgreSQL (ingress's own schema, see migrations/0001_initial.sql). A key is written
 * in its tenant's scope, so row-level security refuses it for any other tenant; it is found by its
 * key id alone, unique across tenants, and the tenant is then taken from the key itself, so a
 * request can never choose it.
 */
export function createApiKeyRepository(db: () => Database): ApiKeyRepository {
  return {
    async create(key) {
      // A duplicate id (in any tenant) inserts nothing, instead of aborting with a unique violation.
      const inserted = await db()
        .forTenant(key.tenantId)
        .query(
          'create API key',
          sql`insert into api_keys (tenant_id, key_id, name, scopes, secret_hash, created_at)
              values (${key.tenantId}, ${key.keyId}, ${key.name}, ${[...key.scopes]}, ${key.secretHash}, ${key.createdAt})
              on conflict do nothing
              returning 1`,
        );
      if (inserted.length === 0)
        throw new ParleyError('already_exists', 'an API key with this id already exists', {
          context: { keyId: key.keyId },
        });
    },
    async find(keyId) {
      const [row] = await db().global.query<ApiKeyRow>(
        'find API key',
        sql`select tenant_id, key_id, name, scopes, secret_hash, created_at from api_keys where key_id = ${keyId}`,
      );
      return row
        ? {
            keyId: row.key_id,
            tenantId: row.tenant_id,
            name: row.name,
            scopes: row.scopes,
            secretHash: row.secret_hash,
            createdAt: row.created_at,
          }
        : null;
    },
  };
}
