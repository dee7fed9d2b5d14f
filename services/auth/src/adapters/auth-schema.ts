import { fileURLToPath } from 'node:url';
import { type ExpirySweep, type MigrationSet, sql } from '@parley/postgres';

/** The command that applies auth's migrations (named when a pod finds its schema too old). */
export const migrateCommand = 'node services/auth/dist/migrate.js';

/** Auth's versioned migrations (services/auth/migrations, beside src/ and dist/), in `schema`. */
export function authMigrations(schema: string): MigrationSet {
  return { schema, dir: fileURLToPath(new URL('../../migrations/', import.meta.url)) };
}

const sweepBatch = 1000;

/**
 * The periodic batched deletes of expired sessions and refresh leases. Reads ignore expired rows
 * already; these only reclaim the space.
 */
export const authExpirySweeps: readonly ExpirySweep[] = [
  {
    operation: 'sweep expired sessions',
    statement: sql`delete from sessions where ctid in
      (select ctid from sessions where expires_at < now() limit ${sweepBatch}) returning 1`,
    batchSize: sweepBatch,
  },
  {
    operation: 'sweep expired refresh locks',
    statement: sql`delete from refresh_locks where ctid in
      (select ctid from refresh_locks where expires_at < now() limit ${sweepBatch}) returning 1`,
    batchSize: sweepBatch,
  },
];
