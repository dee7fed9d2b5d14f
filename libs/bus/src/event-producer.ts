import { randomUUID } from 'node:crypto';
import { type EventOf, eventContracts, type TopicName } from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { contextOfTraceparent, inSpan, withMessageId } from '@parley/ops';
import { CompressionTypes, type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import { cloudEventHeaders } from './cloud-events.js';
import { createSendBatcher } from './send-batcher.js';
import { topicNameFor } from './topics.js';

export interface EventProducerOptions {
  readonly kafka: Kafka;
  /** CloudEvents `source` of everything this producer sends, e.g. `parley/ingress`. */
  readonly source: string;
  readonly topicPrefix?: string;
  readonly logger: Logger;
}

export interface PublishOptions {
  /** CloudEvents id; defaults to a random UUID. Reuse it when re-publishing the same fact. */
  readonly id?: string;
  /** W3C trace context of what caused the event; defaults to the current hop's (docs/operations.md, "Tracing"). */
  readonly traceparent?: string;
}

export interface EventProducer {
  connect(): Promise<void>;
  /** True between a successful connect and a disconnect. */
  isConnected(): boolean;
  /** Validates the event against its contract and sends it with `acks=all`; resolves once stored. */
  publish<T extends TopicName>(topic: T, event: EventOf<T>, options?: PublishOptions): Promise<void>;
  /** Sends pre-built records unchanged (dead-lettering); `acks=all`. */
  sendRecords(topic: string, messages: Message[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * An idempotent Kafka producer for Parley events: schema-checked, CloudEvents binary-mode headers,
 * keyed by the contract's key so per-thread (or per-customer) order holds.
 *
 * @example
 * const producer = createEventProducer({ kafka, source: 'parley/ingress', logger });
 * await producer.connect();
 * await producer.publish('chat.messages.received.v1', event);
 */
export function createEventProducer(options: EventProducerOptions): EventProducer {
  const { kafka, source, topicPrefix = '', logger } = options;
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
    // murmur2 like the Java client, so bots in any language agree on key -> partition.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  let connected = false;
  producer.on(producer.events.CONNECT, () => {
    connected = true;
  });
  producer.on(producer.events.DISCONNECT, () => {
    connected = false;
  });

  // Concurrent sends share a produce request (send-batcher.ts), acks=all either way.
  const batcher = createSendBatcher((topicMessages) =>
    producer.sendBatch({ topicMessages, acks: -1, compression: CompressionTypes.None }),
  );

  async function send(topic: string, messages: Message[]): Promise<void> {
    try {
      await batcher.send(topic, messages);
    } catch (error) {
      // kafkajs says whether trying again can help (a leader election can, an unknown topic or a
      // record over the size limit cannot).
      const retriable = (error as { retriable?: unknown }).retriable !== false;
      throw new ParleyError(
        retriable ? 'dependency_unavailable' : 'server_error',
        `could not produce to ${topic}`,
        {
          cause: error,
          context: { topic },
        },
      );
    }
  }

  return {
    connect: () => producer.connect(),
    isConnected: () => connected,
    disconnect: () => producer.disconnect(),
    sendRecords: send,
    async publish(topic, event, publishOptions = {}) {
      const contract = eventContracts[topic];
      const parsed = contract.schema.safeParse(event);
      if (!parsed.success) {
        throw new ParleyError('invalid_event', `event for ${topic} does not match its schema`, {
          context: {
            topic,
            issues: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
          },
        });
      }
      const key = (contract.key as (value: unknown) => string)(parsed.data);
      const messageOf = (contract as { messageOf?: (value: unknown) => string }).messageOf;
      const deployedTopic = topicNameFor(topicPrefix, topic);
      const id = publishOptions.id ?? randomUUID();
      // A producer span per event; the record carries its context, so the consumer's span is its
      // child (docs/operations.md, "Tracing").
      await withMessageId(messageOf?.(parsed.data), () =>
        inSpan(
          `send ${topic}`,
          {
            kind: 'producer',
            ...(publishOptions.traceparent
              ? { parent: contextOfTraceparent(publishOptions.traceparent) }
              : {}),
            attributes: {
              'messaging.system': 'kafka',
              'messaging.operation.type': 'send',
              'messaging.destination.name': deployedTopic,
              'messaging.message.id': id,
            },
          },
          async () => {
            const headers = cloudEventHeaders({ source, type: contract.type, ...publishOptions, id });
            await send(deployedTopic, [{ key, value: JSON.stringify(parsed.data), headers }]);
            logger.debug({ topic: deployedTopic, eventId: id }, 'event published');
          },
        ),
      );
    },
  };
}

/** The producer as a service lifecycle component (connect on start, readiness while connected). */
export function producerComponent(producer: EventProducer) {
  return {
    name: 'kafka-producer',
    start: () => producer.connect(),
    stop: () => producer.disconnect(),
    isReady: () => producer.isConnected(),
  };
}
