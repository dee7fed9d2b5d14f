import type { TopicName } from '@parley/contracts';
import type { Consumer } from 'kafkajs';
import { createBatchRunner } from './batch-runner.js';
import {
  consumerDefaults,
  type EventConsumer,
  type EventConsumerOptions,
  type LagReporter,
} from './consumer-options.js';
import { createPipelinedRunner } from './pipelined-runner.js';
import { createRecordHandling } from './record-handling.js';

/**
 * A Kafka consumer of Parley events with at-least-once delivery: records are schema-checked, run in
 * their trace with retries and backoff, poison records go to `<topic>.dlq` with the error in headers
 * (record-handling.ts), batch by batch (batch-runner.ts) or as they arrive (`pipelineDepth`,
 * pipelined-runner.ts). Handlers must therefore be idempotent. This file is the lifecycle: the
 * kafkajs consumer, its group, start and stop.
 *
 * @example
 * const consumer = createEventConsumer({
 *   kafka, groupId: 'history', dlqProducer: producer, logger, fromBeginning: true,
 *   metrics: consumerMetrics(registry, 'history'),
 *   handlers: { 'chat.messages.enriched.v1': async (event, meta) => store(event) },
 * });
 * await consumer.start();
 */
export function createEventConsumer<T extends TopicName>(options: EventConsumerOptions<T>): EventConsumer {
  const {
    kafka,
    groupId,
    handlers,
    dlqProducer,
    logger,
    topicPrefix = '',
    pipelineDepth,
    maxAttempts = consumerDefaults.maxAttempts,
    batchRetries = consumerDefaults.batchRetries,
    retryBackoffMs = consumerDefaults.retryBackoffMs,
    maxRetryBackoffMs = consumerDefaults.maxRetryBackoffMs,
    sessionTimeoutMs = consumerDefaults.sessionTimeoutMs,
    fromBeginning,
    onCrash = () => {},
    metrics,
  } = options;
  if (pipelineDepth !== undefined && (!Number.isInteger(pipelineDepth) || pipelineDepth < 1)) {
    throw new RangeError(`pipelineDepth must be a positive integer, got ${pipelineDepth}`);
  }

  const records = createRecordHandling({
    handlers,
    topicPrefix,
    groupId,
    dlqProducer,
    logger,
    maxAttempts,
    retryBackoffMs,
    maxRetryBackoffMs,
    metrics,
  });
  const consumer: Consumer = kafka.consumer({
    // Groups are prefixed like topics: systems sharing a broker under different prefixes (staging
    // beside production, tests, the benchmark) never share a group.
    groupId: `${topicPrefix}${groupId}`,
    sessionTimeout: sessionTimeoutMs,
    allowAutoTopicCreation: false,
    retry: { retries: batchRetries },
  });
  const onLag: LagReporter = (topic, partition, lag) =>
    metrics?.lag({ topic: records.baseTopicOf(topic), partition, lag: Number(lag) });
  const pipeline =
    pipelineDepth === undefined
      ? undefined
      : createPipelinedRunner({
          consumer,
          depth: pipelineDepth,
          logger,
          retryPauseMs: maxRetryBackoffMs,
          handle: records.handle,
          onLag,
        });
  const eachBatch =
    pipeline?.eachBatch ??
    createBatchRunner({
      handle: records.handle,
      logger,
      groupId,
      keyConcurrency: consumerDefaults.keyConcurrency,
      onLag,
    });

  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    joined = true;
    pipeline?.reassigned(payload.memberAssignment);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    joined = false;
    logger.error({ err: payload.error, groupId, restart: payload.restart }, 'consumer crashed');
    onCrash({ error: payload.error, restart: payload.restart });
  });
  consumer.on(consumer.events.STOP, () => {
    joined = false;
  });

  return {
    isReady: () => joined,
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: [...records.topics], fromBeginning });
      await consumer.run({ eachBatchAutoResolve: false, autoCommit: !pipeline, eachBatch });
    },
    async stop() {
      if (pipeline) {
        consumer.pause(records.topics.map((topic) => ({ topic })));
        await pipeline.drain(sessionTimeoutMs / 2);
      }
      await consumer.disconnect();
      joined = false;
    },
  };
}
