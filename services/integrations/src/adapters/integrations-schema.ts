import { fileURLToPath } from 'node:url';
import { type ExpirySweep, type ServiceSchema, sql } from '@parley/postgres';

const sweepBatch = 1000;

/**
 * The periodic batched deletes of what left the retention window: deliveries first (they expire
 * with their event), then the events. Reads ignore expired rows already; these reclaim the space.
 */
const integrationsExpirySweeps: readonly ExpirySweep[] = [
  {
    operation: 'sweep expired deliveries',
    statement: sql`delete from deliveries where ctid in
      (select ctid from deliveries where expires_at < now() limit ${sweepBatch}) returning 1`,
    batchSize: sweepBatch,
  },
  {
    operation: 'sweep expired events',
    statement: sql`delete from events where ctid in
      (select ctid from events where expires_at < now() limit ${sweepBatch}) returning 1`,
    batchSize: sweepBatch,
  },
];

/** Integrations' store: its migrations (services/integrations/migrations) and sweeps. */
export const integrationsSchema: ServiceSchema = {
  service: 'integrations',
  migrationsDir: fileURLToPath(new URL('../../migrations/', import.meta.url)),
  sweeps: integrationsExpirySweeps,
};
