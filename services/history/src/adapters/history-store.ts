import { insertWithNextSequence, isDuplicateKeyError, tenantCollection, toStoreError } from '@parley/mongo';
import type { Db } from 'mongodb';
import type { CustomerProfile, CustomField, StoredMessage, Thread } from '../domain/model.js';
import type { CustomerStore, MessageStore, ThreadStore } from '../domain/ports.js';

async function store<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toStoreError(error, operation);
  }
}

type CustomerDocument = CustomerProfile;

/**
 * History's MongoDB adapters. Thread numbers come from inserts under a unique index (atomic on
 * MongoDB and FerretDB alike; see libs/mongo/README.md), never from a read-modify-write counter.
 */
export function createHistoryStores(db: () => Db): {
  messages: MessageStore;
  threads: ThreadStore;
  customers: CustomerStore;
} {
  const messageDocs = () => db().collection<StoredMessage>('messages');
  const threadDocs = () => tenantCollection(db().collection<Thread>('threads'));
  const customerDocs = () => tenantCollection(db().collection<CustomerDocument>('customers'));
  const strip = <T extends object>(doc: (T & { _id?: unknown }) | null): T | null => {
    if (!doc) return null;
    const { _id, ...rest } = doc;
    return rest as T;
  };

  const messages: MessageStore = {
    store: (message) =>
      store('store message', async () => {
        const collection = messageDocs();
        const key = { tenantId: message.tenantId, threadId: message.threadId };
        const { document, inserted } = await insertWithNextSequence({
          collection,
          sequenceOf: key,
          field: 'seq',
          build: (seq) => ({ ...message, seq }),
          findExisting: () => collection.findOne({ ...key, messageId: message.messageId }),
        });
        return { message: strip<StoredMessage>(document as StoredMessage) as StoredMessage, inserted };
      }),
    after: (tenantId, threadId, afterSeq, limit) =>
      store('read messages', async () =>
        (
          await messageDocs()
            .find({ tenantId, threadId, seq: { $gt: afterSeq } }, { sort: { seq: 1 }, limit })
            .toArray()
        ).map((doc) => strip<StoredMessage>(doc) as StoredMessage),
      ),
  };

  const threads: ThreadStore = {
    remember: (thread) =>
      store('remember thread', async () => {
        const scope = { tenantId: thread.tenantId };
        if (await threadDocs().findOne(scope, { threadId: thread.threadId })) return;
        try {
          await threadDocs().insertOne(scope, { ...thread });
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error; // someone else remembered it first
        }
      }),
    find: (tenantId, threadId) =>
      store('find thread', async () => strip<Thread>(await threadDocs().findOne({ tenantId }, { threadId }))),
  };

  const customers: CustomerStore = {
    find: (tenantId, customerKey) =>
      store('find customer', async () =>
        strip<CustomerProfile>(await customerDocs().findOne({ tenantId }, { customerKey })),
      ),
    saveFromOrigin: (profile) =>
      store('save customer', async () => {
        const scope = { tenantId: profile.tenantId };
        const existing = await customerDocs().findOne(scope, { customerKey: profile.customerKey });
        const fields: Record<string, CustomField> = {};
        for (const [name, field] of Object.entries(existing?.fields ?? {}))
          if (field.source === 'agent') fields[name] = field;
        for (const [name, value] of Object.entries(profile.fields))
          fields[name] = { value, source: 'oauth', at: profile.at };
        const update = { $set: { id: profile.id, name: profile.name, fields } };
        // Updates for one customer arrive in order (keyed topics); the retry covers a racing first insert.
        for (let attempt = 0; ; attempt += 1) {
          try {
            await customerDocs().findOneAndUpdate(scope, { customerKey: profile.customerKey }, update, {
              upsert: true,
            });
            return;
          } catch (error) {
            if (!isDuplicateKeyError(error) || attempt > 0) throw error;
          }
        }
      }),
    saveAgentFields: (tenantId, customerKey, values, at) =>
      store('save agent fields', async () => {
        const set = Object.fromEntries(
          Object.entries(values).map(([name, value]) => [`fields.${name}`, { value, source: 'agent', at }]),
        );
        await customerDocs().findOneAndUpdate({ tenantId }, { customerKey }, { $set: set });
      }),
  };

  return { messages, threads, customers };
}
