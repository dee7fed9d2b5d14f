import { MongoNetworkError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { isDuplicateKeyError, tenantCollection, toStoreError } from './index.js';

describe('store errors', () => {
  it('recognises duplicate keys', () => {
    expect(isDuplicateKeyError(new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key' }))).toBe(
      true,
    );
    expect(isDuplicateKeyError(new MongoServerError({ code: 2, errmsg: 'bad value' }))).toBe(false);
    expect(isDuplicateKeyError(new Error('E11000'))).toBe(false);
  });

  it('maps an unreachable server or a primary change to dependency_unavailable, others to a retriable server_error', () => {
    expect(
      toStoreError(new MongoServerError({ code: 10107, errmsg: 'not primary' }), 'insert'),
    ).toMatchObject({
      code: 'dependency_unavailable',
      retriable: true,
    });
    expect(toStoreError(new MongoNetworkError('connection reset'), 'insert')).toMatchObject({
      code: 'dependency_unavailable',
      retriable: true,
    });
    // Unexplained failures stay retriable, so an accepted message is redelivered, never dead-lettered.
    expect(toStoreError(new MongoServerError({ code: 2, errmsg: 'bad' }), 'insert')).toMatchObject({
      code: 'server_error',
      retriable: true,
    });
  });
});

describe('tenantCollection', () => {
  // The scope is applied before the driver is reached, so a collection that records calls suffices.
  const calls: unknown[] = [];
  const collection = {
    collectionName: 'customers',
    findOne: async (filter: unknown) => {
      calls.push(filter);
      return null;
    },
    insertOne: async (document: unknown) => {
      calls.push(document);
    },
  };
  const customers = tenantCollection(collection as never);

  it('adds the tenant to every filter', async () => {
    await customers.findOne({ tenantId: 'a' }, { customerKey: 'ck' } as never);
    expect(calls.at(-1)).toEqual({ customerKey: 'ck', tenantId: 'a' });
  });

  it('refuses other tenants in filters, documents and updates, and an empty scope', async () => {
    await expect(customers.findOne({ tenantId: 'a' }, { tenantId: 'b' } as never)).rejects.toMatchObject({
      code: 'permission_denied',
    });
    await expect(customers.findOne({ tenantId: '' }, {} as never)).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(customers.insertOne({ tenantId: 'a' }, { tenantId: 'b' } as never)).rejects.toMatchObject({
      code: 'permission_denied',
    });
    await expect(
      customers.findOneAndUpdate({ tenantId: 'a' }, {} as never, { $rename: { other: 'tenantId' } } as never),
    ).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(
      customers.findOneAndUpdate({ tenantId: 'a' }, {} as never, { $set: { tenantId: 'b' } } as never),
    ).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(
      customers.findOneAndUpdate({ tenantId: 'a' }, {} as never, { name: 'replacement' } as never),
    ).rejects.toMatchObject({ code: 'permission_denied' });
  });
});
