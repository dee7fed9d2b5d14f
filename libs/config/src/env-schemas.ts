import { z } from 'zod';

/** Reusable schemas for environment variables, which always arrive as strings. */
export const envSchemas = {
  port: z.coerce.number().int().min(0).max(65535),
  positiveInt: z.coerce.number().int().positive(),
  /** `host:port,host:port` as used by KAFKA_BROKERS. */
  brokerList: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((broker) => broker.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'expected host:port')).min(1, 'expected host:port')),
  postgresUrl: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'expected a postgres:// or postgresql:// URL'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  /** `a.example,b.example` as a lower-cased list (empty allowed). */
  hostList: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((host) => host.trim().toLowerCase())
        .filter(Boolean),
    ),
  /** `host:port` of another Parley service. */
  serviceAddress: z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'expected host:port'),
  /** `true`/`false`/`1`/`0`; unlike z.coerce.boolean, the string "false" is false. */
  flag: z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1'),
} as const;

/**
 * Variables every Parley service reads, to spread into its own schema.
 *
 * @example
 * const schema = z.object({ ...commonEnv, OPS_PORT: envSchemas.port.default(9401) });
 */
export const commonEnv = {
  LOG_LEVEL: envSchemas.logLevel.default('info'),
  /** Human-readable logs; unset means: only when stdout is a terminal. JSON lines otherwise. */
  LOG_PRETTY: envSchemas.flag.optional(),
  /** Address the ops (`/healthz`, `/readyz`, `/metrics`) and service ports bind to. */
  BIND_HOST: z.string().min(1).default('0.0.0.0'),
  /** Seconds a SIGTERM may take before the process gives up (below the pod's grace period). */
  SHUTDOWN_TIMEOUT_SECONDS: envSchemas.positiveInt.default(25),
} as const;

/** Kafka connection variables of services that produce or consume events. */
export const kafkaEnv = {
  KAFKA_BROKERS: envSchemas.brokerList,
  /** Prepended to every topic name, e.g. `staging.`; empty in production by default. */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*$/, 'letters, digits, dot, underscore and dash only')
    .default(''),
} as const;

/**
 * PostgreSQL variables of services that own a schema; `schema` is the service's default. Each
 * service connects with its own role (docs/database.md).
 */
export function postgresEnv(schema: string) {
  return {
    DATABASE_URL: envSchemas.postgresUrl,
    /** The service's schema; another name lets two systems share one database (tests, benchmarks). */
    DATABASE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case PostgreSQL identifier')
      .default(schema),
    /** `apply`: migrate at start (under a lock); `verify`: refuse to start on an older schema. */
    DATABASE_MIGRATIONS: z.enum(['apply', 'verify']).default('apply'),
    DATABASE_STATEMENT_TIMEOUT_MS: envSchemas.positiveInt.max(600_000).default(5000),
    DATABASE_POOL_MAX: envSchemas.positiveInt.max(200).default(10),
  } as const;
}
