import type { Logger } from '@parley/logger';
import { applyMigrations, type MigrationSet } from './migrations.js';
import { createPool } from './pool.js';
import { toStoreError } from './postgres-errors.js';

/**
 * The migration step a platform runs before a rollout (a command, or the Kubernetes Job in
 * deploy/): applies a service's pending migrations and exits. Safe beside starting pods (they wait
 * for the same advisory lock) and a no-op when nothing is pending. Returns the names applied.
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
  connectTimeoutMs?: number;
}): Promise<string[]> {
  const pool = createPool({
    url: options.url,
    schema: options.migrations.schema,
    appName: options.appName,
    // Migrations may rewrite tables, and wait for another starter's: not the service's timeout.
    statementTimeoutMs: 10 * 60_000, // 10 min
    connectTimeoutMs: options.connectTimeoutMs,
    maxConnections: 1,
  });
  // An idle connection lost during the pool's short life is not a reason to crash.
  pool.on('error', () => {});
  try {
    const client = await pool.connect().catch((error) => {
      throw toStoreError(error, 'connect');
    });
    let failure: Error | undefined;
    // Checked out, the client has no listener of the pool's: a connection lost mid-migration must
    // fail the migration, not end the process with an unhandled 'error' event.
    client.on('error', (error) => {
      failure ??= error;
    });
    try {
      return await applyMigrations(client, options.migrations, options.logger);
    } catch (error) {
      failure = error as Error;
      throw error;
    } finally {
      client.release(failure);
    }
  } finally {
    await pool.end();
  }
}
