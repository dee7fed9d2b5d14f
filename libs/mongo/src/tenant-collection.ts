import { ParleyError } from '@parley/errors';
import type {
  Collection,
  Document,
  Filter,
  FindOneAndUpdateOptions,
  FindOptions,
  OptionalUnlessRequiredId,
  UpdateFilter,
  WithId,
} from 'mongodb';

/** A tenant id; every query through a TenantCollection is confined to one. */
export interface TenantScope {
  readonly tenantId: string;
}

/**
 * The part of a collection that repositories use, with the tenant part of every filter and every
 * inserted document: an unscoped query does not compile.
 */
export interface TenantCollection<T extends Document & TenantScope> {
  findOne(scope: TenantScope, filter: Filter<T>, options?: FindOptions): Promise<WithId<T> | null>;
  find(scope: TenantScope, filter: Filter<T>, options?: FindOptions): Promise<WithId<T>[]>;
  insertOne(document: OptionalUnlessRequiredId<T>): Promise<void>;
  findOneAndUpdate(
    scope: TenantScope,
    filter: Filter<T>,
    update: UpdateFilter<T>,
    options?: FindOneAndUpdateOptions,
  ): Promise<WithId<T> | null>;
  deleteMany(scope: TenantScope, filter: Filter<T>): Promise<number>;
}

/**
 * Wraps a collection so that every operation is scoped to a tenant.
 *
 * @example
 * const threads = tenantCollection(db.collection<Thread>('threads'));
 * await threads.findOne({ tenantId }, { customerKey });
 */
export function tenantCollection<T extends Document & TenantScope>(
  collection: Collection<T>,
): TenantCollection<T> {
  const scoped = (scope: TenantScope, filter: Filter<T>): Filter<T> => {
    // A filter naming another tenant is a bug in the caller: refuse it rather than guess.
    if ('tenantId' in filter && filter.tenantId !== scope.tenantId) {
      throw new ParleyError('permission_denied', 'filter names a tenant other than the scope', {
        context: { collection: collection.collectionName },
      });
    }
    return { ...filter, tenantId: scope.tenantId };
  };
  return {
    findOne: async (scope, filter, options = {}) => collection.findOne(scoped(scope, filter), options),
    find: async (scope, filter, options = {}) => collection.find(scoped(scope, filter), options).toArray(),
    async insertOne(document) {
      if (!document.tenantId) throw new ParleyError('invalid_argument', 'document has no tenantId');
      await collection.insertOne(document);
    },
    findOneAndUpdate: async (scope, filter, update, options = {}) =>
      collection.findOneAndUpdate(scoped(scope, filter), update, { returnDocument: 'after', ...options }),
    async deleteMany(scope, filter) {
      return (await collection.deleteMany(scoped(scope, filter))).deletedCount;
    },
  };
}
