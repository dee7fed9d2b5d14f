import { setTimeout as sleep } from 'node:timers/promises';
import { eventContracts, type TopicName } from '@parley/contracts';
import { ParleyError, toParleyError } from '@parley/errors';
import type { RecordOutcome } from '@parley/ops';
import { contextOfTraceparent, currentTraceId, inSpan, withMessageId } from '@parley/ops';
import type { KafkaMessage } from 'kafkajs';
import type { EventMeta, ResolvedConsumerOptions } from './consumer-options.js';
import { deadLetterRecord, decodeRecord, PoisonEvent } from './decode-record.js';
import { dlqTopicFor, topicNameFor } from './topics.js';

/** Thrown for records left unhandled because the consumer is stopping; they stay uncommitted. */
export class StopRequested extends Error {}

/**
 * Handles one consumed record; resolves once it is handled or dead-lettered, rejects when it must
 * be tried again later (retries used up, or `shouldGoOn` said stop: StopRequested).
 */
export type HandleRecord = (
  topic: string,
  partition: number,
  message: KafkaMessage,
  /** Asked between retries (heartbeats in batch mode); false: give up with StopRequested. */
  shouldGoOn: () => Promise<boolean>,
) => Promise<void>;

export interface RecordHandling {
  /** The deployed topic names subscribed to. */
  readonly topics: readonly string[];
  /** The contract's name of a deployed topic (metrics label it so). */
  baseTopicOf(topic: string): string;
  readonly handle: HandleRecord;
}

/**
 * What is done to every record, whatever the mode: decode it against its contract, run its handler
 * in the record's trace (`traceparent`) with retries and doubling backoff for anything but a
 * deliberate refusal, and dead-letter poison records to `<topic>.dlq` with the error in headers.
 */
export function createRecordHandling<T extends TopicName>(
  options: ResolvedConsumerOptions<T>,
): RecordHandling {
  const {
    handlers,
    topicPrefix,
    groupId,
    dlqProducer,
    logger,
    maxAttempts,
    retryBackoffMs,
    maxRetryBackoffMs,
    metrics,
    skip,
  } = options;
  const baseTopicOf = new Map<string, T>(
    (Object.keys(handlers) as T[]).map((base) => [topicNameFor(topicPrefix, base), base]),
  );

  function decode(topic: string, message: KafkaMessage) {
    const base = baseTopicOf.get(topic);
    if (!base) throw new PoisonEvent('invalid_event', `no handler for topic ${topic}`);
    return decodeRecord(base, message);
  }

  async function deadLetter(topic: string, partition: number, message: KafkaMessage, error: ParleyError) {
    await dlqProducer.sendRecords(dlqTopicFor(topic), [
      deadLetterRecord(message, { topic, partition, groupId, error }),
    ]);
  }

  async function handle(
    topic: string,
    partition: number,
    message: KafkaMessage,
    shouldGoOn: () => Promise<boolean>,
  ): Promise<void> {
    const started = process.hrtime.bigint();
    const key = message.key?.toString('utf8') ?? null;
    const base = baseTopicOf.get(topic) as T | undefined;
    const recordLogger = logger.child({ topic, partition, offset: message.offset });
    const report = (outcome: RecordOutcome['outcome']) =>
      metrics?.outcome({
        topic: base ?? topic,
        outcome,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
    if (skip && base && skip(base, key)) {
      report('skipped');
      return;
    }
    try {
      // decode refuses a topic without a handler (a poison record): past it, `base` is known.
      const { event, cloudEvent } = decode(topic, message);
      const handler = handlers[base as T] as (event: unknown, meta: EventMeta) => Promise<void>;
      const messageOf = (eventContracts[base as T] as { messageOf?: (value: unknown) => string }).messageOf;
      const span = {
        kind: 'consumer',
        parent: contextOfTraceparent(cloudEvent.traceparent),
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(partition),
          'messaging.consumer.group.name': groupId,
          'messaging.kafka.offset': Number(message.offset),
          'messaging.message.id': cloudEvent.id,
        },
      } as const;
      // The handler runs in a consumer span, child of the producer's, in the context of the message
      // the event is about: what it produces and the gRPC calls it makes carry the same trace id
      // (docs/operations.md, "Tracing").
      await inSpan(`process ${base}`, span, () =>
        withMessageId(messageOf?.(event), async () => {
          const meta: EventMeta = {
            topic,
            partition,
            offset: message.offset,
            key,
            cloudEvent,
            logger: recordLogger.child({ eventId: cloudEvent.id, traceId: currentTraceId() }),
          };
          for (let attempt = 1; ; attempt += 1) {
            try {
              await handler(event, meta);
              return;
            } catch (thrown) {
              // Only a deliberate, permanent refusal dead-letters an event. Anything else (a dependency
              // down, a network error, a bug) is retried and then redelivered: nothing accepted is lost.
              if (thrown instanceof ParleyError && !thrown.retriable) {
                throw new PoisonEvent(thrown.code, thrown.message, { cause: thrown });
              }
              const error = toParleyError(thrown, 'dependency_unavailable');
              report('retried');
              if (attempt >= maxAttempts) throw error;
              const backoff = Math.min(maxRetryBackoffMs, retryBackoffMs * 2 ** (attempt - 1));
              meta.logger.warn({ err: error, attempt, backoffMs: backoff }, 'handler failed, retrying');
              await sleep(backoff);
              // Heartbeat while retrying so the group keeps this member; stop if it is leaving.
              if (!(await shouldGoOn())) throw new StopRequested('consumer stopping or rebalancing');
            }
          }
        }),
      );
      report('handled');
    } catch (error) {
      if (!(error instanceof PoisonEvent)) throw error;
      recordLogger.error({ err: error, code: error.code }, 'poison event sent to dead-letter topic');
      await deadLetter(topic, partition, message, error);
      report('dead_lettered');
    }
  }

  return {
    topics: [...baseTopicOf.keys()],
    baseTopicOf: (topic) => baseTopicOf.get(topic) ?? topic,
    handle,
  };
}
