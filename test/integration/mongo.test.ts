import {
  connectMongo,
  createTtlSweeper,
  ensureIndexes,
  insertWithNextSequence,
  isDuplicateKeyError,
  tenantCollection,
  toStoreError,
} from '@parley/mongo';
import type { Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomName, testInfra } from '../support/harness.js';

interface Counter {
  _id: string;
  tenantId: string;
  seq: number;
}

describe('mongo against the real store', () => {
  let client: MongoClient;
  let db: Db;

  beforeAll(async () => {
    client = await connectMongo({ url: testInfra().mongoUrl, appName: 'parley-test' });
    db = client.db(randomName('test').replace('-', '_'));
    console.log(`mongo test store: ${testInfra().store}`);
  });

  afterAll(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  it('creates indexes idempotently and enforces a unique one', async () => {
    const specs = [
      {
        collection: 'messages',
        key: { threadId: 1, messageId: 1 },
        options: { name: 'thread_message', unique: true },
      },
      { collection: 'messages', key: { threadId: 1, seq: 1 }, options: { name: 'thread_seq' } },
    ] as const;
    await ensureIndexes(db, specs);
    await ensureIndexes(db, specs);
    const names = (await db.collection('messages').listIndexes().toArray()).map((index) => index.name);
    expect(names).toEqual(expect.arrayContaining(['thread_message', 'thread_seq']));

    await db.collection('messages').insertOne({ threadId: 't1', messageId: 'm1', text: 'first' });
    const duplicate = db.collection('messages').insertOne({ threadId: 't1', messageId: 'm1', text: 'again' });
    await expect(duplicate).rejects.toSatisfy(isDuplicateKeyError);
    expect(await db.collection('messages').countDocuments({ threadId: 't1' })).toBe(1);
  });

  it('increments a counter with findOneAndUpdate $inc and upsert', async () => {
    const counters = db.collection<Counter>('counters');
    const first = await counters.findOneAndUpdate(
      { _id: 'c1' },
      { $inc: { seq: 1 }, $setOnInsert: { tenantId: 'tenant-a' } },
      { upsert: true, returnDocument: 'after' },
    );
    expect(first).toEqual({ _id: 'c1', tenantId: 'tenant-a', seq: 1 });
    for (let n = 2; n <= 5; n += 1) {
      const next = await counters.findOneAndUpdate(
        { _id: 'c1' },
        { $inc: { seq: 1 } },
        { returnDocument: 'after' },
      );
      expect(next?.seq).toBe(n);
    }
  });

  it('allocates gap-free, unique sequence numbers to concurrent writers, idempotently', async () => {
    interface Message {
      tenantId: string;
      threadId: string;
      messageId: string;
      seq: number;
    }
    const messages = db.collection<Message>('sequenced');
    await ensureIndexes(db, [
      {
        collection: 'sequenced',
        key: { threadId: 1, messageId: 1 },
        options: { name: 'thread_message', unique: true },
      },
      {
        collection: 'sequenced',
        key: { threadId: 1, seq: 1 },
        options: { name: 'thread_seq', unique: true },
      },
    ]);
    const store = (messageId: string) =>
      insertWithNextSequence({
        collection: messages,
        sequenceOf: { threadId: 'th1' },
        field: 'seq',
        build: (seq) => ({ tenantId: 'tenant-a', threadId: 'th1', messageId, seq }),
        findExisting: () => messages.findOne({ threadId: 'th1', messageId }),
      });
    // 20 distinct messages, each sent twice at the same time (a redelivery racing the original).
    const ids = Array.from({ length: 20 }, (_, i) => `m${i}`);
    const results = await Promise.all([...ids, ...ids].map(store));
    const stored = await messages.find({ threadId: 'th1' }).sort({ seq: 1 }).toArray();
    expect(stored.map((message) => message.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(stored.map((message) => message.messageId))).toEqual(new Set(ids));
    expect(results.filter((result) => result.inserted)).toHaveLength(20);
    for (const id of ids) {
      const pair = results.filter((result) => (result.document as Message).messageId === id);
      expect(
        pair.map((result) => result.seq),
        id,
      ).toEqual([pair[0]?.seq, pair[0]?.seq]);
    }
  });

  it('creates a TTL index, or on stores without TTL support an index a sweeper enforces', async () => {
    const swept = await ensureIndexes(db, [
      {
        collection: 'sessions',
        key: { expiresAt: 1 },
        options: { name: 'sessions_ttl', expireAfterSeconds: 0 },
      },
    ]);
    const index = (await db.collection('sessions').listIndexes().toArray()).find(
      (spec) => spec.name === 'sessions_ttl',
    );
    expect(index).toMatchObject({ key: { expiresAt: 1 } });
    if (testInfra().store.startsWith('FerretDB')) {
      expect(swept).toEqual([{ collection: 'sessions', field: 'expiresAt', expireAfterSeconds: 0 }]);
    } else {
      expect(swept).toEqual([]);
      expect(index).toMatchObject({ expireAfterSeconds: 0 });
    }
    const now = Date.now();
    await db.collection('sessions').insertMany([
      { _id: 'expired' as never, expiresAt: new Date(now - 1000) },
      { _id: 'live' as never, expiresAt: new Date(now + 60_000) },
    ]);
    const sweeper = createTtlSweeper({
      db,
      expiries: [{ collection: 'sessions', field: 'expiresAt', expireAfterSeconds: 0 }],
      onError: () => {},
    });
    expect(await sweeper.sweepOnce()).toBe(1);
    expect((await db.collection('sessions').find().toArray()).map((doc) => doc._id)).toEqual(['live']);
  });

  it('confines every tenant-scoped query to its tenant', async () => {
    const customers = tenantCollection(
      db.collection<{ tenantId: string; customerKey: string; name: string }>('customers'),
    );
    await customers.insertOne(
      { tenantId: 'tenant-a' },
      { tenantId: 'tenant-a', customerKey: 'ck1', name: 'Ada' },
    );
    await customers.insertOne(
      { tenantId: 'tenant-b' },
      { tenantId: 'tenant-b', customerKey: 'ck1', name: 'Bob' },
    );
    await expect(
      customers.insertOne(
        { tenantId: 'tenant-a' },
        { tenantId: 'tenant-b', customerKey: 'ck2', name: 'Eve' },
      ),
    ).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(
      customers.findOneAndUpdate(
        { tenantId: 'tenant-a' },
        { customerKey: 'ck1' },
        { $set: { tenantId: 'tenant-b' } },
      ),
    ).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(customers.find({ tenantId: '' }, {})).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(await customers.findOne({ tenantId: 'tenant-a' }, { customerKey: 'ck1' })).toMatchObject({
      name: 'Ada',
    });
    await expect(customers.find({ tenantId: 'tenant-a' }, { tenantId: 'tenant-b' })).rejects.toMatchObject({
      code: 'permission_denied',
    });
    const updated = await customers.findOneAndUpdate(
      { tenantId: 'tenant-b' },
      { customerKey: 'ck1' },
      { $set: { name: 'Bobby' } },
    );
    expect(updated).toMatchObject({ tenantId: 'tenant-b', name: 'Bobby' });
    expect(await customers.findOne({ tenantId: 'tenant-a' }, { customerKey: 'ck1' })).toMatchObject({
      name: 'Ada',
    });
    expect(await customers.deleteMany({ tenantId: 'tenant-a' }, {})).toBe(1);
    expect(await customers.find({ tenantId: 'tenant-b' }, {})).toHaveLength(1);
  });

  it('reports an unreachable server as dependency_unavailable', async () => {
    const refused = connectMongo({
      url: 'mongodb://127.0.0.1:1/',
      appName: 'parley-test',
      serverSelectionTimeoutMs: 300,
    });
    await expect(refused).rejects.toMatchObject({ code: 'dependency_unavailable', retriable: true });
    const error = await refused.catch((caught: unknown) => caught);
    expect(toStoreError((error as Error).cause, 'ping')).toMatchObject({ code: 'dependency_unavailable' });
  });
});
