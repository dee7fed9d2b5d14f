import { setTimeout as sleep } from 'node:timers/promises';
import type { EventOf, TopicName } from '@parley/contracts';
import { ParleyError, toParleyError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { CloudEventAttributes } from './cloud-events.js';
import { deadLetterRecord, decodeRecord, PoisonEvent } from './decode-record.js';
import type { EventProducer } from './event-producer.js';
import { processInKeyOrder } from './keyed-concurrency.js';
import { PartitionProgress } from './partition-progress.js';
import { dlqTopicFor, topicNameFor } from './topics.js';

export interface EventMeta {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly cloudEvent: CloudEventAttributes;
  /** Child of the consumer's logger with topic, partition, offset and event id bound. */
  readonly logger: Logger;
}

export type EventHandlers<T extends TopicName> = {
  readonly [K in T]: (event: EventOf<K>, meta: EventMeta) => Promise<void>;
};

export interface EventConsumerOptions<T extends TopicName> {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly handlers: EventHandlers<T>;
  /** Sends poison events to `<topic>.dlq`; shared with the service's own producer. */
  readonly dlqProducer: EventProducer;
  readonly logger: Logger;
  readonly topicPrefix?: string;
  /** Distinct keys of one batch handled at once; one key is always handled in order. */
  readonly keyConcurrency?: number;
  /** Partitions handled at once, so a slow batch holds back only its own partition. */
  readonly partitionConcurrency?: number;
  /**
   * Handle records as they arrive instead of batch by batch: a record starts as soon as the earlier
   * records of its key are done, so one slow key (a slow brand's thread) never holds back the other
   * keys of its partition, not even those fetched after it. The value bounds the records taken per
   * partition and not yet handled (beyond it the partition waits). Offsets are committed up to the
   * first record not yet handled. A record failing its retries is retried again after
   * `maxRetryBackoffMs` until it succeeds, the partition is revoked or the consumer stops (its key
   * waits, other keys go on); it is never skipped.
   */
  readonly pipelineDepth?: number;
  /** Attempts for a handler failing with a retriable error before the batch fails. */
  readonly maxAttempts?: number;
  /** Runs of a failed batch (by kafkajs) before the consumer crashes and restarts from the committed offset. */
  readonly batchRetries?: number;
  readonly retryBackoffMs?: number;
  readonly maxRetryBackoffMs?: number;
  readonly sessionTimeoutMs?: number;
  /**
   * Where a group without committed offsets starts: `true` for durable groups that must see every
   * event (history, enrichment), `false` for per-instance groups that want only what comes next
   * (each ingress pod's deliveries). Existing groups resume from their committed offsets.
   */
  readonly fromBeginning: boolean;
  /**
   * Called when the kafkajs consumer crashes. With `restart: false` it will not come back by itself:
   * services exit so that Kubernetes restarts the pod.
   */
  readonly onCrash?: (crash: { error: unknown; restart: boolean }) => void;
  /** Called after every record with its outcome; services feed metrics from it. */
  readonly onOutcome?: (outcome: {
    topic: string;
    result: 'handled' | 'dead_lettered';
    seconds: number;
  }) => void;
}

export interface EventConsumer {
  start(): Promise<void>;
  /** Stops fetching, lets in-flight records finish, commits their offsets and leaves the group. */
  stop(): Promise<void>;
  /** True while the consumer is a member of its group. */
  isReady(): boolean;
}

/** Thrown for records left unhandled because the consumer is stopping; they stay uncommitted. */
class StopRequested extends Error {}

/**
 * A Kafka consumer of Parley events with at-least-once delivery: records are schema-checked, distinct
 * keys of a batch run concurrently with per-key order kept, retriable failures are retried with
 * backoff (then the consumer restarts from the last committed offset), and poison records go to
 * `<topic>.dlq` with the error in headers. Handlers must therefore be idempotent.
 *
 * @example
 * const consumer = createEventConsumer({
 *   kafka, groupId: 'history', dlqProducer: producer, logger,
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
    keyConcurrency = 16,
    partitionConcurrency = 1,
    pipelineDepth,
    maxAttempts = 5,
    batchRetries = 5,
    retryBackoffMs = 100, // doubled per attempt
    maxRetryBackoffMs = 5000,
    sessionTimeoutMs = 30000,
    fromBeginning,
    onCrash = () => {},
    onOutcome = () => {},
  } = options;

  const baseTopicOf = new Map<string, T>(
    (Object.keys(handlers) as T[]).map((base) => [topicNameFor(topicPrefix, base), base]),
  );
  const consumer: Consumer = kafka.consumer({
    // Groups are prefixed like topics: systems sharing a broker under different prefixes (staging
    // beside production, tests, the benchmark) never share a group.
    groupId: `${topicPrefix}${groupId}`,
    sessionTimeout: sessionTimeoutMs,
    allowAutoTopicCreation: false,
    retry: { retries: batchRetries },
  });
  if (pipelineDepth !== undefined && (!Number.isInteger(pipelineDepth) || pipelineDepth < 1)) {
    throw new RangeError(`pipelineDepth must be a positive integer, got ${pipelineDepth}`);
  }
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

  async function handleRecord(
    topic: string,
    partition: number,
    message: KafkaMessage,
    shouldGoOn: () => Promise<boolean>,
  ) {
    const started = process.hrtime.bigint();
    const key = message.key?.toString('utf8') ?? null;
    const recordLogger = logger.child({ topic, partition, offset: message.offset });
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const { event, cloudEvent } = decode(topic, message);
      const meta: EventMeta = {
        topic,
        partition,
        offset: message.offset,
        key,
        cloudEvent,
        logger: recordLogger.child({ eventId: cloudEvent.id }),
      };
      const handler = handlers[baseTopicOf.get(topic) as T] as (
        event: unknown,
        meta: EventMeta,
      ) => Promise<void>;
      for (let attempt = 1; ; attempt += 1) {
        try {
          await handler(event, meta);
          break;
        } catch (thrown) {
          // Only a deliberate, permanent refusal dead-letters an event. Anything else (a dependency
          // down, a network error, a bug) is retried and then redelivered: nothing accepted is lost.
          if (thrown instanceof ParleyError && !thrown.retriable) {
            throw new PoisonEvent(thrown.code, thrown.message, { cause: thrown });
          }
          const error = toParleyError(thrown, 'dependency_unavailable');
          if (attempt >= maxAttempts) throw error;
          const backoff = Math.min(maxRetryBackoffMs, retryBackoffMs * 2 ** (attempt - 1));
          recordLogger.warn({ err: error, attempt, backoffMs: backoff }, 'handler failed, retrying');
          await sleep(backoff);
          // Heartbeat while retrying so the group keeps this member; stop if it is leaving.
          if (!(await shouldGoOn())) throw new StopRequested('consumer stopping or rebalancing');
        }
      }
      onOutcome({ topic, result: 'handled', seconds: seconds() });
    } catch (error) {
      if (!(error instanceof PoisonEvent)) throw error;
      recordLogger.error({ err: error, code: error.code }, 'poison event sent to dead-letter topic');
      await deadLetter(topic, partition, message, error);
      onOutcome({ topic, result: 'dead_lettered', seconds: seconds() });
    }
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const messages = batch.messages;
    // Set when a record fails for good, the consumer stops or the group rebalances: no new record
    // of this batch starts, so that little is handled again after the redelivery.
    let aborted = false;
    const shouldGoOn = async () => {
      if (aborted || !isRunning() || isStale()) return false;
      try {
        await heartbeat();
        return true;
      } catch (error) {
        logger.warn({ err: error, groupId }, 'heartbeat failed; finishing the batch early');
        aborted = true;
        return false;
      }
    };
    const { done, failures } = await processInKeyOrder(
      messages,
      (message) => message.key?.toString('base64') ?? `offset:${message.offset}`,
      async (message) => {
        // Leave the record unresolved so that the next owner of the partition gets it.
        if (aborted || !isRunning() || isStale()) throw new StopRequested('consumer stopping');
        try {
          await handleRecord(batch.topic, batch.partition, message, shouldGoOn);
        } catch (error) {
          aborted = true;
          throw error;
        }
        await shouldGoOn();
      },
      keyConcurrency,
    );
    // Offsets are committed only up to the first record not handled, so nothing is skipped.
    const firstPending = done.indexOf(false);
    const lastHandled = firstPending === -1 ? messages.length - 1 : firstPending - 1;
    if (lastHandled >= 0) resolveOffset((messages[lastHandled] as KafkaMessage).offset);
    await commitOffsetsIfNecessary();
    const failure = failures.find(({ error }) => !(error instanceof StopRequested));
    if (failure) throw failure.error;
  }

  const pipeline =
    pipelineDepth === undefined
      ? undefined
      : createPipeline({
          consumer,
          depth: pipelineDepth,
          logger,
          retryPauseMs: maxRetryBackoffMs,
          handle: handleRecord,
        });

  return {
    isReady: () => joined,
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: [...baseTopicOf.keys()], fromBeginning });
      await consumer.run({
        eachBatchAutoResolve: false,
        autoCommit: !pipeline,
        partitionsConsumedConcurrently: partitionConcurrency,
        eachBatch: pipeline ? pipeline.eachBatch : eachBatch,
      });
    },
    async stop() {
      if (pipeline) {
        consumer.pause([...baseTopicOf.keys()].map((topic) => ({ topic })));
        await pipeline.drain(sessionTimeoutMs / 2);
      }
      await consumer.disconnect();
      joined = false;
    },
  };
}

/**
 * The pipelined mode of the consumer: records are taken from each batch into per-key lanes and the
 * batch returns at once, so kafkajs fetches on while slow keys are still running. kafkajs commits
 * nothing by itself here; offsets are committed from each partition's PartitionProgress.
 */
function createPipeline(options: {
  consumer: Consumer;
  depth: number;
  logger: Logger;
  retryPauseMs: number;
  handle: (
    topic: string,
    partition: number,
    message: KafkaMessage,
    shouldGoOn: () => Promise<boolean>,
  ) => Promise<void>;
}) {
  const { consumer, depth, logger, retryPauseMs, handle } = options;
  const partitions = new Map<string, { topic: string; partition: number; progress: PartitionProgress }>();
  /** The last record of each key taken, and whether it was handled (else later ones must wait). */
  const lanes = new Map<string, Promise<{ progress: PartitionProgress; handled: boolean }>>();
  /** Woken when a record finishes or the consumer stops: batches waiting for room look again. */
  let wake: () => void = () => {};
  let wakeUp = new Promise<void>((resolve) => {
    wake = resolve;
  });
  let stopping = false;
  let committing: Promise<void> | undefined;
  let commitPending = false;

  function signal() {
    wake();
    wakeUp = new Promise<void>((resolve) => {
      wake = resolve;
    });
  }

  async function commitLoop(): Promise<void> {
    while (commitPending) {
      commitPending = false;
      const due = [...partitions.values()]
        .filter(({ progress }) => progress.active && progress.committable() > progress.committed)
        .map(({ topic, partition, progress }) => ({
          topic,
          partition,
          progress,
          offset: progress.committable(),
        }));
      if (due.length === 0) continue;
      try {
        await consumer.commitOffsets(
          due.map(({ topic, partition, offset }) => ({ topic, partition, offset: offset.toString() })),
        );
        for (const { progress, offset } of due) if (offset > progress.committed) progress.committed = offset;
      } catch (error) {
        // Not a member right now (rebalancing, reconnecting): the next finished record tries again, and
        // whatever stays uncommitted is redelivered, never lost.
        logger.warn({ err: error }, 'could not commit offsets; will try again');
        await sleep(500);
        if (!stopping) commitPending = true;
      }
    }
  }

  function commitSoon(): Promise<void> {
    commitPending = true;
    committing ??= commitLoop().finally(() => {
      committing = undefined;
    });
    return committing;
  }

  async function run(
    topic: string,
    partition: number,
    message: KafkaMessage,
    progress: PartitionProgress,
    entry: { done: boolean },
  ): Promise<boolean> {
    const shouldGoOn = async () => progress.active && !stopping;
    for (;;) {
      if (!progress.active) return false; // revoked: the partition's next owner handles it
      try {
        await handle(topic, partition, message, shouldGoOn);
        break;
      } catch (error) {
        if (error instanceof StopRequested || stopping) return false;
        logger.error(
          { err: error, topic, partition, offset: message.offset, pauseMs: retryPauseMs },
          'record failed after its retries; its key waits and it is tried again',
        );
        await sleep(retryPauseMs);
      }
    }
    progress.finish(entry);
    signal();
    void commitSoon();
    return true;
  }

  function take(topic: string, partition: number, message: KafkaMessage, progress: PartitionProgress) {
    const entry = progress.take(BigInt(message.offset));
    const lane = `${topic}\u0000${partition}\u0000${message.key?.toString('base64') ?? `offset:${message.offset}`}`;
    const previous = lanes.get(lane);
    const next = (async () => {
      const before = await previous;
      // A record abandoned earlier in this partition's lane holds back the rest of its key.
      if (before && before.progress === progress && !before.handled) return { progress, handled: false };
      return { progress, handled: await run(topic, partition, message, progress, entry) };
    })();
    lanes.set(lane, next);
    void next.then(() => {
      if (lanes.get(lane) === next) lanes.delete(lane);
    });
  }

  return {
    /** Drops what a rebalance took away: those records are abandoned, uncommitted. */
    reassigned(assignment: Record<string, number[]>) {
      for (const [id, { topic, partition, progress }] of partitions) {
        if (!assignment[topic]?.includes(partition)) {
          progress.active = false;
          partitions.delete(id);
        }
      }
      signal();
    },

    async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
      const id = `${batch.topic}:${batch.partition}`;
      const first = batch.messages[0];
      if (!first) return;
      let state = partitions.get(id);
      if (!state) {
        state = {
          topic: batch.topic,
          partition: batch.partition,
          progress: new PartitionProgress(BigInt(first.offset)),
        };
        partitions.set(id, state);
      }
      const { progress } = state;
      for (const message of batch.messages) {
        if (progress.hasTaken(BigInt(message.offset))) {
          resolveOffset(message.offset);
          continue;
        }
        while (progress.inFlight >= depth) {
          if (stopping || !progress.active || !isRunning() || isStale()) return;
          await Promise.race([wakeUp, sleep(1000)]);
          await heartbeat();
        }
        if (stopping || !progress.active || !isRunning() || isStale()) return;
        take(batch.topic, batch.partition, message, progress);
        resolveOffset(message.offset);
      }
    },

    /** Lets taken records finish (up to `timeoutMs`), then commits what is done. */
    async drain(timeoutMs: number) {
      stopping = true;
      signal();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...lanes.values()]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (committing) await committing;
      commitPending = true;
      await commitLoop();
      for (const { progress } of partitions.values()) progress.active = false;
    },
  };
}
