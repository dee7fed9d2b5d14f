import { insertWithNextSequence, isDuplicateKeyError, tenantCollection, toStoreError } from '@parley/mongo';
import type { Db } from 'mongodb';
import type { CustomField, FieldValue, StoredMessage, Thread } from '../domain/model.js';
import type { CustomerStore, MessageStore, ThreadStore } from '../domain/ports.js';

async function store<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toStoreError(error, operation);
  }
}

/** What the brand said about a customer at `at` (one document per fetch). */
interface SnapshotDocument {
  readonly tenantId: string;
  readonly customerKey: string;
  readonly id: string;
  readonly name: string | null;
  readonly fields: Record<string, FieldValue>;
  readonly at: Date;
}

/** How old a stored snapshot may get before an unchanged fetch from the brand is stored again. */
const snapshotRefreshMs = 60_000;

function sameSnapshot(
  stored: SnapshotDocument,
  fresh: { id: string; name: string | null; fields: Record<string, FieldValue> },
): boolean {
  if (stored.id !== fresh.id || stored.name !== fresh.name) return false;
  const names = Object.keys(fresh.fields);
  return (
    names.length === Object.keys(stored.fields).length &&
    names.every((name) => Object.is(stored.fields[name], fresh.fields[name]))
  );
}

/** One agent-owned field of a customer. */
interface AgentFieldDocument {
  readonly tenantId: string;
  readonly customerKey: string;
  readonly name: string;
  readonly value: FieldValue;
  readonly at: Date;
}

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
  const snapshotDocs = () => tenantCollection(db().collection<SnapshotDocument>('customer_snapshots'));
  const agentFieldDocs = () => tenantCollection(db().collection<AgentFieldDocument>('customer_agent_fields'));
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

  // A thread's owner never changes once stored, so threads known to be stored are remembered here
  // (bounded) and cost no round trip on the next message.
  const knownThreads = new Set<string>();
  const threads: ThreadStore = {
    remember: (thread) =>
      store('remember thread', async () => {
        const known = `${thread.tenantId}\u0000${thread.threadId}`;
        if (knownThreads.has(known)) return;
        const scope = { tenantId: thread.tenantId };
        if (!(await threadDocs().findOne(scope, { threadId: thread.threadId }))) {
          try {
            await threadDocs().insertOne(scope, { ...thread });
          } catch (error) {
            if (!isDuplicateKeyError(error)) throw error; // someone else remembered it first
          }
        }
        if (knownThreads.size >= 100_000) knownThreads.clear();
        knownThreads.add(known);
      }),
    find: (tenantId, threadId) =>
      store('find thread', async () => strip<Thread>(await threadDocs().findOne({ tenantId }, { threadId }))),
  };

  // A customer profile is never read, modified and written back (not atomic on FerretDB, see
  // libs/mongo/README.md): each brand snapshot is an insert (the newest by fetch time wins, whatever
  // order they arrive in) and each agent field is a document of its own, so neither writer can
  // undo the other.
  const customers: CustomerStore = {
    find: (tenantId, customerKey) =>
      store('find customer', async () => {
        const scope = { tenantId };
        const [snapshot] = await snapshotDocs().find(scope, { customerKey }, { sort: { at: -1 }, limit: 1 });
        if (!snapshot) return null;
        const fields: Record<string, CustomField> = {};
        for (const doc of await agentFieldDocs().find(scope, { customerKey }))
          fields[doc.name] = { value: doc.value, source: 'agent', at: doc.at };
        for (const [name, value] of Object.entries(snapshot.fields))
          fields[name] = { value, source: 'oauth', at: snapshot.at };
        return { tenantId, customerKey, id: snapshot.id, name: snapshot.name, fields };
      }),
    saveFromOrigin: (profile) =>
      store('save customer', async () => {
        const scope = { tenantId: profile.tenantId };
        const { tenantId, customerKey, id, name, fields, at } = profile;
        // Most messages bring what is stored already: then one read, no write (the snapshot's fetch
        // time is renewed at most every SNAPSHOT_REFRESH_MS). An older snapshot never replaces a newer.
        const [latest] = await snapshotDocs().find(scope, { customerKey }, { sort: { at: -1 }, limit: 1 });
        if (latest && latest.at >= at) return;
        if (latest && at.getTime() - latest.at.getTime() < snapshotRefreshMs && sameSnapshot(latest, profile))
          return;
        try {
          await snapshotDocs().insertOne(scope, { tenantId, customerKey, id, name, fields, at });
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error; // this very snapshot, stored before a redelivery
        }
        // Older snapshots are never read again; the newest stays, whichever writer is last.
        await snapshotDocs().deleteMany(scope, { customerKey, at: { $lt: at } });
      }),
    saveAgentFields: (tenantId, customerKey, values, at) =>
      store('save agent fields', async () => {
        const scope = { tenantId };
        for (const [name, value] of Object.entries(values)) {
          const filter = { customerKey, name };
          const update = { $set: { value, at } };
          try {
            await agentFieldDocs().findOneAndUpdate(scope, filter, update, { upsert: true });
          } catch (error) {
            // Two agents creating the same field at once: one insert wins, the other updates it.
            if (!isDuplicateKeyError(error)) throw error;
            await agentFieldDocs().findOneAndUpdate(scope, filter, update);
          }
        }
      }),
  };

  return { messages, threads, customers };
}
