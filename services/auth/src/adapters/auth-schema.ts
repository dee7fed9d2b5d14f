import { fileURLToPath } from 'node:url';
import { type ExpirySweep, type ServiceSchema, sql } from '@parley/postgres';

const sweepBatch = 1000;

/**
 * The periodic batched deletes of expired sessions, refresh leases and refused-call records. Reads
 * ignore expired sessions and leases already; these only reclaim the space.
 */
const authExpirySweeps: readonly ExpirySweep[] = [
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
  {
    operation: 'sweep expired refused calls',
    statement: sql`delete from refused_calls where ctid in
      (select ctid from refused_calls where expires_at < now() limit ${sweepBatch}) returning 1`,
    batchSize: sweepBatch,
  },
];

/** Auth's store: its versioned migrations (services/auth/migrations, beside src/ and dist/) and sweeps. */
export const authSchema: ServiceSchema = {
  service: 'auth',
  migrationsDir: fileURLToPath(new URL('../../migrations/', import.meta.url)),
  sweeps: authExpirySweeps,
};
