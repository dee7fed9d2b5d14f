import type { EventOf, TopicName } from '@parley/contracts';
import type { Logger } from '@parley/logger';
import type { ConsumerObserver } from '@parley/ops';
import type { Kafka } from 'kafkajs';
import type { CloudEventAttributes } from './cloud-events.js';
import type { EventProducer } from './event-producer.js';

export interface EventMeta {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly cloudEvent: CloudEventAttributes;
  /** Child of the consumer's logger with topic, partition, offset, event id and trace id bound. */
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
  /**
   * Handle records as they arrive instead of batch by batch (pipelined-runner.ts): a record starts
   * as soon as the earlier records of its key are done, so one slow key (a slow brand's thread)
   * never holds back the other keys of its partition, not even those fetched after it. The value
   * bounds the records taken per partition and not yet handled (beyond it the partition waits).
   * Offsets are committed up to the first record not yet handled. A record failing its retries is
   * retried again after `maxRetryBackoffMs` until it succeeds, the partition is revoked or the
   * consumer stops (its key waits, other keys go on); it is never skipped.
   */
  readonly pipelineDepth?: number;
  /** Attempts for a handler failing with a retriable error before the batch fails. */
  readonly maxAttempts?: number;
  /** Runs of a failed batch (by kafkajs) before the consumer crashes and restarts from the committed offset. */
  readonly batchRetries?: number;
  readonly retryBackoffMs?: number;
  readonly maxRetryBackoffMs?: number;
  /** The group's session timeout: a member silent that long is dropped and its partitions move. */
  readonly sessionTimeoutMs?: number;
  /**
   * Where a group without committed offsets starts: `true` for durable groups that must see every
   * event (history, enrichment), `false` for per-instance groups that want only what comes next
   * (each ingress pod's deliveries). Existing groups resume from their committed offsets.
   */
  readonly fromBeginning: boolean;
  /**
   * Records this consumer has nothing to do with, told by their key alone (the contract's key):
   * they are counted `skipped` and committed without being decoded or handled. For consumers that
   * read a whole topic for a few keys, e.g. an ingress pod's deliveries for the customers holding a
   * stream on it (docs/scaling.md). Only for records whose handling would do nothing.
   */
  readonly skip?: (topic: T, key: string | null) => boolean;
  /**
   * Called when the kafkajs consumer crashes. With `restart: false` it will not come back by itself:
   * services exit so that Kubernetes restarts the pod.
   */
  readonly onCrash?: (crash: { error: unknown; restart: boolean }) => void;
  /**
   * Hears every record's outcome (handled, retried, dead-lettered, with its time) and each
   * partition's lag: `consumerMetrics(registry, name)` from @parley/ops exports them on /metrics.
   */
  readonly metrics?: ConsumerObserver;
}

export interface EventConsumer {
  start(): Promise<void>;
  /** Stops fetching, lets in-flight records finish, commits their offsets and leaves the group. */
  stop(): Promise<void>;
  /** True while the consumer is a member of its group. */
  isReady(): boolean;
}

/** The options' defaults, and `keyConcurrency`, which no caller changes: one place to read them. */
export const consumerDefaults = {
  maxAttempts: 5,
  batchRetries: 5,
  /** Doubled per attempt up to `maxRetryBackoffMs`. */
  retryBackoffMs: 100,
  maxRetryBackoffMs: 5000,
  sessionTimeoutMs: 30_000,
  /** Distinct keys of one batch handled at once (batch mode); one key is always handled in order. */
  keyConcurrency: 16,
} as const;

/**
 * The options with their defaults applied: the one object the consumer's parts (event-consumer.ts,
 * record-handling.ts) read, so an option is declared, defaulted and checked here only.
 */
export type ResolvedConsumerOptions<T extends TopicName> = Readonly<
  Required<Omit<EventConsumerOptions<T>, 'pipelineDepth' | 'metrics' | 'skip'>> &
    Pick<EventConsumerOptions<T>, 'pipelineDepth' | 'metrics' | 'skip'>
>;

/** Checks the options and applies `consumerDefaults` to those left unset. */
export function resolveConsumerOptions<T extends TopicName>(
  options: EventConsumerOptions<T>,
): ResolvedConsumerOptions<T> {
  const { pipelineDepth } = options;
  if (pipelineDepth !== undefined && (!Number.isInteger(pipelineDepth) || pipelineDepth < 1)) {
    throw new RangeError(`pipelineDepth must be a positive integer, got ${pipelineDepth}`);
  }
  return Object.freeze({
    ...options,
    topicPrefix: options.topicPrefix ?? '',
    maxAttempts: options.maxAttempts ?? consumerDefaults.maxAttempts,
    batchRetries: options.batchRetries ?? consumerDefaults.batchRetries,
    retryBackoffMs: options.retryBackoffMs ?? consumerDefaults.retryBackoffMs,
    maxRetryBackoffMs: options.maxRetryBackoffMs ?? consumerDefaults.maxRetryBackoffMs,
    sessionTimeoutMs: options.sessionTimeoutMs ?? consumerDefaults.sessionTimeoutMs,
    onCrash: options.onCrash ?? (() => {}),
  });
}

/** The partition lag reporter the runners call (topic as deployed). */
export type LagReporter = (topic: string, partition: number, lag: bigint) => void;
