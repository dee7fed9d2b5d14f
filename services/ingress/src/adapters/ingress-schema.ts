import { fileURLToPath } from 'node:url';
import type { MigrationSet } from '@parley/postgres';

/** The command that applies ingress's migrations (named when a pod finds its schema too old). */
export const migrateCommand = 'node services/ingress/dist/migrate.js';

/** Ingress's versioned migrations (services/ingress/migrations, beside src/ and dist/), in `schema`. */
export function ingressMigrations(schema: string): MigrationSet {
  return { schema, dir: fileURLToPath(new URL('../../migrations/', import.meta.url)) };
}
