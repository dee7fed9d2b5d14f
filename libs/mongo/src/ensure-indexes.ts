import type { CreateIndexesOptions, Db, IndexSpecification } from 'mongodb';
import { MongoServerError } from 'mongodb';

export interface IndexSpec {
  readonly collection: string;
  readonly key: IndexSpecification;
  readonly options: CreateIndexesOptions & { readonly name: string };
}

/** A TTL index the server could not create; a TtlSweeper enforces it instead. */
export interface SweptExpiry {
  readonly collection: string;
  readonly field: string;
  readonly expireAfterSeconds: number;
}

const notImplemented = 238;

/**
 * Creates a service's indexes at start; idempotent (same name and spec is a no-op). Every index is
 * named so that a changed definition fails loudly instead of silently coexisting.
 *
 * FerretDB 1.x refuses TTL indexes (`expireAfterSeconds`, NotImplemented): there the index is
 * created without the option and returned, for a TtlSweeper to enforce the expiry.
 *
 * @example
 * const swept = await ensureIndexes(db, [
 *   { collection: 'messages', key: { threadId: 1, messageId: 1 }, options: { name: 'thread_message', unique: true } },
 *   { collection: 'sessions', key: { expiresAt: 1 }, options: { name: 'sessions_ttl', expireAfterSeconds: 0 } },
 * ]);
 */
export async function ensureIndexes(db: Db, specs: readonly IndexSpec[]): Promise<SweptExpiry[]> {
  const swept: SweptExpiry[] = [];
  for (const { collection, key, options } of specs) {
    try {
      await db.collection(collection).createIndex(key, options);
    } catch (error) {
      const { expireAfterSeconds, ...rest } = options;
      if (
        !(
          error instanceof MongoServerError &&
          error.code === notImplemented &&
          expireAfterSeconds !== undefined
        )
      )
        throw error;
      await db.collection(collection).createIndex(key, rest);
      const field = Object.keys(key as Record<string, unknown>)[0];
      if (!field) throw error;
      swept.push({ collection, field, expireAfterSeconds });
    }
  }
  return swept;
}
