import { packageVersion } from '@parley/ops';
import { runMigrateCommand } from '@parley/postgres';
import { ingressSchema } from './adapters/ingress-schema.js';
import { loadStoreConfig } from './config.js';

// `DATABASE_URL=… node services/ingress/dist/migrate.js`: the migration step of a rollout
// (docs/database.md). Applies ingress's pending migrations to its schema (DATABASE_SCHEMA).
await runMigrateCommand({
  schema: ingressSchema,
  loadConfig: loadStoreConfig,
  version: packageVersion(import.meta.url),
});
