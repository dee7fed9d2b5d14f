import { packageVersion } from '@parley/ops';
import { runMigrateCommand } from '@parley/postgres';
import { integrationsSchema } from './adapters/integrations-schema.js';
import { loadStoreConfig } from './config.js';

// `DATABASE_URL=… node services/integrations/dist/migrate.js`: the migration step of a rollout
// (docs/database.md). Applies integrations' pending migrations to its schema (DATABASE_SCHEMA).
await runMigrateCommand({
  schema: integrationsSchema,
  loadConfig: loadStoreConfig,
  version: packageVersion(import.meta.url),
});
