import { fileURLToPath } from 'node:url';
import type { MigrationSet } from '@parley/postgres';

/** The command that applies history's migrations (named when a pod finds its schema too old). */
export const migrateCommand = 'node services/history/dist/migrate.js';

/** History's versioned migrations (services/history/migrations, beside src/ and dist/), in `schema`. */
export function historyMigrations(schema: string): MigrationSet {
  return { schema, dir: fileURLToPath(new URL('../../migrations/', import.meta.url)) };
}
