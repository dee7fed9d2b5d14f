export { createDatabase, type Database, type Queryable, type TenantDatabase } from './database.js';
export { createExpirySweeper, type ExpirySweep, type ExpirySweeper } from './expiry-sweeper.js';
export { migrateSchema } from './migrate-command.js';
export { applyMigrations, knownMigrations, type MigrationSet, verifyMigrations } from './migrations.js';
export { createPool } from './pool.js';
export {
  createPostgresComponent,
  type PostgresComponent,
  type PostgresOptions,
} from './postgres-component.js';
export { isTransientStoreError, isUniqueViolation, sqlState, toStoreError } from './postgres-errors.js';
export {
  migrateCommandOf,
  type PostgresConfig,
  runMigrateCommand,
  type ServiceSchema,
  serviceStore,
} from './service-store.js';
export { type SqlStatement, sql } from './sql.js';
