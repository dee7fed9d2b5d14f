export { connectMongo, type ConnectMongoOptions } from './connect-mongo.js';
export { ensureIndexes, type IndexSpec } from './ensure-indexes.js';
export { isDuplicateKeyError, toStoreError } from './store-errors.js';
export { type TenantScope, tenantCollection, type TenantCollection } from './tenant-collection.js';
