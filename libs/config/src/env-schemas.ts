import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
  /**
   * `a.example,b.example:8443,c.example@acme` as a list (empty allowed), host names lower-cased;
   * what follows an `@` (a tenant id) keeps its case.
   */
  hostList: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim().replace(/^[^@]*/, (host) => host.toLowerCase()))
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
  /** `scram-sha-512`: connect as KAFKA_SASL_USERNAME (the service's principal, docs/kafka.md). */
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-512', 'none']).default('none'),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  /** TLS to the brokers, trusting the system's CAs or KAFKA_TLS_CA_FILE. */
  KAFKA_TLS: envSchemas.flag.default(false),
  /** PEM file of the CA(s) that signed the brokers' certificates (with KAFKA_TLS=true). */
  KAFKA_TLS_CA_FILE: z.string().min(1).optional(),
} as const;

/**
 * Problems between kafkaEnv's variables, which no single variable's schema can see; parseConfig
 * reports them with the others for every schema that has KAFKA_SASL_MECHANISM.
 */
export function kafkaEnvProblems(config: Record<string, unknown>): { variable: string; message: string }[] {
  if (!('KAFKA_SASL_MECHANISM' in config)) return [];
  const problems: { variable: string; message: string }[] = [];
  const sasl = config.KAFKA_SASL_MECHANISM !== 'none';
  for (const variable of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) {
    if (sasl && config[variable] === undefined) {
      problems.push({
        variable,
        message: `required when KAFKA_SASL_MECHANISM=${config.KAFKA_SASL_MECHANISM}`,
      });
    }
    if (!sasl && config[variable] !== undefined) {
      problems.push({ variable, message: 'set, but KAFKA_SASL_MECHANISM is none: set it to scram-sha-512' });
    }
  }
  if (config.KAFKA_TLS_CA_FILE !== undefined && config.KAFKA_TLS !== true) {
    problems.push({ variable: 'KAFKA_TLS_CA_FILE', message: 'set, but KAFKA_TLS is not true' });
  }
  return problems;
}

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

/**
 * A PEM file named by a variable: it must exist, be readable and hold `kind` (checked at start, so
 * a missing mount fails with the variable's name, not at the first call).
 */
function pemFile(kind: 'certificate' | 'private key') {
  return z
    .string()
    .min(1, 'expected the path of a PEM file')
    .superRefine((path, context) => {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        context.addIssue({
          code: 'custom',
          message: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
        });
        return;
      }
      try {
        if (kind === 'certificate') new X509Certificate(text);
        else createPrivateKey(text);
      } catch {
        context.addIssue({ code: 'custom', message: `${path} holds no PEM ${kind}` });
      }
    });
}

/**
 * Mutual TLS of every service that serves or calls gRPC (docs/service-identity.md); mandatory, there
 * is no plaintext mode. The certificate's URI SAN `spiffe://parley.local/<service>` is the service's
 * identity.
 */
export const grpcTlsEnv = {
  /** The CA that signs every Parley service certificate (PEM; a bundle during a CA rotation). */
  GRPC_TLS_CA_FILE: pemFile('certificate'),
  /** This service's certificate (PEM, leaf first). */
  GRPC_TLS_CERT_FILE: pemFile('certificate'),
  /** Its private key (PEM). */
  GRPC_TLS_KEY_FILE: pemFile('private key'),
} as const;
