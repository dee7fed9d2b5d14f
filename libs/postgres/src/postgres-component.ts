import type { Logger } from '@parley/logger';
import type { StatementObserver } from '@parley/ops';
import type pg from 'pg';
import { createDatabase, type Database } from './database.js';
import { createExpirySweeper, type ExpirySweep, type ExpirySweeper } from './expiry-sweeper.js';
import { migrateSchema } from './migrate-command.js';
import { knownMigrations, type MigrationSet, verifyMigrations } from './migrations.js';
import { createPool } from './pool.js';
import { sqlState } from './postgres-errors.js';

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
  /** Told the time of every statement: `storeMetrics(registry)` from @parley/ops. */
  readonly statements?: StatementObserver;
}

export interface PostgresComponent {
  readonly name: 'postgres';
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Whether the server answers `select 1` now; false (never a rejection) when it does not. */
  isReady(): Promise<boolean>;
  /** The service's database; only after start. */
  database(): Database;
}

/**
 * A service's PostgreSQL database as a lifecycle component: a pool in the service's own schema,
 * migrations applied (or verified) at start, readiness by `select 1`, expired rows swept, and the
 * pool closed on stop. A server that goes away and comes back needs no restart: broken connections
 * leave the pool, and the next statement opens a new one.
 *
 * @example
 * const store = createPostgresComponent({ url: config.DATABASE_URL, migrations: { schema: 'auth', dir }, migrationMode: 'apply', migrateCommand: 'node dist/migrate.js', appName: 'parley-auth', logger });
 */
export function createPostgresComponent(options: PostgresOptions): PostgresComponent {
  const { url, migrations, migrationMode, migrateCommand, appName, logger, sweeps = [] } = options;
  let pool: pg.Pool | undefined;
  let database: Database | undefined;
  let sweeper: ExpirySweeper | undefined;

  return {
    name: 'postgres',
    async start() {
      // A missing migrations folder is a broken build: say so before touching the server.
      await knownMigrations(migrations.dir);
      if (migrationMode === 'apply') {
        // On a connection of its own, without the service's statement timeout (waiting for another
        // pod's migration, or rewriting a table, may take longer).
        await migrateSchema({ url, migrations, appName, logger, connectTimeoutMs: options.connectTimeoutMs });
      }
      const started = createPool({ ...options, schema: migrations.schema });
      // An idle connection dropped by the server (restart, failover) must not crash the process.
      // The pool's error carries the whole client (`error.client`): log what the server said only.
      started.on('error', (error) =>
        logger.warn(
          { err: { message: error.message, sqlState: sqlState(error) } },
          'idle PostgreSQL connection lost',
        ),
      );
      try {
        await verifyMigrations(started, migrations, migrateCommand);
      } catch (error) {
        await started.end().catch(() => {});
        throw error;
      }
      pool = started;
      database = createDatabase(started, options.statements ? { statements: options.statements } : {});
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
      try {
        await pool.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    database() {
      if (!database) throw new Error('postgres component not started');
      return database;
    },
  };
}
