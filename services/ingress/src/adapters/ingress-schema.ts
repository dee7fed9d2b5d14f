import { fileURLToPath } from 'node:url';
import type { ServiceSchema } from '@parley/postgres';

/** Ingress's store: its versioned migrations (services/ingress/migrations, beside src/ and dist/). */
export const ingressSchema: ServiceSchema = {
  service: 'ingress',
  migrationsDir: fileURLToPath(new URL('../../migrations/', import.meta.url)),
};
