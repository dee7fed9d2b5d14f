import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { ParleyError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { runner } from 'node-pg-migrate';
import type { ClientBase, Pool } from 'pg';
import { isTransientStoreError, sqlState, toStoreError } from './postgres-errors.js';

/** Where a service's versioned SQL migrations live, and the schema they build. */
export interface MigrationSet {
  /** The service's own schema, e.g. `auth`; its migrations table lives there too. */
  readonly schema: string;
  /** A folder of `NNNN_name.sql` files with `-- Up Migration` / `-- Down Migration` sections. */
  readonly dir: string;
}

/** The migrations table node-pg-migrate keeps in each service's schema. */
const migrationsTable = 'pgmigrations';

/** The names of the migrations this build of the service knows, oldest first. */
export async function knownMigrations(dir: string): Promise<string[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (error) {
    throw new ParleyError('invalid_config', `the migrations folder ${dir} cannot be read`, {
      cause: error,
      context: { dir },
    });
  }
  return files
    .filter((file) => file.endsWith('.sql'))
    .map((file) => file.slice(0, -'.sql'.length))
    .sort();
}

/**
 * The advisory lock that serializes the migrations of one schema (not node-pg-migrate's single
 * default lock, so that the services sharing a database do not wait for each other).
 */
function migrationLock(schema: string): number {
  return createHash('sha256').update(`parley.migrations.${schema}`).digest().readInt32BE(0);
}

/**
 * Applies the migrations a schema lacks, with node-pg-migrate: all pending ones in one transaction,
 * under an advisory lock that concurrent starters wait for (so pods starting together, or a
 * migration Job racing a pod, apply each migration once). Re-running is a no-op.
 *
 * @example
 * await applyMigrations(client, { schema: 'auth', dir: 'services/auth/migrations' }, logger);
 */
export async function applyMigrations(
  client: ClientBase,
  set: MigrationSet,
  logger: Logger,
): Promise<string[]> {
  await knownMigrations(set.dir);
  try {
    // CREATE SCHEMA IF NOT EXISTS still needs CREATE on the database: skip it when the schema is
    // there, so a role given only its own (pre-created) schema can migrate it.
    const present = await client.query('select 1 from pg_namespace where nspname = $1', [set.schema]);
    const applied = await runner({
      dbClient: client,
      dir: set.dir,
      schema: set.schema,
      createSchema: present.rowCount === 0,
      migrationsTable,
      direction: 'up',
      checkOrder: true,
      singleTransaction: true,
      advisoryLockMode: 'wait',
      lockValue: migrationLock(set.schema),
      log: () => {},
      logger: {
        debug: () => {},
        info: () => {},
        warn: (message: string) => logger.warn({ schema: set.schema, message }, 'migration warning'),
        error: (message: string) => logger.error({ schema: set.schema, message }, 'migration error'),
      },
    });
    const names = applied.map((migration) => migration.name);
    if (names.length > 0)
      logger.info({ schema: set.schema, migrations: names }, 'database migrations applied');
    return names;
  } catch (error) {
    if (isTransientStoreError(error)) throw toStoreError(error, `migrate schema ${set.schema}`);
    // A migration the server refuses, one out of order, a role without the right: retrying the
    // same start cannot help, so the process stops with the reason.
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ParleyError('invalid_config', `migrating schema "${set.schema}" failed: ${reason}`, {
      cause: error,
      context: { schema: set.schema, sqlState: sqlState(error) },
    });
  }
}

/**
 * Refuses to run against a schema older than this build: every migration this build knows must be
 * applied (a newer schema is fine, so a rollback of the code keeps working).
 */
export async function verifyMigrations(pool: Pool, set: MigrationSet, migrateCommand: string): Promise<void> {
  const known = await knownMigrations(set.dir);
  let applied: Set<string>;
  try {
    const exists = await pool.query<{ found: string | null }>({
      text: 'select to_regclass($1) as found',
      values: [`${set.schema}.${migrationsTable}`],
    });
    applied = new Set();
    if (exists.rows[0]?.found) {
      const rows = await pool.query<{ name: string }>(`select name from ${migrationsTable}`);
      applied = new Set(rows.rows.map((row) => row.name));
    }
  } catch (error) {
    throw toStoreError(error, 'read applied migrations');
  }
  const missing = known.filter((name) => !applied.has(name));
  if (missing.length > 0) {
    throw new ParleyError(
      'invalid_config',
      `database schema "${set.schema}" lacks migration(s) ${missing.join(', ')} that this version needs: run \`${migrateCommand}\` (the migration step) before starting it`,
      { context: { schema: set.schema, missing } },
    );
  }
}
