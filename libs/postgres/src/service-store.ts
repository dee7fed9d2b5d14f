import { createLogger, type Logger } from '@parley/logger';
import type { StatementObserver } from '@parley/ops';
import type { ExpirySweep } from './expiry-sweeper.js';
import { migrateSchema } from './migrate-command.js';
import { createPostgresComponent, type PostgresComponent } from './postgres-component.js';

/** What a service's store is made of: its migrations folder and the sweeps of its expiring rows. */
export interface ServiceSchema {
  /** `auth`, `history`, `ingress`: names the default schema, the app name and the migrate command. */
  readonly service: string;
  /** `services/<service>/migrations`, resolved from the service's own module. */
  readonly migrationsDir: string;
  readonly sweeps?: readonly ExpirySweep[];
}

/** The store variables of a service's validated config (libs/config `postgresEnv`). */
export interface PostgresConfig {
  readonly DATABASE_URL: string;
  readonly DATABASE_SCHEMA: string;
  readonly DATABASE_MIGRATIONS: 'apply' | 'verify';
  readonly DATABASE_STATEMENT_TIMEOUT_MS: number;
  readonly DATABASE_POOL_MAX: number;
  readonly LOG_LEVEL: string;
}

/** The command that applies a service's migrations (named when a pod finds its schema too old). */
export const migrateCommandOf = (schema: ServiceSchema) => `node services/${schema.service}/dist/migrate.js`;

/**
 * A service's store component from its config: its own role and schema, migrations applied or
 * verified at start (DATABASE_MIGRATIONS), its expiry sweeps; `statements` is told the time of each
 * statement.
 *
 * @example
 * const postgres = serviceStore(config, authSchema, logger, { statements: storeMetrics(registry) });
 * const repositories = createAuthRepositories({ database: () => postgres.database(), secretBox });
 */
export function serviceStore(
  config: PostgresConfig,
  schema: ServiceSchema,
  logger: Logger,
  options: { statements?: StatementObserver } = {},
): PostgresComponent {
  return createPostgresComponent({
    url: config.DATABASE_URL,
    migrations: { schema: config.DATABASE_SCHEMA, dir: schema.migrationsDir },
    migrationMode: config.DATABASE_MIGRATIONS,
    migrateCommand: migrateCommandOf(schema),
    appName: `parley-${schema.service}`,
    logger,
    ...(schema.sweeps ? { sweeps: schema.sweeps } : {}),
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    maxConnections: config.DATABASE_POOL_MAX,
    ...(options.statements ? { statements: options.statements } : {}),
  });
}

/**
 * The body of `services/<service>/src/migrate.ts`, the migration step of a rollout: applies the
 * pending migrations to DATABASE_SCHEMA, prints what it applied on stdout (logs go to stderr), and
 * exits 0, 1 when migrating failed, or 2 when the configuration is invalid.
 *
 * @example
 * await runMigrateCommand({ schema: authSchema, loadConfig: loadStoreConfig, version: packageVersion(import.meta.url) });
 */
export async function runMigrateCommand(options: {
  schema: ServiceSchema;
  loadConfig: () => PostgresConfig;
  version: string;
}): Promise<void> {
  const { schema, loadConfig, version } = options;
  const name = `${schema.service} migrate`;
  const fail = (code: number, error: unknown) => {
    console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(code);
  };
  let config: PostgresConfig;
  try {
    config = loadConfig();
  } catch (error) {
    return fail(2, error);
  }
  const logger = createLogger({
    service: `${schema.service}-migrate`,
    version,
    level: config.LOG_LEVEL,
    destination: process.stderr,
  });
  try {
    const applied = await migrateSchema({
      url: config.DATABASE_URL,
      migrations: { schema: config.DATABASE_SCHEMA, dir: schema.migrationsDir },
      appName: `parley-${schema.service}-migrate`,
      logger,
    });
    process.stdout.write(
      applied.length > 0
        ? `${name}: applied ${applied.join(', ')} to schema ${config.DATABASE_SCHEMA}\n`
        : `${name}: schema ${config.DATABASE_SCHEMA} is up to date\n`,
    );
  } catch (error) {
    logger.error({ err: error }, 'migration failed');
    fail(1, error);
  }
}
