import { aclsFor, createKafkaClient, dlqTopicFor, kafkaClientOptions, topicNameFor } from '@parley/bus';
import { loadKafkaAccess, type TopicName, topicNames } from '@parley/contracts';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  type Kafka,
  Kafka as KafkaClient,
  type LogEntry,
  logLevel,
  ResourcePatternTypes,
} from 'kafkajs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serviceKafkaCredentials } from '../../scripts/infra/index.mjs';
import { freshTopics, randomName, testInfra, testKafka, testLogger, waitFor } from '../support/harness.js';

/** The broker must authenticate and authorize: on one that does not, these tests fail, never skip. */
function requireSasl() {
  const { kafkaSasl, kafka, kafkaBrokers } = testInfra();
  if (!kafkaSasl) {
    throw new Error(
      `the Kafka ACL tests need a broker with SASL SCRAM-SHA-512 and the StandardAuthorizer (the launcher's, docs/kafka.md); ${kafka} at ${kafkaBrokers.join(',')} accepts clients without SASL`,
    );
  }
  return kafkaSasl;
}

/** A kafkajs client as `credentials` (none: no SASL), failing fast; `log` gets its debug log. */
function clientAs(
  credentials?: { username: string; password: string },
  log?: (entry: unknown) => void,
): Kafka {
  return new KafkaClient({
    clientId: randomName('acl'),
    brokers: testInfra().kafkaBrokers,
    logLevel: log ? logLevel.DEBUG : logLevel.NOTHING,
    ...(log ? { logCreator: () => (entry: LogEntry) => log(entry.log) } : {}),
    connectionTimeout: 2000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    ...(credentials ? { sasl: { mechanism: 'scram-sha-512', ...credentials } } : {}),
  });
}

async function produce(kafka: Kafka, topic: string, value = 'acl-test') {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
  } finally {
    await producer.disconnect();
  }
}

/** Resolves with the first record's value of each topic, or rejects with the first error of the consumer. */
async function consumeFirst(kafka: Kafka, topics: readonly string[], groupId: string): Promise<string[]> {
  // Retries as a service has them: the first group on a fresh broker meets NOT_COORDINATOR while
  // __consumer_offsets loads. Refusals are not retriable and come at once.
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const seen = new Map<string, string>();
  try {
    await consumer.connect();
    const crashed = new Promise<never>((_, reject) => {
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
    });
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (!seen.has(topic)) seen.set(topic, message.value?.toString() ?? '');
      },
    });
    await Promise.race([crashed, waitFor('a record of every topic', () => seen.size === topics.length)]);
    return topics.map((topic) => seen.get(topic) ?? '');
  } finally {
    await consumer.disconnect();
  }
}

async function highWatermarks(admin: Kafka, topic: string): Promise<number> {
  const client = admin.admin();
  await client.connect();
  try {
    const offsets = await client.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await client.disconnect();
  }
}

/**
 * The Kafka error types (`TOPIC_AUTHORIZATION_FAILED`...) of what `attempt` rejects with, along
 * kafkajs's cause chain (and an aggregate's errors); a marker when it succeeds.
 */
async function refusal(attempt: Promise<unknown>): Promise<string[]> {
  let error: unknown = await attempt.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (error === undefined) return ['(not refused)'];
  const types: string[] = [];
  for (let depth = 0; error && depth < 5; depth += 1) {
    const { type, name, cause, errors } = error as {
      type?: string;
      name?: string;
      cause?: unknown;
      errors?: { type?: string }[];
    };
    types.push(type ?? name ?? 'error', ...(errors ?? []).map((each) => each.type ?? 'error'));
    error = cause;
  }
  return types;
}

describe('Kafka authentication and ACLs on the real broker', () => {
  const access = loadKafkaAccess();
  const admin = testKafka();
  let prefix: string;
  /** Every topic and DLQ under the prefix. */
  let everyTopic: string[];

  // Each test fails (never skips) on a broker without SASL, saying why.
  beforeEach(() => void requireSasl());

  beforeAll(async () => {
    if (!testInfra().kafkaSasl) return;
    prefix = await freshTopics(admin, topicNames, 1);
    everyTopic = topicNames.flatMap((base) => {
      const topic = topicNameFor(prefix, base);
      return [topic, dlqTopicFor(topic)];
    });
    // One record on every topic, so that an allowed consumer has something to read.
    for (const topic of everyTopic) await produce(admin, topic, `seed ${topic}`);
  });

  it('holds exactly the ACLs of kafka-access.json under the prefix', async () => {
    console.log(`ACL test broker: ${testInfra().kafka} at ${testInfra().kafkaBrokers.join(',')}`);
    const client = admin.admin();
    await client.connect();
    const described = await client.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    await client.disconnect();
    const key = (acl: {
      principal: string;
      operation: number;
      resourceType: number;
      resourceName: string;
      resourcePatternType: number;
      permissionType: number;
      host: string;
    }) =>
      `${acl.principal} ${acl.permissionType} ${acl.operation} ${acl.resourceType}:${acl.resourceName}:${acl.resourcePatternType}@${acl.host}`;
    const onBroker = described.resources
      .filter((resource) => resource.resourceName.startsWith(prefix))
      .flatMap((resource) => resource.acls.map((acl) => key({ ...resource, ...acl })));
    expect(onBroker.sort()).toEqual(aclsFor(prefix).map(key).sort());
  });

  it('refuses a client without SASL: no produce, consume, listing or topic creation', async () => {
    const anonymous = clientAs();
    const topic = topicNameFor(prefix, 'chat.messages.received.v1');
    const before = await highWatermarks(admin, topic);
    await expect(produce(anonymous, topic)).rejects.toThrow();
    await expect(consumeFirst(anonymous, [topic], randomName('anon'))).rejects.toThrow();
    const client = anonymous.admin();
    await expect(client.connect().then(() => client.listTopics())).rejects.toThrow();
    await expect(client.createTopics({ topics: [{ topic: randomName('anon-topic') }] })).rejects.toThrow();
    await client.disconnect();
    expect(await highWatermarks(admin, topic)).toBe(before);
  });

  it('refuses a wrong password and an unknown user', async () => {
    const { username } = serviceKafkaCredentials('history');
    for (const credentials of [
      { username, password: 'not-the-password' },
      { username: 'parley-nobody', password: 'whatever' },
    ]) {
      const client = clientAs(credentials).admin();
      await expect(client.connect()).rejects.toMatchObject({ name: 'KafkaJSSASLAuthenticationError' });
      await client.disconnect();
    }
  });

  describe.each(Object.keys(access.principals))('the %s principal', (service) => {
    const principal = () => access.principals[service] as (typeof access.principals)[string];
    const kafka = () => clientAs(serviceKafkaCredentials(service));
    const deployed = (base: TopicName) => topicNameFor(prefix, base);
    const writable = () => [
      ...principal().produces.map(deployed),
      ...principal().consumes.map((base) => dlqTopicFor(deployed(base))),
    ];
    const readable = () => principal().consumes.map(deployed);
    /** A group it owns: its literal group, or a name under its prefixed one (ingress-pod-<instance>). */
    const ownGroup = () => {
      const group = principal().groups[0];
      if (!group) throw new Error(`${service} has no group`);
      return `${prefix}${group.name}${group.pattern === 'prefixed' ? randomName('instance') : ''}`;
    };

    it('produces to its own topics (idempotently, with WRITE alone) and is refused on every other', async () => {
      const client = kafka();
      for (const topic of writable()) await produce(client, topic);
      for (const topic of everyTopic.filter((topic) => !writable().includes(topic))) {
        expect(await refusal(produce(client, topic)), topic).toContain('TOPIC_AUTHORIZATION_FAILED');
      }
    });

    it('consumes its own topics in its own group and is refused on every other topic', async () => {
      const client = kafka();
      if (readable().length > 0) {
        expect(await consumeFirst(client, readable(), ownGroup())).toEqual(
          readable().map((topic) => `seed ${topic}`),
        );
      }
      for (const topic of everyTopic.filter((topic) => !readable().includes(topic))) {
        expect(await refusal(consumeFirst(client, [topic], ownGroup())), topic).toContain(
          'TOPIC_AUTHORIZATION_FAILED',
        );
      }
    });

    it('is refused a consumer group it does not own, and may not create topics', async () => {
      const topic = readable()[0] ?? deployed('chat.messages.received.v1');
      const foreign = `${prefix}${service === 'history' ? 'enrichment' : 'history'}`;
      for (const groupId of [randomName('foreign'), foreign, `${prefix}ingress-other`]) {
        // kafkajs 2.2 reports the broker's GROUP_AUTHORIZATION_FAILED (to FindCoordinator) only in
        // its debug log, and rejects with "Failed to find group coordinator".
        const logged: string[] = [];
        const client = clientAs(serviceKafkaCredentials(service), (entry) =>
          logged.push(JSON.stringify(entry)),
        );
        expect(await refusal(consumeFirst(client, [topic], groupId)), groupId).toContain(
          'KafkaJSGroupCoordinatorNotFound',
        );
        expect(logged.join('\n'), groupId).toContain('GROUP_AUTHORIZATION_FAILED');
      }
      const clientAdmin = kafka().admin();
      await clientAdmin.connect();
      expect(
        await refusal(clientAdmin.createTopics({ topics: [{ topic: `${prefix}${randomName('new')}` }] })),
      ).toContain('TOPIC_AUTHORIZATION_FAILED');
      await clientAdmin.disconnect();
    });
  });

  it('connects a service over SASL_SSL with KAFKA_TLS and KAFKA_TLS_CA_FILE, and not without the CA', async () => {
    const tls = testInfra().kafkaTls;
    if (!tls)
      throw new Error(`the TLS test needs the launcher's SASL_SSL listener; ${testInfra().kafka} has none`);
    const { username, password } = serviceKafkaCredentials('enrichment');
    const config = {
      KAFKA_BROKERS: tls.brokers,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: username,
      KAFKA_SASL_PASSWORD: password,
      KAFKA_TLS: true,
    } as const;
    const logger = testLogger('kafka-tls');
    const topic = topicNameFor(prefix, 'chat.messages.enriched.v1');
    const trusted = createKafkaClient({
      ...kafkaClientOptions({ ...config, KAFKA_TLS_CA_FILE: tls.caFile }),
      clientId: 'tls-test',
      logger,
    });
    const before = await highWatermarks(admin, topic);
    await produce(trusted, topic, 'over tls');
    expect(await highWatermarks(admin, topic)).toBe(before + 1);
    // The system's CAs do not know the dev certificate.
    const untrusted = createKafkaClient({
      ...kafkaClientOptions(config),
      clientId: 'tls-test',
      logger,
      retry: { retries: 1, initialRetryTimeMs: 100, maxRetryTimeMs: 100 },
    });
    await expect(produce(untrusted, topic)).rejects.toThrow(/self-signed certificate/);
  });
});
