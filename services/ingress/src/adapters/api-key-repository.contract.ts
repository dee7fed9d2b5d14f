import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ApiKey, type ApiKeyRepository, newApiKey } from '../domain/api-keys.js';

const tenant = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;
const keyFor = (tenantId: string, name = 'crm-bot'): ApiKey =>
  newApiKey(tenantId, name, ['bot', 'agent'], new Date('2025-01-02T03:04:05.678Z')).key;

/**
 * What every API key store must do, registered as vitest cases; run against the in-memory adapter
 * (unit) and PostgreSQL's (integration).
 *
 * @example
 * apiKeyRepositoryContract('in memory', () => createInMemoryApiKeyRepository());
 */
export function apiKeyRepositoryContract(adapter: string, repository: () => ApiKeyRepository): void {
  describe(`API key repository contract (${adapter})`, () => {
    it('finds a stored key by its id, with every field as written', async () => {
      const key = keyFor(tenant('acme'));
      await repository().create(key);
      expect(await repository().find(key.keyId)).toEqual(key);
    });

    it('finds nothing for an unknown key id', async () => {
      expect(await repository().find(keyFor('acme').keyId)).toBeNull();
    });

    it('refuses a duplicate key id, in the same tenant or another, and keeps the first key', async () => {
      const acme = tenant('acme');
      const key = keyFor(acme);
      await repository().create(key);
      await expect(repository().create({ ...key, name: 'again' })).rejects.toMatchObject({
        code: 'already_exists',
      });
      await expect(
        repository().create({ ...keyFor(tenant('globex')), keyId: key.keyId }),
      ).rejects.toMatchObject({ code: 'already_exists' });
      expect(await repository().find(key.keyId)).toEqual(key);
    });

    it("returns a tenant's key with that tenant, never another", async () => {
      const [a, b] = [tenant('a'), tenant('b')];
      const keyOfA = keyFor(a, 'same-name');
      const keyOfB = keyFor(b, 'same-name');
      await repository().create(keyOfA);
      await repository().create(keyOfB);
      expect(await repository().find(keyOfA.keyId)).toMatchObject({ tenantId: a, keyId: keyOfA.keyId });
      expect(await repository().find(keyOfB.keyId)).toMatchObject({ tenantId: b, keyId: keyOfB.keyId });
    });

    it('refuses a key without a tenant', async () => {
      await expect(repository().create(keyFor(''))).rejects.toMatchObject({ code: 'invalid_argument' });
    });
  });
}
