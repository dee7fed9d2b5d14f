import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  createEventConsumer,
  createEventProducer,
  dlqTopicFor,
  type EventConsumer,
  type EventProducer,
  topicNameFor,
} from '@parley/bus';
import type { MessageReceived } from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  freshTopics,
  randomName,
  repoRoot,
  testInfra,
  testKafka,
  testLogger,
  waitFor,
} from '../support/harness.js';
import { buildWorkspaces } from '../support/service-process.js';

const topic = 'chat.messages.received.v1' as const;

function received(threadId: string, n: number): MessageReceived {
  return {
    messageId: `${threadId}-m${n}`,
    clientMessageId: `c-${randomUUID()}`,
    tenantId: 'tenant-a',
    channelId: 'web',
    threadId,
    customerKey: `ck-${threadId}`,
    deviceId: 'd1',
    text: `message ${n}`,
    sentAt: new Date().toISOString(),
  };
}

/** Reads every record of a topic from the beginning into an array that fills as they arrive. */
async function collectRaw(kafka: Kafka, deployedTopic: string) {
  const records: KafkaMessage[] = [];
  const consumer = kafka.consumer({ groupId: randomName('raw') });
  await consumer.connect();
  await consumer.subscribe({ topic: deployedTopic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void records.push(message) });
  return { records, stop: () => consumer.disconnect() };
}

describe('bus against the real broker', () => {
  const logger = testLogger('bus-test');
  let kafka: Kafka;
  let prefix: string;
  let producer: EventProducer;
  const cleanup: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    kafka = testKafka();
    prefix = await freshTopics(kafka, [topic]);
    producer = createEventProducer({ kafka, source: 'parley/test', topicPrefix: prefix, logger });
    await producer.connect();
    cleanup.push(() => producer.disconnect());
  });

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  function consumer(
    handle: (event: MessageReceived) => Promise<void>,
    options: {
      groupId?: string;
      maxAttempts?: number;
      batchRetries?: number;
      onCrash?: (crash: { restart: boolean }) => void;
      pipelineDepth?: number;
      skip?: (key: string | null) => boolean;
    } = {},
  ): EventConsumer {
    const created = createEventConsumer<typeof topic>({
      kafka,
      batchRetries: options.batchRetries ?? 5,
      fromBeginning: true,
      ...(options.onCrash ? { onCrash: options.onCrash } : {}),
      ...(options.pipelineDepth ? { pipelineDepth: options.pipelineDepth, maxRetryBackoffMs: 200 } : {}),
      ...(options.skip
        ? { skip: (_topic: unknown, key: string | null) => options.skip?.(key) ?? false }
        : {}),
      groupId: options.groupId ?? randomName('group'),
      topicPrefix: prefix,
      dlqProducer: producer,
      logger,
      maxAttempts: options.maxAttempts ?? 3,
      retryBackoffMs: 20,
      handlers: { [topic]: handle },
    });
    cleanup.push(() => created.stop());
    return created;
  }

  it('produces and consumes with CloudEvents headers and trace context', async () => {
    console.log(`bus test broker: ${testInfra().kafka} at ${testInfra().kafkaBrokers.join(',')}`);
    const seen: { event: MessageReceived; headers: Record<string, string> }[] = [];
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const events = createEventConsumer({
      kafka,
      fromBeginning: true,
      groupId: randomName('group'),
      topicPrefix: prefix,
      dlqProducer: producer,
      logger,
      handlers: {
        [topic]: async (event, meta) => {
          seen.push({ event, headers: { ...meta.cloudEvent } });
        },
      },
    });
    cleanup.push(() => events.stop());
    await events.start();

    const event = received('thread-1', 1);
    await producer.publish(topic, event, { id: 'event-1', traceparent });
    await waitFor('the event to be consumed', () => seen.length === 1);
    expect(seen[0]?.event).toEqual(event);
    expect(seen[0]?.headers).toMatchObject({
      id: 'event-1',
      source: 'parley/test',
      type: 'parley.chat.message.received.v1',
      traceparent,
    });

    const raw = await collectRaw(kafka, topicNameFor(prefix, topic));
    cleanup.push(raw.stop);
    const record = await waitFor('the raw record', () => raw.records[0]);
    expect(record.key?.toString()).toBe('thread-1');
    expect(
      Object.fromEntries(Object.entries(record.headers ?? {}).map(([k, v]) => [k, String(v)])),
    ).toMatchObject({
      ce_specversion: '1.0',
      ce_id: 'event-1',
      ce_type: 'parley.chat.message.received.v1',
      'content-type': 'application/json',
      traceparent,
    });
    await waitFor('the consumer to report ready', () => events.isReady());
  });

  it('refuses to produce an event that breaks its schema, and sends nothing', async () => {
    const bad = { ...received('thread-x', 1), accessToken: 'must-never-reach-kafka' };
    await expect(producer.publish(topic, bad as MessageReceived)).rejects.toMatchObject({
      code: 'invalid_event',
    });
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topicNameFor(prefix, topic));
    await admin.disconnect();
    expect(offsets.every((partition) => partition.high === '0')).toBe(true);
  });

  it('keeps per-key order while handling distinct keys concurrently', async () => {
    const threads = Array.from({ length: 8 }, (_, i) => `thread-${i}`);
    const perThread = 25;
    const seen = new Map<string, number[]>();
    let inFlight = 0;
    let maxInFlight = 0;
    const events = consumer(async (event) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      const list = seen.get(event.threadId) ?? [];
      list.push(Number(event.messageId.split('-m')[1]));
      seen.set(event.threadId, list);
      inFlight -= 1;
    });
    for (let n = 1; n <= perThread; n += 1) {
      await Promise.all(threads.map((thread) => producer.publish(topic, received(thread, n))));
    }
    await events.start();
    await waitFor(
      'every event',
      () => [...seen.values()].reduce((sum, list) => sum + list.length, 0) === threads.length * perThread,
    );
    for (const thread of threads) {
      expect(seen.get(thread), thread).toEqual(Array.from({ length: perThread }, (_, i) => i + 1));
    }
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it('sends poison events to the DLQ with the error in headers and moves on', async () => {
    const deployed = topicNameFor(prefix, topic);
    const handled: string[] = [];
    const events = consumer(async (event) => {
      if (event.text === 'explode') throw new ParleyError('invalid_argument', 'handler refuses this message');
      handled.push(event.messageId);
    });
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({
      topic: deployed,
      messages: [{ key: 'thread-p', value: '{not json', headers: { ce_specversion: '1.0' } }],
    });
    await raw.send({
      topic: deployed,
      messages: [
        {
          key: 'thread-p',
          value: JSON.stringify({ text: 'missing fields' }),
          headers: {
            ce_specversion: '1.0',
            ce_id: 'x',
            ce_source: 's',
            ce_type: 'parley.chat.message.received.v1',
            ce_time: new Date().toISOString(),
            'content-type': 'application/json',
          },
        },
      ],
    });
    await raw.disconnect();
    await producer.publish(topic, { ...received('thread-p', 1), text: 'explode' });
    await producer.publish(topic, received('thread-p', 2));

    const dlq = await collectRaw(kafka, dlqTopicFor(deployed));
    cleanup.push(dlq.stop);
    await events.start();
    await waitFor('the good event after the poison ones', () => handled.includes('thread-p-m2'));
    await waitFor('three dead letters', () => dlq.records.length === 3);
    const codes = dlq.records.map((record) => String(record.headers?.dlq_error_code));
    expect(codes).toEqual(['invalid_event', 'invalid_event', 'invalid_argument']);
    expect(String(dlq.records[0]?.headers?.dlq_error_message)).toContain('not a CloudEvent');
    expect(String(dlq.records[1]?.headers?.dlq_error_message)).toContain('does not match');
    expect(dlq.records[0]?.value?.toString()).toBe('{not json');
    expect(String(dlq.records[2]?.headers?.dlq_original_topic)).toBe(deployed);
    expect(handled).toEqual(['thread-p-m2']);
  });

  it('skips records by key without decoding them, and commits past them', async () => {
    const deployed = topicNameFor(prefix, topic);
    const groupId = randomName('group');
    const handled: string[] = [];
    const skippedKeys: (string | null)[] = [];
    const events = consumer(async (event) => void handled.push(event.messageId), {
      groupId,
      skip: (key) => {
        if (key !== 'thread-skip') return false;
        skippedKeys.push(key);
        return true;
      },
    });
    const raw = kafka.producer();
    await raw.connect();
    // Poison: dead-lettered if it were decoded.
    await raw.send({ topic: deployed, messages: [{ key: 'thread-skip', value: '{not json' }] });
    await raw.disconnect();
    await producer.publish(topic, received('thread-skip', 1));
    for (let n = 1; n <= 3; n += 1) await producer.publish(topic, received('thread-keep', n));

    await events.start();
    await waitFor('the kept thread', () => handled.length === 3);
    await events.stop();
    expect(handled).toEqual(['thread-keep-m1', 'thread-keep-m2', 'thread-keep-m3']);
    expect(skippedKeys).toEqual(['thread-skip', 'thread-skip']);
    // Every partition is committed to its end (the skipped records too), and nothing was dead-lettered.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(deployed);
      const [committed] = await admin.fetchOffsets({ groupId: `${prefix}${groupId}`, topics: [deployed] });
      for (const { partition, high } of ends) {
        const at = committed?.partitions.find((entry) => entry.partition === partition)?.offset;
        expect(high === '0' ? '0' : at, `partition ${partition}`).toBe(high);
      }
      const dlqEnds = await admin.fetchTopicOffsets(dlqTopicFor(deployed));
      expect(dlqEnds.every(({ high }) => high === '0')).toBe(true);
    } finally {
      await admin.disconnect();
    }
  });

  it('retries errors that are not deliberate refusals instead of dead-lettering them', async () => {
    let failuresLeft = 2;
    const handled: string[] = [];
    const events = consumer(async (event) => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new TypeError('fetch failed');
      }
      handled.push(event.messageId);
    });
    const dlq = await collectRaw(kafka, dlqTopicFor(topicNameFor(prefix, topic)));
    cleanup.push(dlq.stop);
    await producer.publish(topic, received('thread-u', 1));
    await events.start();
    await waitFor('the event after two failures', () => handled.length === 1);
    expect(failuresLeft).toBe(0);
    expect(dlq.records).toEqual([]);
  });

  it('accepts events carrying fields it does not know yet (rolling deploys)', async () => {
    const handled: MessageReceived[] = [];
    const events = consumer(async (event) => void handled.push(event));
    const raw = kafka.producer();
    await raw.connect();
    const event = received('thread-n', 1);
    await raw.send({
      topic: topicNameFor(prefix, topic),
      messages: [
        {
          key: 'thread-n',
          value: JSON.stringify({ ...event, addedInANewerVersion: true }),
          headers: {
            ce_specversion: '1.0',
            ce_id: 'n1',
            ce_source: 'parley/newer',
            ce_type: 'parley.chat.message.received.v1',
            ce_time: new Date().toISOString(),
            'content-type': 'application/json; charset=utf-8',
          },
        },
      ],
    });
    await raw.disconnect();
    await events.start();
    await waitFor('the event', () => handled.length === 1);
    expect(handled[0]).toEqual(event);
  });

  it('redelivers after the consumer crashes on a failing dependency, losing nothing', async () => {
    const total = 12;
    const handled: string[] = [];
    const crashes: { restart: boolean }[] = [];
    // maxAttempts 3 per run of the batch, kafkajs retries the batch once: after 6 failures the
    // consumer crashes and restarts from the committed offset.
    let failuresLeft = 8;
    const events = consumer(
      async (event) => {
        if (event.messageId === 'thread-r-m5' && failuresLeft > 0) {
          failuresLeft -= 1;
          throw new ParleyError('dependency_unavailable', 'store is down');
        }
        handled.push(event.messageId);
      },
      { batchRetries: 1, onCrash: (crash) => crashes.push(crash) },
    );
    for (let n = 1; n <= total; n += 1) await producer.publish(topic, received('thread-r', n));
    await events.start();
    await waitFor('all events after the crash', () => new Set(handled).size === total, { timeoutMs: 45_000 });
    expect(failuresLeft).toBe(0);
    expect(crashes).toEqual([expect.objectContaining({ restart: true })]);
    const unique = [...new Set(handled)];
    expect(unique).toEqual(Array.from({ length: total }, (_, i) => `thread-r-m${i + 1}`));
    // Per-key order holds across the restart: nothing after m5 was handled before m5.
    expect(handled.indexOf('thread-r-m6')).toBeGreaterThan(handled.indexOf('thread-r-m5'));
  });

  it.each([
    { mode: 'batch', depth: '' },
    { mode: 'pipelined', depth: '8' },
  ])(
    'redelivers what a SIGKILLed consumer process had handled but not committed ($mode)',
    {
      timeout: 120_000,
    },
    async ({ depth }) => {
      // The fixture runs libs/bus from dist, as a service would.
      const build = buildWorkspaces(['@parley/bus']);
      expect(build.status, build.stderr).toBe(0);

      const groupId = randomName('group');
      const total = 20;
      for (let n = 1; n <= total; n += 1) {
        await producer.publish(topic, {
          ...received('thread-k', n),
          text: n === 10 ? 'hang' : `message ${n}`,
        });
      }
      let childOutput = '';
      const child = spawn(process.execPath, ['test/integration/fixtures/consumer-process.mjs'], {
        cwd: repoRoot,
        env: {
          ...process.env,
          FIXTURE_BROKERS: testInfra().kafkaBrokers.join(','),
          // The broker's admin when it has SASL (its groups and topics are random, outside the ACLs).
          FIXTURE_SASL_USERNAME: testInfra().kafkaSasl?.username ?? '',
          FIXTURE_SASL_PASSWORD: testInfra().kafkaSasl?.password ?? '',
          FIXTURE_PREFIX: prefix,
          FIXTURE_GROUP: groupId,
          FIXTURE_PIPELINE_DEPTH: depth,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      child.stdout?.on('data', (chunk: Buffer) => {
        childOutput += chunk.toString();
      });
      const childExit = new Promise((resolve) => child.once('exit', resolve));
      cleanup.push(async () => {
        child.kill('SIGKILL');
        await childExit;
      });
      await waitFor(
        'the child to reach the hanging event',
        () => childOutput.includes('hanging thread-k-m10'),
        { timeoutMs: 60_000 },
      );
      const handledByChild = [...childOutput.matchAll(/^handled (\S+)$/gm)].map((match) => match[1]);
      expect(handledByChild).toEqual(Array.from({ length: 9 }, (_, i) => `thread-k-m${i + 1}`));
      // A pipelined consumer commits as records finish: give it a moment to commit m1..m9.
      if (depth) await new Promise((resolve) => setTimeout(resolve, 2000));
      child.kill('SIGKILL');
      await childExit;

      const handled: string[] = [];
      const successor = consumer(async (event) => void handled.push(event.messageId), { groupId });
      await successor.start();
      await waitFor('every event after the crash', () => handled.includes(`thread-k-m${total}`), {
        timeoutMs: 60_000,
      });
      // In batch mode nothing of the unfinished batch was committed, so it all comes again; a pipelined
      // consumer had committed up to the record it hung on, which comes again with everything after it.
      const from = depth ? 10 : 1;
      expect(handled).toEqual(Array.from({ length: total - from + 1 }, (_, i) => `thread-k-m${i + from}`));
    },
  );

  it('pipelined: a slow key holds back neither the keys fetched after it nor their order', async () => {
    // One partition, so that slow and fast keys share it: the worst case for batch-by-batch handling.
    prefix = await freshTopics(kafka, [topic], 1);
    const single = createEventProducer({ kafka, source: 'parley/test', topicPrefix: prefix, logger });
    await single.connect();
    cleanup.push(() => single.disconnect());
    const handled: string[] = [];
    const events = consumer(
      async (event) => {
        if (event.threadId === 'thread-slow') await new Promise((resolve) => setTimeout(resolve, 400));
        handled.push(event.messageId);
      },
      { pipelineDepth: 100 },
    );
    await events.start();
    for (let n = 1; n <= 5; n += 1) await single.publish(topic, received('thread-slow', n));
    await waitFor('the consumer on the slow key', () => events.isReady());
    const fastKeys = Array.from({ length: 8 }, (_, i) => `thread-fast${i}`);
    for (let n = 1; n <= 4; n += 1) {
      await Promise.all(fastKeys.map((key) => single.publish(topic, received(key, n))));
    }
    await waitFor('every fast event', () => handled.filter((id) => id.includes('fast')).length === 32);
    // The slow key (5 × 400 ms) is still going when every later fast event is done.
    expect(handled.filter((id) => id.includes('slow')).length).toBeLessThan(5);
    await waitFor('the slow key', () => handled.length === 37, { timeoutMs: 10_000 });
    for (const key of [...fastKeys, 'thread-slow']) {
      const ofKey = handled.filter((id) => id.startsWith(`${key}-`));
      expect(ofKey).toEqual(ofKey.map((_, i) => `${key}-m${i + 1}`));
    }
  });

  it('pipelined: a record failing its retries is tried again until it succeeds; its key waits, others go on', async () => {
    const handled: string[] = [];
    let failuresLeft = 7; // more than maxAttempts (3): the record outlives its retries twice
    const events = consumer(
      async (event) => {
        if (event.messageId === 'thread-p-m2' && failuresLeft > 0) {
          failuresLeft -= 1;
          throw new ParleyError('dependency_unavailable', 'store is down');
        }
        handled.push(event.messageId);
      },
      { pipelineDepth: 50 },
    );
    for (let n = 1; n <= 4; n += 1) await producer.publish(topic, received('thread-p', n));
    for (let n = 1; n <= 4; n += 1) await producer.publish(topic, received('thread-q', n));
    await events.start();
    await waitFor('the other key', () => handled.filter((id) => id.startsWith('thread-q')).length === 4);
    await waitFor('the failing key', () => handled.length === 8, { timeoutMs: 20_000 });
    expect(failuresLeft).toBe(0);
    expect(handled.filter((id) => id.startsWith('thread-p'))).toEqual(
      [1, 2, 3, 4].map((n) => `thread-p-m${n}`),
    );
  });

  it('commits on graceful stop so the next group member continues where it left off', async () => {
    const groupId = randomName('group');
    const total = 40;
    const first: string[] = [];
    const second: string[] = [];
    let releaseFirst: () => void = () => {};
    const firstDone = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const a = consumer(
      async (event) => {
        first.push(event.messageId);
        if (first.length === 10) releaseFirst();
      },
      { groupId },
    );
    // One key: records are handled strictly in order, so the committed prefix is exactly what the
    // first member handled.
    for (let n = 1; n <= total; n += 1) await producer.publish(topic, received('thread-g', n));
    await a.start();
    await firstDone;
    await a.stop();
    const b = consumer(async (event) => void second.push(event.messageId), { groupId });
    await b.start();
    await waitFor('every event across both members', () => new Set([...first, ...second]).size === total);
    // A committed offset is never handed out again: the second member starts after the first's work.
    expect(second.filter((id) => first.includes(id))).toEqual([]);
  });
});
