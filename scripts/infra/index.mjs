// @ts-check
// The local infrastructure of Parley: a Kafka broker and a PostgreSQL server, chosen in this order
// for each: the address given in the environment (KAFKA_BROKERS, DATABASE_URL); containers when a
// Docker engine answers; otherwise real servers started here as processes (Kafka from Maven Central,
// PostgreSQL from the machine's server binaries). Never a fake.
import { dockerAnswers, startKafkaContainer, startPostgresContainer } from './docker.mjs';
import { ensureKafka, kafkaAnswers, kafkaStatus, stopKafka } from './kafka.mjs';
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

export { InfraError, infraSettings, serviceDatabaseUrl };

/**
 * @typedef {{ kind: 'external' | 'docker' | 'local', version: string, started: boolean }} ServerInfo
 * @typedef {{
 *   kafka: ServerInfo & { brokers: string },
 *   postgres: ServerInfo & { url: string },
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
        if (!(await kafkaAnswers(settings.externalKafkaBrokers))) {
          throw new InfraError(
            `KAFKA_BROKERS=${settings.externalKafkaBrokers} does not answer metadata requests`,
          );
        }
        kafka = {
          kind: 'external',
          brokers: settings.externalKafkaBrokers,
          version: 'external',
          started: false,
        };
      } else if (useDocker) {
        const container = await startKafkaContainer();
        stops.push(container.stop);
        kafka = { kind: 'docker', brokers: container.brokers, version: container.version, started: true };
      } else {
        const local = await ensureKafka(settings);
        if (local.started) stops.push(() => stopKafka(settings));
        kafka = {
          kind: 'local',
          brokers: local.brokers,
          version: `Apache Kafka ${local.version} (KRaft)`,
          started: local.started,
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

      return {
        kafka,
        postgres,
        async stop() {
          for (const stop of stops.reverse()) await stop();
        },
        describe: () =>
          [
            `Kafka: ${kafka.brokers} — ${kafka.version} [${kafka.kind}${kafka.started ? ', started now' : ', already running'}]`,
            `Store: ${redactUrl(postgres.url)} — ${postgres.version} [${postgres.kind}${postgres.started ? ', started now' : ', already running'}]`,
          ].join('\n'),
      };
    } catch (error) {
      for (const stop of stops.reverse()) await stop().catch(() => {});
      throw error;
    }
  });
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
