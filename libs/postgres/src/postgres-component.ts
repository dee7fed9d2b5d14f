import { ParleyError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import pg from 'pg';
import { createDatabase, type Database } from './database.js';
import { createExpirySweeper, type ExpirySweep, type ExpirySweeper } from './expiry-sweeper.js';
import { applyMigrations, type MigrationSet, verifyMigrations } from './migrations.js';
import { toStoreError } from './postgres-errors.js';

export interface PostgresOptions {
  /** `postgres://role:password@host:5432/database`; the role is the service's own. */
  readonly url: string;
  readonly migrations: MigrationSet;
  /** `apply`: migrate at start (under a lock); `verify`: only refuse a schema older than this build. */
  readonly migrationMode: 'apply' | 'verify';
  /** Shown in the command that applies migrations when `verify` finds them missing. */
  readonly migrateCommand: string;
  /** Shown as `application_name` in `pg_stat_activity`; use the service name. */
  readonly appName: string;
  readonly logger: Logger;
  readonly sweeps?: readonly ExpirySweep[];
  /** Longest a statement may run on the server before it is cancelled (SQLSTATE 57014). */
  readonly statementTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly maxConnections?: number;
}

export interface PostgresComponent {
  readonly name: 'postgres';
  start(): Promise<void>;
  stop(): Promise<void>;
  isReady(): Promise<boolean>;
  /** The service's database; only after start. */
  database(): Database;
}

/** A pool whose connections all work in the service's schema, with bounded statements. */
export function createPool(options: {
  url: string;
  schema: string;
  appName: string;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  maxConnections?: number;
}): pg.Pool {
  const { url, schema, appName, statementTimeoutMs = 5000, connectTimeoutMs = 5000, maxConnections = 10 } =
    options;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new ParleyError('invalid_config', `schema name "${schema}" is not a lower-case identifier`);
  return new pg.Pool({
    connectionString: url,
    application_name: appName,
    // The schema is checked above; `options` is the startup packet's, not SQL.
    options: `-c search_path=${schema}`,
    statement_timeout: statementTimeoutMs,
    // Client side too: a server that stops answering does not hold a caller for ever.
    query_timeout: statementTimeoutMs + 1000,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    max: maxConnections,
  });
}

/**
 * A service's PostgreSQL database as a lifecycle component: a pool in the service's own schema,
 * migrations applied (or verified) at start, readiness by `select 1`, expired rows swept, and the
 * pool closed on stop.
 *
 * @example
 * const store = createPostgresComponent({ url: config.DATABASE_URL, migrations: { schema: 'auth', dir }, migrationMode: 'apply', migrateCommand: 'node dist/migrate.js', appName: 'parley-auth', logger });
 */
export function createPostgresComponent(options: PostgresOptions): PostgresComponent {
  const { migrations, migrationMode, migrateCommand, logger, sweeps = [] } = options;
  let pool: pg.Pool | undefined;
  let database: Database | undefined;
  let sweeper: ExpirySweeper | undefined;

  return {
    name: 'postgres',
    async start() {
      const started = createPool({ ...options, schema: migrations.schema });
      // An idle connection dropped by the server (restart, failover) must not crash the process.
      started.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
      try {
        if (migrationMode === 'apply') {
          const client = await started.connect().catch((error) => {
            throw toStoreError(error, 'connect');
          });
          try {
            await applyMigrations(client, migrations, logger);
          } finally {
            client.release();
          }
        }
        await verifyMigrations(started, migrations, migrateCommand);
      } catch (error) {
        await started.end().catch(() => {});
        throw error;
      }
      pool = started;
      database = createDatabase(started);
      sweeper = createExpirySweeper({ db: database, sweeps, logger });
      sweeper.start();
    },
    async stop() {
      sweeper?.stop();
      const closing = pool;
      pool = undefined;
      database = undefined;
      await closing?.end();
    },
    async isReady() {
      if (!pool) return false;
      await pool.query('select 1');
      return true;
    },
    database() {
      if (!database) throw new Error('postgres component not started');
      return database;
    },
  };
}
