// @ts-check
// Where the local infrastructure keeps its state and which loopback ports it uses. Everything can be
// changed through environment variables; the defaults avoid the well-known ports so that a Kafka or
// PostgreSQL already running on the machine is left alone.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** @param {NodeJS.ProcessEnv} env @param {string} name @param {number} fallback */
function port(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new InfraError(`${name} must be a port number (1-65535), got "${raw}"`);
  }
  return value;
}

/** An error whose message is one line meant for a person; the CLI prints it without a stack. */
export class InfraError extends Error {}

/** @param {NodeJS.ProcessEnv} env */
export function infraSettings(env = process.env) {
  const cacheDir = env.PARLEY_CACHE_DIR || join(repoRoot, '.cache');
  const dataDir = env.PARLEY_INFRA_DATA_DIR || join(cacheDir, 'infra');
  const mode = env.PARLEY_INFRA || 'auto';
  if (!['auto', 'local', 'docker'].includes(mode)) {
    throw new InfraError(`PARLEY_INFRA must be auto, local or docker, got "${mode}"`);
  }
  const kafkaVersion = env.PARLEY_KAFKA_VERSION || '4.4.0';
  // Kafka 4 is what Strimzi runs; a 3.x broker (and its data dir) is not what the tests must meet.
  // 4.1 and 4.4 are proven with kafkajs 2.2 for every call libs/bus makes (docs/kafka.md).
  if (!/^4\.[1-9]\d*\.\d+$/.test(kafkaVersion)) {
    throw new InfraError(
      `PARLEY_KAFKA_VERSION must be a Kafka 4 release from 4.1 on, such as 4.4.0, got "${kafkaVersion}"`,
    );
  }
  return Object.freeze({
    mode: /** @type {'auto' | 'local' | 'docker'} */ (mode),
    cacheDir,
    dataDir,
    host: '127.0.0.1',
    externalKafkaBrokers: env.KAFKA_BROKERS || undefined,
    /** parley-admin's credentials on an external SASL broker (KAFKA_BROKERS), when not the dev ones. */
    externalKafkaAdmin: externalKafkaAdmin(env),
    externalDatabaseUrl: env.DATABASE_URL || undefined,
    kafka: Object.freeze({
      version: kafkaVersion,
      port: port(env, 'PARLEY_KAFKA_PORT', 29092),
      controllerPort: port(env, 'PARLEY_KAFKA_CONTROLLER_PORT', 29093),
      /** The SASL_SSL listener (dev certificate), beside the SASL_PLAINTEXT one on `port`. */
      tlsPort: port(env, 'PARLEY_KAFKA_TLS_PORT', 29094),
      heap: env.PARLEY_KAFKA_HEAP || '512m',
    }),
    postgres: Object.freeze({ port: port(env, 'PARLEY_POSTGRES_PORT', 25432) }),
  });
}

/** @param {NodeJS.ProcessEnv} env */
function externalKafkaAdmin(env) {
  const { PARLEY_KAFKA_ADMIN_USERNAME: username, PARLEY_KAFKA_ADMIN_PASSWORD: password } = env;
  if (!username && !password) return undefined;
  if (!username || !password) {
    throw new InfraError(
      'PARLEY_KAFKA_ADMIN_USERNAME and PARLEY_KAFKA_ADMIN_PASSWORD go together: set both or neither',
    );
  }
  return Object.freeze({ username, password });
}

/** @typedef {ReturnType<typeof infraSettings>} InfraSettings */
