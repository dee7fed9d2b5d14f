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

    it('keeps an expiry as written, and a key without one as not expiring', async () => {
      const expiring = newApiKey(tenant('acme'), 'temp', ['bot'], new Date('2025-01-02T03:04:05.678Z'), {
        expiresAt: new Date('2025-02-01T00:00:00.123Z'),
      }).key;
      await repository().create(expiring);
      expect(await repository().find(expiring.keyId)).toEqual(expiring);
      const lasting = keyFor(tenant('acme'));
      await repository().create(lasting);
      expect(await repository().find(lasting.keyId)).toMatchObject({ expiresAt: null, revokedAt: null });
    });

    it('revokes a key of its tenant once: a second revocation keeps the first time', async () => {
      const key = keyFor(tenant('acme'));
      await repository().create(key);
      const first = new Date('2025-03-01T10:00:00.000Z');
      expect(await repository().revoke(key.tenantId, key.keyId, first)).toEqual({ ...key, revokedAt: first });
      expect(await repository().find(key.keyId)).toEqual({ ...key, revokedAt: first });
      const again = await repository().revoke(key.tenantId, key.keyId, new Date('2025-03-02T10:00:00.000Z'));
      expect(again).toEqual({ ...key, revokedAt: first });
    });

    it("cannot revoke another tenant's key, nor an unknown one", async () => {
      const key = keyFor(tenant('acme'));
      await repository().create(key);
      expect(await repository().revoke(tenant('globex'), key.keyId, new Date())).toBeNull();
      expect(await repository().revoke(key.tenantId, keyFor('acme').keyId, new Date())).toBeNull();
      expect(await repository().find(key.keyId)).toEqual(key);
    });

    it("lists a tenant's keys, newest first, and never another tenant's", async () => {
      const [a, b] = [tenant('a'), tenant('b')];
      const older = newApiKey(a, 'older', ['bot'], new Date('2025-01-01T00:00:00.000Z')).key;
      const newer = newApiKey(a, 'newer', ['admin'], new Date('2025-01-02T00:00:00.000Z')).key;
      await repository().create(older);
      await repository().create(newer);
      await repository().create(keyFor(b));
      expect(await repository().list(a)).toEqual([newer, older]);
      expect(await repository().list(tenant('empty'))).toEqual([]);
    });

    it('refuses a key without a tenant', async () => {
      await expect(repository().create(keyFor(''))).rejects.toMatchObject({ code: 'invalid_argument' });
    });
  });
}
