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
  insertOne(scope: TenantScope, document: OptionalUnlessRequiredId<T>): Promise<void>;
  findOneAndUpdate(
    scope: TenantScope,
    filter: Filter<T>,
    update: UpdateFilter<T>,
    options?: FindOneAndUpdateOptions,
  ): Promise<WithId<T> | null>;
  deleteMany(scope: TenantScope, filter: Filter<T>): Promise<number>;
}

function touchesTenant(update: object): boolean {
  const entries = Object.entries(update);
  if (entries.some(([key]) => !key.startsWith('$'))) return true;
  return entries.some(
    ([operator, fields]) =>
      fields !== null &&
      typeof fields === 'object' &&
      Object.entries(fields as object).some(
        ([field, value]) =>
          field === 'tenantId' ||
          field.startsWith('tenantId.') ||
          (operator === '$rename' && value === 'tenantId'),
      ),
  );
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
    if (!scope.tenantId) throw new ParleyError('invalid_argument', 'tenant scope is empty');
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
    async insertOne(scope, document) {
      if (!scope.tenantId) throw new ParleyError('invalid_argument', 'tenant scope is empty');
      if (document.tenantId !== scope.tenantId) {
        throw new ParleyError('permission_denied', 'document belongs to a tenant other than the scope');
      }
      await collection.insertOne(document);
    },
    async findOneAndUpdate(scope, filter, update, options = {}) {
      // The update may not move a document to another tenant (nor replace it wholesale); an upsert
      // takes tenantId from the scoped filter.
      if (touchesTenant(update))
        throw new ParleyError('permission_denied', 'an update may not change tenantId');
      return collection.findOneAndUpdate(scoped(scope, filter), update, {
        returnDocument: 'after',
        ...options,
      });
    },
    async deleteMany(scope, filter) {
      return (await collection.deleteMany(scoped(scope, filter))).deletedCount;
    },
  };
}
