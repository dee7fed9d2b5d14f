// @ts-check
// The local infrastructure of Parley: a Kafka broker and a MongoDB wire-compatible store, chosen in
// this order for each: the URL given in the environment (KAFKA_BROKERS, MONGO_URL); containers when
// a Docker engine answers; otherwise real servers started here as processes (Kafka from Maven
// Central, FerretDB built with go install). Never a fake.
import { dockerAnswers, startKafkaContainer, startMongoContainer } from './docker.mjs';
import { ensureFerretDB, ferretdbStatus, mongoBuildInfo, stopFerretDB } from './ferretdb.mjs';
import { ensureKafka, kafkaAnswers, kafkaStatus, stopKafka } from './kafka.mjs';
import { withLock } from './processes.mjs';
import { InfraError, infraSettings } from './settings.mjs';

export { InfraError, infraSettings };

/**
 * @typedef {{ kind: 'external' | 'docker' | 'local', version: string, started: boolean }} ServerInfo
 * @typedef {{
 *   kafka: ServerInfo & { brokers: string },
 *   mongo: ServerInfo & { url: string },
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
  const localRunning = Boolean(kafkaStatus(settings).pid || ferretdbStatus(settings).pid);
  const useDocker =
    settings.mode === 'docker' ||
    (settings.mode === 'auto' &&
      allowDocker &&
      !localRunning &&
      !(settings.externalKafkaBrokers && settings.externalMongoUrl) &&
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

      /** @type {Infrastructure['mongo']} */
      let mongo;
      if (settings.externalMongoUrl) {
        const info = await mongoBuildInfo(settings.externalMongoUrl);
        if (!info) throw new InfraError('MONGO_URL does not answer buildInfo');
        mongo = {
          kind: 'external',
          url: settings.externalMongoUrl,
          version: describeStore(info),
          started: false,
        };
      } else if (useDocker) {
        const container = await startMongoContainer();
        stops.push(container.stop);
        mongo = { kind: 'docker', url: container.url, version: container.version, started: true };
      } else {
        const local = await ensureFerretDB(settings);
        if (local.started) stops.push(() => stopFerretDB(settings));
        const info = await mongoBuildInfo(local.url);
        mongo = {
          kind: 'local',
          url: local.url,
          version: info ? describeStore(info) : `FerretDB ${local.version}`,
          started: local.started,
        };
      }

      return {
        kafka,
        mongo,
        async stop() {
          for (const stop of stops.reverse()) await stop();
        },
        describe: () =>
          [
            `Kafka: ${kafka.brokers} — ${kafka.version} [${kafka.kind}${kafka.started ? ', started now' : ', already running'}]`,
            `Store: ${redactUrl(mongo.url)} — ${mongo.version} [${mongo.kind}${mongo.started ? ', started now' : ', already running'}]`,
          ].join('\n'),
      };
    } catch (error) {
      for (const stop of stops.reverse()) await stop().catch(() => {});
      throw error;
    }
  });
}

/** @param {{ version: string, ferretdbVersion?: string }} info */
function describeStore(info) {
  return info.ferretdbVersion
    ? `FerretDB ${info.ferretdbVersion} (MongoDB ${info.version} wire, SQLite backend)`
    : `MongoDB ${info.version}`;
}

/** @param {string} url */
function redactUrl(url) {
  return url.replace(/\/\/[^@/]+@/, '//***@');
}

/** @param {NodeJS.ProcessEnv} [env] */
export function infrastructureStatus(env = process.env) {
  const settings = infraSettings(env);
  return { kafka: kafkaStatus(settings), ferretdb: ferretdbStatus(settings), dataDir: settings.dataDir };
}

/** Stops the local processes, whoever started them. @param {NodeJS.ProcessEnv} [env] */
export async function stopInfrastructure(env = process.env) {
  const settings = infraSettings(env);
  return withLock(settings.dataDir, async () => ({
    kafka: await stopKafka(settings),
    ferretdb: await stopFerretDB(settings),
  }));
}
