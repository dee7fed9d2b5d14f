import { packageVersion } from '@parley/ops';
import { runMigrateCommand } from '@parley/postgres';
import { historySchema } from './adapters/history-schema.js';
import { loadStoreConfig } from './config.js';

// `DATABASE_URL=… node services/history/dist/migrate.js`: the migration step of a rollout
// (docs/database.md). Applies history's pending migrations to its schema (DATABASE_SCHEMA).
await runMigrateCommand({
  schema: historySchema,
  loadConfig: loadStoreConfig,
  version: packageVersion(import.meta.url),
});
