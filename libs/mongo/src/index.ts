export { type ConnectMongoOptions, connectMongo } from './connect-mongo.js';
export { ensureIndexes, type IndexSpec, type SweptExpiry } from './ensure-indexes.js';
export { type InsertWithNextSequenceOptions, insertWithNextSequence } from './insert-with-next-sequence.js';
export { createMongoComponent, type MongoComponent } from './mongo-component.js';
export { isDuplicateKeyError, toStoreError } from './store-errors.js';
export { type TenantCollection, type TenantScope, tenantCollection } from './tenant-collection.js';
export { createTtlSweeper, type TtlSweeper } from './ttl-sweeper.js';
