import type { Logger } from '@parley/logger';
import { applyMigrations, type MigrationSet } from './migrations.js';
import { createPool } from './postgres-component.js';
import { toStoreError } from './postgres-errors.js';

/**
 * The migration step a platform runs before a rollout (a command, or the Kubernetes Job in
 * deploy/): applies a service's pending migrations and exits. Safe beside starting pods (they wait
 * for the same advisory lock) and a no-op when nothing is pending.
 *
 * @example
 * // services/auth/src/migrate.ts
 * await migrateSchema({ url: config.DATABASE_URL, migrations, appName: 'parley-auth-migrate', logger });
 */
export async function migrateSchema(options: {
  url: string;
  migrations: MigrationSet;
  appName: string;
  logger: Logger;
}): Promise<string[]> {
  const pool = createPool({
    url: options.url,
    schema: options.migrations.schema,
    appName: options.appName,
    // Migrations may rewrite tables: no statement timeout of the service's size.
    statementTimeoutMs: 10 * 60_000,
    maxConnections: 1,
  });
  try {
    const client = await pool.connect().catch((error) => {
      throw toStoreError(error, 'connect');
    });
    try {
      return await applyMigrations(client, options.migrations, options.logger);
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}
