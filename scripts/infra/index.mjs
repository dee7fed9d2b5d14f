// @ts-check
// The local infrastructure of Parley: a Kafka broker and a PostgreSQL server, chosen in this order
// for each: the address given in the environment (KAFKA_BROKERS, DATABASE_URL); containers when a
// Docker engine answers; otherwise real servers started here as processes (Kafka from Maven Central,
// PostgreSQL from the machine's server binaries). Never a fake.
import { join } from 'node:path';
import { ensureDevCertificates } from './certs.mjs';
import { dockerAnswers, startKafkaContainer, startPostgresContainer } from './docker.mjs';
import {
  ensureKafka,
  kafkaAdminCredentials,
  kafkaAnswers,
  kafkaStatus,
  serviceKafkaCredentials,
  stopKafka,
} from './kafka.mjs';
import {
  bootstrapParleyDatabase,
  ensurePostgres,
  parleyDatabase,
  postgresStatus,
  postgresVersion,
  serviceDatabaseUrl,
  stopPostgres,
} from './postgres.mjs';
import { withLock } from './processes.mjs';
import { InfraError, infraSettings } from './settings.mjs';

export { InfraError, infraSettings, serviceDatabaseUrl, serviceKafkaCredentials };

/**
 * @typedef {{ kind: 'external' | 'docker' | 'local', version: string, started: boolean }} ServerInfo
 * @typedef {{ mechanism: 'scram-sha-512', username: string, password: string }} KafkaSasl
 * @typedef {{
 *   kafka: ServerInfo & {
 *     brokers: string,
 *     sasl?: KafkaSasl,
 *     tls?: { brokers: string, caFile: string },
 *   },
 *   postgres: ServerInfo & { url: string },
 *   grpcTls: import('./certs.mjs').DevCertificates,
 *   stop: () => Promise<void>,
 *   describe: () => string,
 * }} Infrastructure
 */

/**
 * Makes sure Kafka and the store run; `stop()` stops only what this call started.
 * @param {{ env?: NodeJS.ProcessEnv, allowDocker?: boolean }} [options]
 * @returns {Promise<Infrastructure>}
 */
export async function ensureInfrastructure({ env = process.env, allowDocker = true } = {}) {
  const settings = infraSettings(env);
  // Local servers already running (e.g. from `npm run infra -- start`) win over new containers.
  const localRunning = Boolean(kafkaStatus(settings).pid || postgresStatus(settings).pid);
  const useDocker =
    settings.mode === 'docker' ||
    (settings.mode === 'auto' &&
      allowDocker &&
      !localRunning &&
      !(settings.externalKafkaBrokers && settings.externalDatabaseUrl) &&
      (await dockerAnswers(env)));
  if (settings.mode === 'docker' && !(await dockerAnswers(env))) {
    throw new InfraError(
      'PARLEY_INFRA=docker but no Docker engine answers: start Docker, or use PARLEY_INFRA=local',
    );
  }
  /** @type {(() => Promise<unknown>)[]} */
  const stops = [];

  return withLock(settings.dataDir, async () => {
    try {
      /** @type {Infrastructure['kafka']} */
      let kafka;
      if (settings.externalKafkaBrokers) {
        kafka = {
          kind: 'external',
          brokers: settings.externalKafkaBrokers,
          version: 'external',
          started: false,
          ...(await externalKafkaSecurity(settings)),
        };
      } else if (useDocker) {
        const container = await startKafkaContainer(settings);
        stops.push(container.stop);
        kafka = {
          kind: 'docker',
          brokers: container.brokers,
          version: container.version,
          started: true,
          sasl: container.sasl,
          tls: container.tls,
        };
      } else {
        const local = await ensureKafka(settings);
        if (local.started) stops.push(() => stopKafka(settings));
        kafka = {
          kind: 'local',
          brokers: local.brokers,
          version: `Apache Kafka ${local.version} (KRaft, SASL SCRAM-SHA-512, StandardAuthorizer)`,
          started: local.started,
          sasl: local.sasl,
          tls: local.tls,
        };
      }

      /** @type {Infrastructure['postgres']} */
      let postgres;
      if (settings.externalDatabaseUrl) {
        const version = await postgresVersion(settings.externalDatabaseUrl);
        if (!version)
          throw new InfraError(
            'DATABASE_URL does not answer (a PostgreSQL URL of a role that may create roles and databases)',
          );
        postgres = {
          kind: 'external',
          url: settings.externalDatabaseUrl,
          version: `PostgreSQL ${version}`,
          started: false,
        };
      } else if (useDocker) {
        const container = await startPostgresContainer();
        stops.push(container.stop);
        postgres = { kind: 'docker', url: container.url, version: container.version, started: true };
      } else {
        const local = await ensurePostgres(settings);
        if (local.started) stops.push(() => stopPostgres(settings));
        postgres = {
          kind: 'local',
          url: local.url,
          version: `PostgreSQL ${local.version}`,
          started: local.started,
        };
      }
      await bootstrapParleyDatabase(postgres.url).catch((error) => {
        throw new InfraError(
          `could not create the ${parleyDatabase} database and the service roles on ${redactUrl(postgres.url)}: ${error.message}`,
        );
      });

      // The dev PKI of the services' gRPC mutual TLS, made once and reused while valid.
      const grpcTls = await ensureDevCertificates({ dir: join(settings.dataDir, 'grpc-tls') });

      return {
        kafka,
        postgres,
        grpcTls,
        async stop() {
          for (const stop of stops.reverse()) await stop();
        },
        describe: () =>
          [
            `Kafka: ${kafka.brokers} — ${kafka.version} [${kafka.kind}${kafka.started ? ', started now' : ', already running'}${kafka.sasl ? `, SASL as ${kafka.sasl.username}` : ', no SASL'}]`,
            `Store: ${redactUrl(postgres.url)} — ${postgres.version} [${postgres.kind}${postgres.started ? ', started now' : ', already running'}]`,
            `gRPC mutual TLS: dev CA and service certificates in ${grpcTls.dir}`,
          ].join('\n'),
      };
    } catch (error) {
      for (const stop of stops.reverse()) await stop().catch(() => {});
      throw error;
    }
  });
}

/**
 * How to reach an external broker: as PARLEY_KAFKA_ADMIN_USERNAME/PASSWORD over SASL when set;
 * else without SASL when it answers so (an old plaintext broker); else as the launcher's dev admin
 * (a broker this launcher started elsewhere, e.g. `npm run infra -- start` in another shell).
 * @param {import('./settings.mjs').InfraSettings} settings @returns {Promise<{ sasl?: KafkaSasl }>}
 */
async function externalKafkaSecurity(settings) {
  const brokers = /** @type {string} */ (settings.externalKafkaBrokers);
  const admin = settings.externalKafkaAdmin;
  if (admin) {
    if (await kafkaAnswers(brokers, { sasl: admin }))
      return { sasl: { mechanism: 'scram-sha-512', ...admin } };
    throw new InfraError(
      `KAFKA_BROKERS=${brokers} does not answer metadata requests from PARLEY_KAFKA_ADMIN_USERNAME=${admin.username} over SASL SCRAM-SHA-512`,
    );
  }
  if (await kafkaAnswers(brokers)) return {};
  if (await kafkaAnswers(brokers, { sasl: kafkaAdminCredentials })) {
    return { sasl: { mechanism: 'scram-sha-512', ...kafkaAdminCredentials } };
  }
  throw new InfraError(
    `KAFKA_BROKERS=${brokers} does not answer metadata requests (neither without SASL nor as the dev ${kafkaAdminCredentials.username}; set PARLEY_KAFKA_ADMIN_USERNAME and PARLEY_KAFKA_ADMIN_PASSWORD for another admin)`,
  );
}

/** @param {string} url */
function redactUrl(url) {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** @param {NodeJS.ProcessEnv} [env] */
export function infrastructureStatus(env = process.env) {
  const settings = infraSettings(env);
  return { kafka: kafkaStatus(settings), postgres: postgresStatus(settings), dataDir: settings.dataDir };
}

/** Stops the local processes, whoever started them. @param {NodeJS.ProcessEnv} [env] */
export async function stopInfrastructure(env = process.env) {
  const settings = infraSettings(env);
  return withLock(settings.dataDir, async () => ({
    kafka: await stopKafka(settings),
    postgres: await stopPostgres(settings),
  }));
}
