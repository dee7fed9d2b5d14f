import { createLogger } from '@parley/logger';
import { packageVersion } from '@parley/ops';
import { migrateSchema } from '@parley/postgres';
import { ingressMigrations } from './adapters/ingress-schema.js';
import { loadStoreConfig } from './config.js';

// `DATABASE_URL=… node services/ingress/dist/migrate.js`: the migration step of a rollout. Applies
// ingress's pending migrations to its schema (DATABASE_SCHEMA) and prints what it applied.
let config: ReturnType<typeof loadStoreConfig>;
try {
  config = loadStoreConfig();
} catch (error) {
  console.error(`ingress migrate: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
// Logs go to stderr; stdout carries only the summary.
const logger = createLogger({
  service: 'ingress-migrate',
  version: packageVersion(import.meta.url),
  level: config.LOG_LEVEL,
  destination: process.stderr,
});
try {
  const applied = await migrateSchema({
    url: config.DATABASE_URL,
    migrations: ingressMigrations(config.DATABASE_SCHEMA),
    appName: 'parley-ingress-migrate',
    logger,
  });
  const summary =
    applied.length > 0
      ? `applied ${applied.join(', ')} to schema ${config.DATABASE_SCHEMA}`
      : `schema ${config.DATABASE_SCHEMA} is up to date`;
  process.stdout.write(`ingress migrate: ${summary}\n`);
} catch (error) {
  logger.error({ err: error }, 'migration failed');
  console.error(`ingress migrate: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
