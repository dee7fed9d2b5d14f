import type { CreateIndexesOptions, Db, IndexSpecification } from 'mongodb';

export interface IndexSpec {
  readonly collection: string;
  readonly key: IndexSpecification;
  readonly options: CreateIndexesOptions & { readonly name: string };
}

/**
 * Creates a service's indexes at start; idempotent (same name and spec is a no-op). Every index is
 * named so that a changed definition fails loudly instead of silently coexisting.
 *
 * @example
 * await ensureIndexes(db, [
 *   { collection: 'messages', key: { threadId: 1, messageId: 1 }, options: { name: 'thread_message', unique: true } },
 * ]);
 */
export async function ensureIndexes(db: Db, specs: readonly IndexSpec[]): Promise<void> {
  for (const { collection, key, options } of specs) {
    await db.collection(collection).createIndex(key, options);
  }
}
