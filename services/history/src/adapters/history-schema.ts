import { fileURLToPath } from 'node:url';
import type { ServiceSchema } from '@parley/postgres';

/** History's store: its versioned migrations (services/history/migrations, beside src/ and dist/). */
export const historySchema: ServiceSchema = {
  service: 'history',
  migrationsDir: fileURLToPath(new URL('../../migrations/', import.meta.url)),
};
