import type { TopicName } from '@parley/contracts';
import type { Consumer } from 'kafkajs';
import { createBatchRunner } from './batch-runner.js';
import {
  consumerDefaults,
  type EventConsumer,
  type EventConsumerOptions,
  type LagReporter,
  resolveConsumerOptions,
} from './consumer-options.js';
import { createOffsetCommitter } from './offset-committer.js';
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
  const settings = resolveConsumerOptions(options);
  const { kafka, groupId, logger, topicPrefix, pipelineDepth, maxRetryBackoffMs, sessionTimeoutMs, metrics } =
    settings;

  const records = createRecordHandling(settings);
  const consumer: Consumer = kafka.consumer({
    // Groups are prefixed like topics: systems sharing a broker under different prefixes (staging
    // beside production, tests, the benchmark) never share a group.
    groupId: `${topicPrefix}${groupId}`,
    sessionTimeout: sessionTimeoutMs,
    allowAutoTopicCreation: false,
    retry: { retries: settings.batchRetries },
  });
  const onLag: LagReporter = (topic, partition, lag) =>
    metrics?.lag({ topic: records.baseTopicOf(topic), partition, lag: Number(lag) });
  // Both modes commit in the background (offset-committer.ts), never on the fetch path.
  const committer = createOffsetCommitter({ consumer, logger });
  const pipeline =
    pipelineDepth === undefined
      ? undefined
      : createPipelinedRunner({
          committer,
          depth: pipelineDepth,
          logger,
          retryPauseMs: maxRetryBackoffMs,
          handle: records.handle,
          onLag,
        });
  const runBatch =
    pipeline?.eachBatch ??
    createBatchRunner({
      committer,
      handle: records.handle,
      logger,
      groupId,
      keyConcurrency: consumerDefaults.keyConcurrency,
      onLag,
    });
  /** Batches being handled: a stop lets them finish and commits them while still a group member. */
  const handling = new Set<Promise<void>>();
  const eachBatch = async (payload: Parameters<typeof runBatch>[0]) => {
    const running = runBatch(payload);
    handling.add(running);
    try {
      await running;
    } finally {
      handling.delete(running);
    }
  };

  let joined = false;
  /** Between `run` and the first stop: what a stop must let finish and commit. */
  let running = false;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    joined = true;
    committer.reassigned(payload.memberAssignment);
    pipeline?.reassigned(payload.memberAssignment);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    joined = false;
    logger.error({ err: payload.error, groupId, restart: payload.restart }, 'consumer crashed');
    settings.onCrash({ error: payload.error, restart: payload.restart });
  });
  consumer.on(consumer.events.STOP, () => {
    joined = false;
  });

  return {
    isReady: () => joined,
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: [...records.topics], fromBeginning: settings.fromBeginning });
      await consumer.run({ eachBatchAutoResolve: false, autoCommit: false, eachBatch });
      running = true;
    },
    async stop() {
      // No new batch starts; the ones in hand finish and are committed before the group is left.
      if (running) {
        running = false;
        consumer.pause(records.topics.map((topic) => ({ topic })));
        if (pipeline) await pipeline.drain(sessionTimeoutMs / 2);
        else {
          await Promise.allSettled([...handling]);
          await committer.flush();
        }
      }
      await consumer.disconnect();
      joined = false;
    },
  };
}

/**
 * The consumer as a service lifecycle component named `consumer` unless a service with two names
 * them (start joins the group, readiness while a member, stop commits and leaves), as every
 * service's ops endpoints report it.
 */
export function consumerComponent(consumer: EventConsumer, name = 'consumer') {
  return {
    name,
    start: () => consumer.start(),
    stop: () => consumer.stop(),
    isReady: () => consumer.isReady(),
  };
}
