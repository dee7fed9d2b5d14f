import { createLogger } from '@parley/logger';
import { packageVersion } from '@parley/ops';
import { migrateSchema } from '@parley/postgres';
import { authMigrations } from './adapters/auth-schema.js';
import { loadStoreConfig } from './config.js';

// `DATABASE_URL=… node services/auth/dist/migrate.js`: the migration step of a rollout. Applies
// auth's pending migrations to its schema (DATABASE_SCHEMA) and prints what it applied.
let config: ReturnType<typeof loadStoreConfig>;
try {
  config = loadStoreConfig();
} catch (error) {
  console.error(`auth migrate: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
const logger = createLogger({
  service: 'auth-migrate',
  version: packageVersion(import.meta.url),
  level: config.LOG_LEVEL,
  destination: process.stderr,
});
try {
  const applied = await migrateSchema({
    url: config.DATABASE_URL,
    migrations: authMigrations(config.DATABASE_SCHEMA),
    appName: 'parley-auth-migrate',
    logger,
  });
  process.stdout.write(
    applied.length > 0
      ? `auth migrate: applied ${applied.join(', ')} to schema ${config.DATABASE_SCHEMA}\n`
      : `auth migrate: schema ${config.DATABASE_SCHEMA} is up to date\n`,
  );
} catch (error) {
  logger.error({ err: error }, 'migration failed');
  console.error(`auth migrate: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
