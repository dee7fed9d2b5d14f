// @ts-check
// Kafka and MongoDB in containers, for machines with a Docker engine. testcontainers ties the
// containers to the calling process (its reaper removes them when the process exits), so this
// serves `npm test` and `npm run up`, which run in the foreground.
import { request } from 'node:http';

export const images = Object.freeze({ mongo: 'mongo:7.0', kafka: 'confluentinc/cp-kafka:7.9.0' });

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

export async function startMongoContainer() {
  const { MongoDBContainer } = await import('@testcontainers/mongodb');
  const container = await new MongoDBContainer(images.mongo).start();
  return {
    url: `${container.getConnectionString()}/?directConnection=true`,
    version: images.mongo,
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
