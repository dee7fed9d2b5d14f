import { ParleyError } from '@parley/errors';
import { type Database, sql } from '@parley/postgres';
import type { ApiKey, ApiKeyRepository, ApiKeyScope } from '../domain/api-keys.js';

interface ApiKeyRow {
  tenant_id: string;
  key_id: string;
  name: string;
  scopes: ApiKeyScope[];
  secret_hash: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const columns = sql`tenant_id, key_id, name, scopes, secret_hash, created_at, expires_at, revoked_at`;

const fromRow = (row: ApiKeyRow): ApiKey => ({
  keyId: row.key_id,
  tenantId: row.tenant_id,
  name: row.name,
  scopes: row.scopes,
  secretHash: row.secret_hash,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
});

/**
 * API keys in PostgreSQL (ingress's own schema, see migrations/). A key is written in its tenant's
 * scope, so row-level security refuses it for any other tenant; it is found by its key id alone,
 * unique across tenants, and the tenant is then taken from the key itself, so a request can never
 * choose it. Nothing is cached: a revocation is seen by the next request on every pod.
 */
export function createApiKeyRepository(db: () => Database): ApiKeyRepository {
  return {
    async create(key) {
      // A duplicate id (in any tenant) inserts nothing, instead of aborting with a unique violation.
      const inserted = await db()
        .forTenant(key.tenantId)
        .query(
          'create API key',
          sql`insert into api_keys (${columns})
              values (${key.tenantId}, ${key.keyId}, ${key.name}, ${[...key.scopes]}, ${key.secretHash},
                      ${key.createdAt}, ${key.expiresAt}, ${key.revokedAt})
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
        sql`select ${columns} from api_keys where key_id = ${keyId}`,
      );
      return row ? fromRow(row) : null;
    },
    async list(tenantId) {
      const rows = await db()
        .forTenant(tenantId)
        .query<ApiKeyRow>(
          'list API keys',
          sql`select ${columns} from api_keys where tenant_id = ${tenantId}
              order by created_at desc, key_id`,
        );
      return rows.map(fromRow);
    },
    async revoke(tenantId, keyId, at) {
      const [row] = await db()
        .forTenant(tenantId)
        .query<ApiKeyRow>(
          'revoke API key',
          sql`update api_keys set revoked_at = coalesce(revoked_at, ${at})
              where tenant_id = ${tenantId} and key_id = ${keyId}
              returning ${columns}`,
        );
      return row ? fromRow(row) : null;
    },
  };
}
