import type { MessageReceived } from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import { createLogger } from '@parley/logger';
import {
  type ConsumerObserver,
  currentTraceparent,
  newTraceparent,
  type PartitionLag,
  parseTraceparent,
  type RecordOutcome,
} from '@parley/ops';
import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { cloudEventHeaders } from './cloud-events.js';
import { createEventConsumer } from './event-consumer.js';
import type { EventProducer } from './event-producer.js';

const logger = createLogger({ service: 'bus-test', version: 'test', level: 'silent' });
const topic = 'chat.messages.received.v1' as const;
const prefix = 'unit.';

function received(threadId: string, n: number): MessageReceived {
  return {
    messageId: `${threadId}-m${n}`,
    clientMessageId: `c-${threadId}-${n}`,
    tenantId: 'tenant-a',
    channelId: 'web',
    threadId,
    customerKey: `ck-${threadId}`,
    deviceId: 'd1',
    text: `message ${n}`,
    sentAt: new Date().toISOString(),
  };
}

function record(offset: number, value: unknown, traceparent?: string): KafkaMessage {
  const headers = cloudEventHeaders({
    source: 'parley/test',
    type: 'parley.chat.message.received.v1',
    ...(traceparent ? { traceparent } : {}),
  });
  return {
    key: Buffer.from((value as { threadId?: string }).threadId ?? 'k'),
    value: Buffer.from(JSON.stringify(value)),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
    offset: String(offset),
    timestamp: String(Date.now()),
    attributes: 0,
    size: 0,
  } as unknown as KafkaMessage;
}

/** A kafkajs stand-in that hands the consumer's eachBatch to the test, and a DLQ producer that records. */
function fakes() {
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  const consumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash', STOP: 'stop' },
    on: () => {},
    connect: async () => {},
    subscribe: async () => {},
    run: async (config: { eachBatch: typeof eachBatch }) => {
      eachBatch = config.eachBatch;
    },
    disconnect: async () => {},
  };
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  const deadLettered: { topic: string; headers: Record<string, unknown> }[] = [];
  const dlqProducer = {
    sendRecords: async (dlqTopic: string, messages: { headers?: Record<string, unknown> }[]) => {
      for (const message of messages) deadLettered.push({ topic: dlqTopic, headers: message.headers ?? {} });
    },
  } as unknown as EventProducer;
  const outcomes: RecordOutcome[] = [];
  const lags: PartitionLag[] = [];
  const metrics: ConsumerObserver = { outcome: (o) => outcomes.push(o), lag: (l) => lags.push(l) };
  async function deliver(messages: KafkaMessage[], highWatermark: number) {
    const resolved: string[] = [];
    await eachBatch?.({
      batch: { topic: `${prefix}${topic}`, partition: 3, highWatermark: String(highWatermark), messages },
      resolveOffset: (offset: string) => void resolved.push(offset),
      heartbeat: async () => {},
      commitOffsetsIfNecessary: async () => {},
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload);
    return resolved;
  }
  return { kafka, dlqProducer, deadLettered, outcomes, lags, metrics, deliver };
}

describe('event consumer (batch mode, fake kafka)', () => {
  it('reports handled, retried and dead-lettered records with their time, and the partition lag', async () => {
    const { kafka, dlqProducer, deadLettered, outcomes, lags, metrics, deliver } = fakes();
    let failuresLeft = 1;
    const consumer = createEventConsumer({
      kafka,
      groupId: 'unit',
      topicPrefix: prefix,
      fromBeginning: true,
      dlqProducer,
      logger,
      retryBackoffMs: 1,
      metrics,
      handlers: {
        [topic]: async (event) => {
          if (event.text === 'refused') throw new ParleyError('invalid_argument', 'refused for good');
          if (event.threadId === 'flaky' && failuresLeft-- > 0) throw new Error('store down');
        },
      },
    });
    await consumer.start();
    const resolved = await deliver(
      [
        record(10, received('a', 1)),
        record(11, received('flaky', 1)),
        record(12, { ...received('b', 1), text: 'refused' }),
        record(13, { not: 'an event' }),
      ],
      20,
    );
    expect(resolved).toEqual(['13']);
    const counts = (outcome: string) => outcomes.filter((o) => o.outcome === outcome).length;
    expect({ handled: counts('handled'), retried: counts('retried'), dead: counts('dead_lettered') }).toEqual(
      {
        handled: 2,
        retried: 1,
        dead: 2,
      },
    );
    // Labelled with the contract's topic, not the deployed (prefixed) one.
    expect(new Set(outcomes.map((o) => o.topic))).toEqual(new Set([topic]));
    expect(outcomes.every((o) => o.seconds >= 0)).toBe(true);
    expect(deadLettered.map((d) => d.topic)).toEqual([`${prefix}${topic}.dlq`, `${prefix}${topic}.dlq`]);
    expect(lags).toEqual([{ topic, partition: 3, lag: 6 }]);
  });

  it('runs each handler in its record’s trace, and a record without one in a new trace', async () => {
    const { kafka, dlqProducer, metrics, deliver } = fakes();
    const seen: { thread: string; traceparent: string | undefined; logged: unknown }[] = [];
    const consumer = createEventConsumer({
      kafka,
      groupId: 'unit',
      topicPrefix: prefix,
      fromBeginning: true,
      dlqProducer,
      logger,
      metrics,
      handlers: {
        [topic]: async (event, meta) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          seen.push({
            thread: event.threadId,
            traceparent: currentTraceparent(),
            logged: meta.logger.bindings(),
          });
        },
      },
    });
    await consumer.start();
    const incoming = newTraceparent();
    await deliver([record(0, received('traced', 1), incoming), record(1, received('other', 1))], 2);
    const traced = seen.find((s) => s.thread === 'traced');
    const other = seen.find((s) => s.thread === 'other');
    const traceId = parseTraceparent(incoming)?.traceId;
    expect(parseTraceparent(traced?.traceparent)?.traceId).toBe(traceId);
    // The handler's hop is a new span of the same trace.
    expect(traced?.traceparent).not.toBe(incoming);
    expect(traced?.logged).toMatchObject({ traceId });
    expect(parseTraceparent(other?.traceparent)?.traceId).not.toBe(traceId);
    expect(currentTraceparent()).toBeUndefined();
  });
});
