import { packageVersion } from '@parley/ops';
import { runMigrateCommand } from '@parley/postgres';
import { authSchema } from './adapters/auth-schema.js';
import { loadStoreConfig } from './config.js';

// `DATABASE_URL=… node services/auth/dist/migrate.js`: the migration step of a rollout
// (docs/database.md). Applies auth's pending migrations to its schema (DATABASE_SCHEMA).
await runMigrateCommand({
  schema: authSchema,
  loadConfig: loadStoreConfig,
  version: packageVersion(import.meta.url),
});
