import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ensureAcls, ensureTopics, topicNameFor } from '@parley/bus';
import type { TopicName } from '@parley/contracts';
import { createLogger, type Logger } from '@parley/logger';
import { type Kafka, Kafka as KafkaClient, logLevel } from 'kafkajs';
import { inject } from 'vitest';
import { serviceKafkaCredentials } from '../../scripts/infra/index.mjs';
import { demoPorts, freePortOffset, servicePorts } from '../../scripts/system.mjs';

/** The repository's root: where built services, fixtures and scripts are run from. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The servers the global setup ensured. */
export function testInfra() {
  return inject('infra');
}

/** A unique, valid name for topics, groups and databases: `<prefix>-<10 hex chars>`. */
export function randomName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Logs at TEST_LOG_LEVEL (default: silent) so failures can be investigated on demand. */
export function testLogger(service = 'test'): Logger {
  return createLogger({ service, version: 'test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

/** A client of the real broker, as parley-admin (a super user) when the broker has SASL. */
export function testKafka(clientId = randomName('test')): Kafka {
  const { kafkaBrokers, kafkaSasl } = testInfra();
  return new KafkaClient({
    clientId,
    brokers: kafkaBrokers,
    logLevel: logLevel.NOTHING,
    // A copy: kafkajs keeps its authenticator on the object it is given.
    ...(kafkaSasl ? { sasl: { ...kafkaSasl } } : {}),
  });
}

/** The services with a Kafka principal (libs/contracts/kafka-access.json). */
export type KafkaService = 'ingress' | 'enrichment' | 'history' | 'integrations';

/**
 * The Kafka variables of a service under test: the broker, and its own principal's dev credentials
 * when the broker has SASL (the launcher's users; docs/kafka.md).
 */
export function kafkaServiceEnv(service: KafkaService): Record<string, string> {
  const { kafkaBrokers, kafkaSasl } = testInfra();
  if (!kafkaSasl) return { KAFKA_BROKERS: kafkaBrokers.join(',') };
  const { username, password } = serviceKafkaCredentials(service);
  return {
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_SASL_MECHANISM: kafkaSasl.mechanism,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
  };
}

/**
 * A fresh topic prefix with the given event topics (and their DLQs) created on the real broker,
 * and, on a broker with SASL, the services' ACLs under that prefix (kafka-access.json).
 */
export async function freshTopics(kafka: Kafka, topics: readonly TopicName[], partitions = 3) {
  const prefix = `${randomName('t')}.`;
  await ensureTopics({ kafka, topics: topics.map((topic) => topicNameFor(prefix, topic)), partitions });
  if (testInfra().kafkaSasl) await ensureAcls({ kafka, topicPrefix: prefix });
  return prefix;
}

/**
 * Polls `condition` until it returns a truthy value (returned) or `timeoutMs` passes (throws with
 * `description` and the last value seen). Tests wait on conditions, never on fixed sleeps.
 */
export async function waitFor<T>(
  description: string,
  condition: () => T | Promise<T>,
  { timeoutMs = 30_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await condition();
    if (last) return last as NonNullable<T>;
    await sleep(intervalMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${description}; last value: ${JSON.stringify(last)}`,
  );
}

/** A loopback port free right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Waits until the ops server at `opsUrl` answers /readyz with 2xx (consumers joined, stores up);
 * a refused connection, as from a process still starting, counts as not ready yet.
 */
export async function waitForReady(name: string, opsUrl: string, timeoutMs?: number): Promise<void> {
  await waitFor(
    `${name} ready`,
    () =>
      fetch(`${opsUrl}/readyz`).then(
        (response) => response.ok,
        () => false,
      ),
    timeoutMs === undefined ? {} : { timeoutMs },
  );
}

/** An offset for `PARLEY_UP_PORT_OFFSET` whose ports (services and demo) are all free right now. */
export function freeUpPortOffset(): Promise<number> {
  return freePortOffset([...servicePorts, ...Object.values(demoPorts)]);
}
