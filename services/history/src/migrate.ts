import { createLogger } from '@parley/logger';
import { packageVersion } from '@parley/ops';
import { migrateSchema } from '@parley/postgres';
import { historyMigrations } from './adapters/history-schema.js';
import { loadStoreConfig } from './config.js';

// `DATABASE_URL=… node services/history/dist/migrate.js`: the migration step of a rollout. Applies
// history's pending migrations to its schema (DATABASE_SCHEMA) and prints what it applied.
let config: ReturnType<typeof loadStoreConfig>;
try {
  config = loadStoreConfig();
} catch (error) {
  console.error(`history migrate: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
// Logs go to stderr; stdout carries only the summary.
const logger = createLogger({
  service: 'history-migrate',
  version: packageVersion(import.meta.url),
  level: config.LOG_LEVEL,
  destination: process.stderr,
});
try {
  const applied = await migrateSchema({
    url: config.DATABASE_URL,
    migrations: historyMigrations(config.DATABASE_SCHEMA),
    appName: 'parley-history-migrate',
    logger,
  });
  const summary =
    applied.length > 0
      ? `applied ${applied.join(', ')} to schema ${config.DATABASE_SCHEMA}`
      : `schema ${config.DATABASE_SCHEMA} is up to date`;
  process.stdout.write(`history migrate: ${summary}\n`);
} catch (error) {
  logger.error({ err: error }, 'migration failed');
  console.error(`history migrate: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
