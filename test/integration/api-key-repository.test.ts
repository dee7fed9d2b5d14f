import { sql } from '@parley/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyRepositoryContract } from '../../services/ingress/src/adapters/api-key-repository.contract.js';
import { createApiKeyRepository } from '../../services/ingress/src/adapters/api-key-repository.js';
import { ingressSchema } from '../../services/ingress/src/adapters/ingress-schema.js';
import { newApiKey } from '../../services/ingress/src/domain/api-keys.js';
import { dropSchema, serviceStore, storeComponent } from '../support/database.js';
import { testLogger } from '../support/harness.js';

// Ingress's API key store on the real PostgreSQL, as its own role in a fresh schema.
const store = serviceStore('ingress');
const postgres = storeComponent(ingressSchema, store, testLogger('api-key-repository'));

beforeAll(() => postgres.start());
afterAll(async () => {
  await postgres.stop();
  await dropSchema(store.DATABASE_SCHEMA);
});

apiKeyRepositoryContract('PostgreSQL', () => createApiKeyRepository(() => postgres.database()));

describe('API keys in PostgreSQL: row-level security on writes', () => {
  const key = () => newApiKey('globex', 'intruder', ['admin'], new Date()).key;

  it("refuses a key written in another tenant's scope", async () => {
    const forged = key();
    await expect(
      postgres
        .database()
        .forTenant('acme')
        .query(
          'forge API key',
          sql`insert into api_keys (tenant_id, key_id, name, scopes, secret_hash, created_at)
              values (${forged.tenantId}, ${forged.keyId}, ${forged.name}, ${forged.scopes}, ${forged.secretHash}, ${forged.createdAt})`,
        ),
    ).rejects.toMatchObject({ code: 'permission_denied' });
    expect(await createApiKeyRepository(() => postgres.database()).find(forged.keyId)).toBeNull();
  });

  it("cannot change or delete another tenant's key, nor write outside any tenant", async () => {
    const stored = key();
    const repository = createApiKeyRepository(() => postgres.database());
    await repository.create(stored);
    const acme = postgres.database().forTenant('acme');
    expect(
      await acme.query(
        'steal API key',
        sql`update api_keys set tenant_id = 'acme' where key_id = ${stored.keyId} returning 1`,
      ),
    ).toEqual([]);
    expect(
      await acme.query(
        'delete API key',
        sql`delete from api_keys where key_id = ${stored.keyId} returning 1`,
      ),
    ).toEqual([]);
    expect(
      await postgres
        .database()
        .global.query('delete API key', sql`delete from api_keys where key_id = ${stored.keyId} returning 1`),
    ).toEqual([]);
    expect(await repository.find(stored.keyId)).toEqual(stored);
  });

  it("shows a tenant's statements its own keys only, even without a tenant filter", async () => {
    const repository = createApiKeyRepository(() => postgres.database());
    const ours = newApiKey('initech', 'bot', ['bot'], new Date()).key;
    const theirs = newApiKey('umbrella', 'bot', ['bot'], new Date()).key;
    await repository.create(ours);
    await repository.create(theirs);
    const seen = await postgres
      .database()
      .forTenant('initech')
      .query<{ tenant_id: string; key_id: string }>('list keys', sql`select tenant_id, key_id from api_keys`);
    expect(seen).toEqual([{ tenant_id: 'initech', key_id: ours.keyId }]);
    // The lookup by key id (no tenant known yet) still finds any tenant's key.
    expect(await repository.find(theirs.keyId)).toEqual(theirs);
  });
});
