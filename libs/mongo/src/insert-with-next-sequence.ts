import { setTimeout as sleep } from 'node:timers/promises';
import { ParleyError } from '@parley/errors';
import type { Collection, Document, Filter, OptionalUnlessRequiredId, WithId } from 'mongodb';
import { isDuplicateKeyError, toStoreError } from './store-errors.js';

export interface InsertWithNextSequenceOptions<T extends Document> {
  readonly collection: Collection<T>;
  /** Selects the documents of one sequence, e.g. `{ tenantId, threadId }`. */
  readonly sequenceOf: Filter<T>;
  /** The numeric field; a unique index on (sequence fields, this field) must exist. */
  readonly field: keyof T & string;
  readonly build: (seq: number) => OptionalUnlessRequiredId<T>;
  /**
   * Called after a duplicate-key error: returns the document when the insert was a duplicate of one
   * already stored (idempotent write), or null when the sequence number was taken by someone else.
   */
  readonly findExisting: () => Promise<WithId<T> | null>;
  readonly maxAttempts?: number;
}

/**
 * Inserts a document with the next number of a sequence (max + 1), atomically on MongoDB and on
 * FerretDB alike. The unique index decides between concurrent writers: read-modify-write updates
 * (`$inc`, even conditional ones) are not atomic under concurrency on FerretDB 1.x, inserts into a
 * unique index are. Numbers are unique among stored documents and never skipped; deleting the
 * highest-numbered document would let its number be handed out again, so callers keep the newest
 * document of a sequence (or a tombstone of it).
 *
 * @example
 * const { seq, inserted } = await insertWithNextSequence({
 *   collection: messages, sequenceOf: { threadId }, field: 'seq',
 *   build: (seq) => ({ threadId, messageId, seq, text }),
 *   findExisting: () => messages.findOne({ threadId, messageId }),
 * });
 */
export async function insertWithNextSequence<T extends Document>(
  options: InsertWithNextSequenceOptions<T>,
): Promise<{ document: WithId<T> | OptionalUnlessRequiredId<T>; seq: number; inserted: boolean }> {
  const { collection, sequenceOf, field, build, findExisting, maxAttempts = 100 } = options;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const last = await collection.findOne(sequenceOf, { sort: { [field]: -1 }, projection: { [field]: 1 } });
    const seq = Number(last?.[field] ?? 0) + 1;
    const document = build(seq);
    try {
      await collection.insertOne(document);
      return { document, seq, inserted: true };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw toStoreError(error, 'insert with next sequence number');
      const existing = await findExisting();
      if (existing) return { document: existing, seq: Number(existing[field]), inserted: false };
      // Lost the race for this number: back off a little (jittered) so that writers spread out.
      await sleep(Math.random() * Math.min(50, attempt * 2));
    }
  }
  throw new ParleyError('dependency_unavailable', `no free sequence number after ${maxAttempts} attempts`, {
    context: { collection: collection.collectionName },
  });
}
