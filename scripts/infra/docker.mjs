// @ts-check
// Kafka and PostgreSQL in containers, for machines with a Docker engine. testcontainers ties the
// containers to the calling process (its reaper removes them when the process exits), so this
// serves `npm test` and `npm run up`, which run in the foreground.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaAnswers } from './kafka.mjs';
import {
  devCertificateCommands,
  kafkaAdminCredentials,
  kafkaSaslMechanism,
  scramFormatArgs,
  securityProperties,
} from './kafka-security.mjs';
import { InfraError } from './settings.mjs';

export const images = Object.freeze({ postgres: 'postgres:17-alpine' });

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

/**
 * Apache Kafka 4 (the official image, the launcher's version) with the local broker's SASL users, the
 * StandardAuthorizer and the SASL_SSL listener. The advertised addresses need the mapped ports, known
 * only once the container runs: it waits for a start script, which formats the storage with the
 * SCRAM users and starts the broker. Not run on machines without a Docker engine (local processes
 * serve there, scripts/infra/kafka.mjs).
 * @param {import('./settings.mjs').InfraSettings} settings
 */
export async function startKafkaContainer(settings) {
  const { GenericContainer, Wait } = await import('testcontainers');
  const image = `apache/kafka:${settings.kafka.version}`;
  const dir = '/tmp/parley-kafka';
  const container = await new GenericContainer(image)
    .withExposedPorts(9092, 9094)
    .withEntrypoint([
      'sh',
      '-c',
      `echo parley-waiting; while [ ! -f ${dir}.sh ]; do sleep 0.1; done; exec sh ${dir}.sh`,
    ])
    .withWaitStrategy(Wait.forLogMessage('parley-waiting'))
    .start();
  const host = container.getHost();
  const advertised = {
    client: `${host}:${container.getMappedPort(9092)}`,
    tls: `${host}:${container.getMappedPort(9094)}`,
  };
  const properties = [
    'process.roles=broker,controller',
    'node.id=1',
    'controller.quorum.voters=1@127.0.0.1:9093',
    ...securityProperties({
      listeners: { client: '0.0.0.0:9092', tls: '0.0.0.0:9094', controller: '127.0.0.1:9093' },
      advertised,
      keystore: `${dir}/broker.p12`,
    }),
    `log.dirs=${dir}/data`,
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    '',
  ].join('\n');
  const [generate, exportPem] = devCertificateCommands(dir, host === 'localhost' ? '127.0.0.1' : host);
  /** @param {string[]} args */
  const shell = (args) => args.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  const script = [
    'set -e',
    `mkdir -p ${dir}`,
    `keytool ${shell(generate)}`,
    `keytool ${shell(exportPem)}`,
    `/opt/kafka/bin/kafka-storage.sh format -t "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" -c ${dir}.properties ${shell(scramFormatArgs())}`,
    `exec /opt/kafka/bin/kafka-server-start.sh ${dir}.properties`,
  ].join('\n');
  // The properties first: the waiting entrypoint starts as soon as the script exists.
  await container.copyContentToContainer([{ content: properties, target: `${dir}.properties` }]);
  await container.copyContentToContainer([{ content: script, target: `${dir}.sh` }]);
  const deadline = Date.now() + 120_000;
  while (!(await kafkaAnswers(advertised.client, { sasl: kafkaAdminCredentials }))) {
    if (Date.now() > deadline) {
      await container.stop();
      throw new InfraError(`the ${image} container did not serve SASL clients within 120 s`);
    }
    await sleep(500);
  }
  // Clients trust the container's dev certificate through a CA file on this machine.
  const caFile = join(mkdtempSync(join(tmpdir(), 'parley-kafka-ca-')), 'ca.pem');
  writeFileSync(caFile, (await container.exec(['cat', `${dir}/ca.pem`])).output);
  return {
    brokers: advertised.client,
    version: `${image} (SASL SCRAM-SHA-512, StandardAuthorizer)`,
    sasl: { mechanism: kafkaSaslMechanism, ...kafkaAdminCredentials },
    tls: { brokers: advertised.tls, caFile },
    stop: () => container.stop(),
  };
}
