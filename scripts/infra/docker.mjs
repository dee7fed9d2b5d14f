// @ts-check
// Kafka and PostgreSQL in containers, for machines with a Docker engine. testcontainers ties the
// containers to the calling process (its reaper removes them when the process exits), so this
// serves `npm test` and `npm run up`, which run in the foreground.
import { request } from 'node:http';

export const images = Object.freeze({ postgres: 'postgres:17-alpine', kafka: 'confluentinc/cp-kafka:7.9.0' });

/** Whether a Docker engine answers `/_ping` on DOCKER_HOST or the default socket. @returns {Promise<boolean>} */
export function dockerAnswers(env = process.env) {
  const host = env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  /** @type {import('node:http').RequestOptions} */
  const options = host.startsWith('unix://')
    ? { socketPath: host.slice('unix://'.length), path: '/_ping' }
    : {
        host: new URL(host.replace(/^tcp:/, 'http:')).hostname,
        port: new URL(host.replace(/^tcp:/, 'http:')).port,
        path: '/_ping',
      };
  return new Promise((resolve) => {
    const req = request({ ...options, timeout: 1500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

/** A PostgreSQL container; the URL is its superuser's, which bootstraps the Parley roles. */
export async function startPostgresContainer() {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer(images.postgres).start();
  return {
    url: container.getConnectionUri(),
    version: images.postgres,
    stop: () => container.stop(),
  };
}

export async function startKafkaContainer() {
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const container = await new KafkaContainer(images.kafka).withKraft().start();
  return {
    brokers: `${container.getHost()}:${container.getMappedPort(9093)}`,
    version: images.kafka,
    stop: () => container.stop(),
  };
}
