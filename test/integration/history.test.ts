import { cloudEventHeaders, createEventProducer, type EventProducer, topicNameFor } from '@parley/bus';
import { eventContracts, type MessageEnriched } from '@parley/contracts';
import { type HistoryServiceDefinition, type ServiceClient, toStruct } from '@parley/grpc';
import { createLogger } from '@parley/logger';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historySchema } from '../../services/history/src/adapters/history-schema.js';
import { createHistoryStores } from '../../services/history/src/adapters/history-store.js';
import { dropSchema, serviceStore, storeComponent } from '../support/database.js';
import { enrichedMessage } from '../support/events.js';
import { grpcTlsEnv, historyClient } from '../support/grpc.js';
import {
  freshTopics,
  kafkaServiceEnv,
  randomName,
  repoRoot,
  testKafka,
  testLogger,
  waitFor,
} from '../support/harness.js';
import { buildWorkspaces } from '../support/service-process.js';
import { dropStore, startHistory } from '../support/services.js';

const topics = [
  'chat.messages.enriched.v1',
  'chat.messages.outbound.v1',
  'chat.customers.updated.v1',
  'chat.deliveries.v1',
] as const;

/** The records of a topic's dead-letter topic, from now on. */
async function deadLetters(kafka: Kafka, topic: string) {
  const consumer = kafka.consumer({ groupId: randomName('dlq') });
  await consumer.connect();
  await consumer.subscribe({ topic: `${topic}.dlq`, fromBeginning: true });
  const records: KafkaMessage[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void records.push(message) });
  return { records, close: () => consumer.disconnect() };
}

describe('history against the real broker and store', () => {
  // Errors the service logs, kept to check that a record it cannot store is reported.
  const errorLogs: { msg: string; code?: string; topic?: string }[] = [];
  const logger = createLogger({
    service: 'history-test',
    version: 'test',
    level: 'error',
    destination: { write: (line: string) => void errorLogs.push(JSON.parse(line)) },
  });
  const kafka = testKafka();
  let prefix: string;
  let app: Awaited<ReturnType<typeof startHistory>>;
  let producer: EventProducer;
  let history: ServiceClient<HistoryServiceDefinition>;
  const deliveries: KafkaMessage[] = [];
  const deliveryConsumer = kafka.consumer({ groupId: randomName('deliveries') });

  const sync = (threadId: string, afterSeq = 0, limit = 0) =>
    history.call.Sync({ tenantId: 'acme', customerKey: `ck-${threadId}`, threadId, afterSeq, limit });

  beforeAll(async () => {
    prefix = await freshTopics(kafka, [...topics]);
    app = await startHistory(prefix, logger);
    history = historyClient(app.grpcAddress());
    producer = createEventProducer({ kafka, source: 'parley/test', topicPrefix: prefix, logger });
    await producer.connect();
    await deliveryConsumer.connect();
    await deliveryConsumer.subscribe({
      topic: topicNameFor(prefix, 'chat.deliveries.v1'),
      fromBeginning: true,
    });
    await deliveryConsumer.run({ eachMessage: async ({ message }) => void deliveries.push(message) });
  });

  afterAll(async () => {
    history?.close();
    await deliveryConsumer.disconnect();
    await producer?.disconnect();
    await app?.stop();
    await dropStore(app);
  });

  it('stores every message once, in order per thread, with many threads in flight', async () => {
    const threads = Array.from({ length: 6 }, (_, i) => randomName(`th${i}`));
    const perThread = 15;
    for (let n = 1; n <= perThread; n += 1) {
      await Promise.all(
        threads.map((thread) => producer.publish('chat.messages.enriched.v1', enrichedMessage(thread, n))),
      );
    }
    // A redelivery (at-least-once upstream) changes nothing; the sentinel after it, on the same
    // thread and so the same partition, proves the redelivery was consumed before we count.
    await producer.publish('chat.messages.enriched.v1', enrichedMessage(threads[0] as string, 3));
    await producer.publish('chat.messages.enriched.v1', enrichedMessage(threads[0] as string, perThread + 1));
    for (const thread of threads) {
      const expected = thread === threads[0] ? perThread + 1 : perThread;
      const page = await waitFor(`thread ${thread} complete`, async () => {
        const result = await sync(thread, 0, 200);
        return result.messages.length === expected ? result : undefined;
      });
      expect(page.messages.map((message) => message.seq)).toEqual(
        Array.from({ length: expected }, (_, i) => i + 1),
      );
      expect(page.messages.map((message) => message.messageId)).toEqual(
        Array.from({ length: expected }, (_, i) => `${thread}-m${i + 1}`),
      );
    }
    const stored = await app.stores.messages.after('acme', threads[0] as string, 0, 1000);
    expect(stored).toHaveLength(perThread + 1);
  });

  it('publishes a delivery keyed by customer for every stored message', async () => {
    const thread = randomName('thd');
    await producer.publish('chat.messages.enriched.v1', enrichedMessage(thread, 1));
    // A reply goes only into a thread history already knows.
    await waitFor('the thread stored', async () => (await sync(thread)).messages.length === 1);
    await producer.publish('chat.messages.outbound.v1', {
      messageId: `${thread}-bot-1`,
      tenantId: 'acme',
      threadId: thread,
      customerKey: `ck-${thread}`,
      author: { kind: 'bot', id: 'helper', name: 'Helper' },
      text: 'how can I help?',
      sentAt: new Date().toISOString(),
    });
    const mine = await waitFor('two deliveries', () => {
      const found = deliveries.filter((message) => message.key?.toString() === `ck-${thread}`);
      return found.length >= 2 ? found : undefined;
    });
    const bodies = mine.map((message) => JSON.parse(message.value?.toString() ?? '{}'));
    // Two topics, so either may be stored first: the seqs are 1 and 2 and each message has one.
    expect(bodies.map((body) => body.seq).sort()).toEqual([1, 2]);
    expect(bodies.map((body) => body.message.author.kind).sort()).toEqual(['bot', 'customer']);
  });

  it('dead-letters an outbound message aimed at another customer’s thread', async () => {
    const thread = randomName('thf');
    await producer.publish('chat.messages.enriched.v1', enrichedMessage(thread, 1));
    await waitFor('the thread stored', async () => (await sync(thread)).messages.length === 1);
    const dlq = await deadLetters(kafka, topicNameFor(prefix, 'chat.messages.outbound.v1'));
    await producer.publish('chat.messages.outbound.v1', {
      messageId: `${thread}-intruder`,
      tenantId: 'acme',
      threadId: thread,
      customerKey: 'someone-else',
      author: { kind: 'bot', id: 'intruder' },
      text: 'not yours',
      sentAt: new Date().toISOString(),
    });
    const record = await waitFor('the dead letter', () => dlq.records[0]);
    expect(String(record.headers?.dlq_error_code)).toBe('permission_denied');
    expect((await sync(thread)).messages).toHaveLength(1);
    await dlq.close();
  });

  it('dead-letters a message the store cannot hold, says so, and stores the thread’s next one', async () => {
    const thread = randomName('thn');
    await producer.publish('chat.messages.enriched.v1', enrichedMessage(thread, 1));
    await waitFor('the thread stored', async () => (await sync(thread)).messages.length === 1);
    const dlq = await deadLetters(kafka, topicNameFor(prefix, 'chat.messages.enriched.v1'));
    // Sent as raw bytes: the edge refuses a NUL, and a producer that checks may too, but history
    // must not depend on every producer doing so.
    const withNul = { ...enrichedMessage(thread, 2), text: 'before\u0000after' };
    await producer.sendRecords(topicNameFor(prefix, 'chat.messages.enriched.v1'), [
      {
        key: thread,
        value: JSON.stringify(withNul),
        headers: cloudEventHeaders({
          source: 'parley/test',
          type: eventContracts['chat.messages.enriched.v1'].type,
        }),
      },
    ]);
    await producer.publish('chat.messages.enriched.v1', enrichedMessage(thread, 3));
    const record = await waitFor('the dead letter', () => dlq.records[0]);
    // invalid_argument from the store (or invalid_event, should the contract refuse NULs itself).
    expect(['invalid_argument', 'invalid_event']).toContain(String(record.headers?.dlq_error_code));
    expect(JSON.parse(record.value?.toString() ?? '{}')).toMatchObject({ messageId: `${thread}-m2` });
    const page = await waitFor('the next message stored', async () => {
      const result = await sync(thread);
      return result.messages.length === 2 ? result : undefined;
    });
    expect(page.messages.map((message) => [message.messageId, message.seq])).toEqual([
      [`${thread}-m1`, 1],
      [`${thread}-m3`, 2],
    ]);
    expect(errorLogs).toContainEqual(
      expect.objectContaining({
        msg: 'poison event sent to dead-letter topic',
        topic: topicNameFor(prefix, 'chat.messages.enriched.v1'),
      }),
    );
    await dlq.close();
  });

  it('syncs after a cursor, pages, and refuses another customer’s thread', async () => {
    const thread = randomName('ths');
    for (let n = 1; n <= 5; n += 1)
      await producer.publish('chat.messages.enriched.v1', enrichedMessage(thread, n));
    await waitFor('five messages', async () => (await sync(thread, 0, 200)).messages.length === 5);
    const page = await sync(thread, 2, 2);
    expect(page).toMatchObject({ lastSeq: 4, hasMore: true });
    expect(page.messages.map((message) => message.seq)).toEqual([3, 4]);
    await expect(
      history.call.Sync({
        tenantId: 'acme',
        customerKey: 'someone-else',
        threadId: thread,
        afterSeq: 0,
        limit: 10,
      }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(
      history.call.Sync({
        tenantId: 'globex',
        customerKey: `ck-${thread}`,
        threadId: thread,
        afterSeq: 0,
        limit: 10,
      }),
    ).resolves.toMatchObject({
      messages: [],
    });
  });

  it('keeps OAuth-managed fields read-only for agents and lets them set their own', async () => {
    const thread = randomName('thc');
    await producer.publish(
      'chat.messages.enriched.v1',
      enrichedMessage(thread, 1, { tier: 'gold', openCase: 'CASE-1' }),
    );
    const customerKey = `ck-${thread}`;
    await waitFor('the profile', async () =>
      history.call.GetCustomer({ tenantId: 'acme', customerKey }).then(
        () => true,
        () => false,
      ),
    );
    await expect(
      history.call.UpdateCustomerFields({
        tenantId: 'acme',
        customerKey,
        fields: toStruct({ tier: 'platinum' }),
        agentId: 'agent-1',
      }),
    ).rejects.toMatchObject({ code: 'field_managed_by_origin' });
    const updated = await history.call.UpdateCustomerFields({
      tenantId: 'acme',
      customerKey,
      fields: toStruct({ note: 'prefers email' }),
      agentId: 'agent-1',
    });
    const fields = Object.fromEntries(updated.customFields.map((field) => [field.name, field]));
    expect(fields.tier).toMatchObject({ source: 'oauth', value: { stringValue: 'gold' } });
    expect(fields.note).toMatchObject({ source: 'agent', value: { stringValue: 'prefers email' } });

    // The next message's fresh data from the brand replaces the OAuth fields and keeps the agent's.
    await producer.publish(
      'chat.messages.enriched.v1',
      enrichedMessage(thread, 2, { tier: 'platinum', openCase: null }),
    );
    await waitFor('the new tier', async () => {
      const profile = await history.call.GetCustomer({ tenantId: 'acme', customerKey });
      const byName = Object.fromEntries(profile.customFields.map((field) => [field.name, field]));
      return byName.tier?.value?.stringValue === 'platinum' && byName.note?.source === 'agent';
    });
    await expect(history.call.GetCustomer({ tenantId: 'globex', customerKey })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('keeps the newest brand snapshot and every agent edit when they race', async () => {
    const thread = randomName('thr');
    const customerKey = `ck-${thread}`;
    const base = Date.now();
    const update = (minutesLater: number) => ({
      tenantId: 'acme',
      customerKey,
      customer: { id: `cust-${thread}`, name: 'Ada', customFields: { tier: `tier-${minutesLater}` } },
      changedFields: ['customFields.tier'],
      fetchedAt: new Date(base + minutesLater * 60_000).toISOString(),
    });
    await producer.publish('chat.customers.updated.v1', update(0));
    await waitFor('the profile', async () =>
      history.call.GetCustomer({ tenantId: 'acme', customerKey }).then(
        () => true,
        () => false,
      ),
    );
    // Snapshots arrive out of order (newest in the middle) while agents set ten fields at once.
    const edits = Array.from({ length: 10 }, (_, i) =>
      history.call.UpdateCustomerFields({
        tenantId: 'acme',
        customerKey,
        fields: toStruct({ [`note${i}`]: `edit ${i}` }),
        agentId: `agent-${i}`,
      }),
    );
    for (const minutes of [3, 9, 1, 5, 2])
      await producer.publish('chat.customers.updated.v1', update(minutes));
    await Promise.all(edits);
    await producer.publish('chat.customers.updated.v1', update(4));
    const settled = await waitFor('every snapshot handled', async () => {
      const profile = await history.call.GetCustomer({ tenantId: 'acme', customerKey });
      const byName = Object.fromEntries(profile.customFields.map((field) => [field.name, field]));
      return Object.keys(byName).length === 11 ? byName : undefined;
    });
    // Give the late, older snapshot time to land; it must not win.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const profile = await history.call.GetCustomer({ tenantId: 'acme', customerKey });
    const byName = Object.fromEntries(profile.customFields.map((field) => [field.name, field]));
    expect(settled.tier).toBeDefined();
    expect(byName.tier).toMatchObject({ source: 'oauth', value: { stringValue: 'tier-9' } });
    for (let i = 0; i < 10; i += 1) {
      expect(byName[`note${i}`]).toMatchObject({ source: 'agent', value: { stringValue: `edit ${i}` } });
    }
  });
});

describe('history killed mid-batch', () => {
  it('stores every message exactly once, numbered without gaps, after a SIGKILL and a restart', {
    timeout: 180_000,
  }, async () => {
    const { spawn } = await import('node:child_process');
    const build = buildWorkspaces(['@parley/history']);
    expect(build.status, build.stderr).toBe(0);

    const kafka = testKafka();
    const prefix = await freshTopics(kafka, [...topics]);
    const store = serviceStore('history');
    const env = {
      ...process.env,
      ...kafkaServiceEnv('history'),
      KAFKA_TOPIC_PREFIX: prefix,
      ...store,
      ...grpcTlsEnv('history'),
      BIND_HOST: '127.0.0.1',
      OPS_PORT: '0',
      GRPC_PORT: '0',
      LOG_LEVEL: 'warn',
    };
    const logger = testLogger('history-kill-test');
    const producer = createEventProducer({ kafka, source: 'parley/test', topicPrefix: prefix, logger });
    await producer.connect();
    const threads = Array.from({ length: 4 }, (_, i) => `thk-${i}`);
    const perThread = 60;
    const event = (thread: string, n: number): MessageEnriched => ({
      messageId: `${thread}-m${n}`,
      clientMessageId: `c${n}`,
      tenantId: 'acme',
      channelId: 'web',
      threadId: thread,
      customerKey: `ck-${thread}`,
      deviceId: 'laptop',
      text: `message ${n}`,
      sentAt: new Date().toISOString(),
      customer: null,
      enrichment: { status: 'unavailable', reason: 'timeout', latencyMs: 1 },
    });
    for (let n = 1; n <= perThread; n += 1)
      await Promise.all(
        threads.map((thread) => producer.publish('chat.messages.enriched.v1', event(thread, n))),
      );
    await producer.disconnect();

    // The test reads through history's own ports, on the schema the processes work in.
    const postgres = storeComponent(historySchema, store, logger);
    await postgres.start();
    const { messages } = createHistoryStores(() => postgres.database());
    const storedOf = (thread: string) => messages.after('acme', thread, 0, 1000);
    const countStored = async () =>
      (await Promise.all(threads.map(storedOf))).reduce((sum, stored) => sum + stored.length, 0);
    try {
      const first = spawn(process.execPath, ['services/history/dist/main.js'], {
        cwd: repoRoot,
        env,
        stdio: 'ignore',
      });
      const firstExit = new Promise((resolve) => first.once('exit', resolve));
      await waitFor('some messages stored', async () => (await countStored()) >= 20, {
        timeoutMs: 60_000,
      });
      first.kill('SIGKILL');
      await firstExit;
      const storedAtKill = await countStored();
      expect(storedAtKill).toBeLessThan(threads.length * perThread);

      const second = spawn(process.execPath, ['services/history/dist/main.js'], {
        cwd: repoRoot,
        env,
        stdio: 'ignore',
      });
      try {
        await waitFor(
          'every message stored',
          async () => (await countStored()) === threads.length * perThread,
          { timeoutMs: 90_000 },
        );
      } finally {
        second.kill('SIGTERM');
        await new Promise((resolve) => second.once('exit', resolve));
      }
      for (const thread of threads) {
        const stored = await storedOf(thread);
        expect(stored.map((message) => message.seq)).toEqual(
          Array.from({ length: perThread }, (_, i) => i + 1),
        );
        expect(stored.map((message) => message.messageId)).toEqual(
          Array.from({ length: perThread }, (_, i) => `${thread}-m${i + 1}`),
        );
      }
    } finally {
      await postgres.stop();
      await dropSchema(store.DATABASE_SCHEMA);
    }
  });
});
