import { Counter, Gauge, Histogram } from 'prom-client';
import type { MetricsRegistry } from './metrics.js';

/** What became of one attempt at a consumed record (docs/operations.md, "Consumer metrics"). */
export interface RecordOutcome {
  /** The topic as the contract names it (without the deployment's prefix). */
  readonly topic: string;
  /**
   * `handled`: the handler succeeded; `dead_lettered`: sent to `<topic>.dlq`; `retried`: an attempt
   * failed and the record will be tried again (by the consumer, or after a redelivery).
   */
  readonly outcome: 'handled' | 'retried' | 'dead_lettered' | 'skipped';
  /** From the record's start to this outcome. */
  readonly seconds: number;
}

/** Records of a partition not yet handled (its high watermark minus the consumer's position). */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

/** What a consumer reports as it goes; `consumerMetrics` turns it into Prometheus series. */
export interface ConsumerObserver {
  outcome(outcome: RecordOutcome): void;
  lag(lag: PartitionLag): void;
}

interface ConsumerSeries {
  readonly records: Counter<'consumer' | 'topic' | 'outcome'>;
  readonly seconds: Histogram<'consumer' | 'topic' | 'outcome'>;
  readonly lag: Gauge<'consumer' | 'topic' | 'partition'>;
}

/** One set of series per registry, shared by the consumers of a service. */
const seriesOf = new WeakMap<MetricsRegistry, ConsumerSeries>();

function series(registry: MetricsRegistry): ConsumerSeries {
  let found = seriesOf.get(registry);
  if (!found) {
    found = {
      records: new Counter({
        name: 'parley_consumer_records_total',
        help: 'Consumed records by consumer, topic and outcome (handled, retried: an attempt failed and it will be tried again, dead_lettered, skipped: not for this consumer, by its key).',
        labelNames: ['consumer', 'topic', 'outcome'],
        registers: [registry],
      }),
      seconds: new Histogram({
        name: 'parley_consumer_handling_seconds',
        help: 'Time from a record’s start (decoding) to its outcome, retries included.',
        labelNames: ['consumer', 'topic', 'outcome'],
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry],
      }),
      lag: new Gauge({
        name: 'parley_consumer_lag',
        help: 'Records of a partition not yet handled by the consumer (high watermark minus its position), as last seen.',
        labelNames: ['consumer', 'topic', 'partition'],
        registers: [registry],
      }),
    };
    seriesOf.set(registry, found);
  }
  return found;
}

/**
 * The Prometheus series of one consumer of a service (`parley_consumer_records_total`,
 * `parley_consumer_handling_seconds`, `parley_consumer_lag`), labelled `consumer`.
 *
 * @example
 * createEventConsumer({ ..., metrics: consumerMetrics(registry, 'history') });
 */
export function consumerMetrics(registry: MetricsRegistry, consumer: string): ConsumerObserver {
  const { records, seconds, lag } = series(registry);
  return {
    outcome({ topic, outcome, seconds: elapsed }) {
      records.inc({ consumer, topic, outcome });
      // Retried attempts are counted only; the time of a record is that of its final outcome.
      if (outcome !== 'retried') seconds.observe({ consumer, topic, outcome }, elapsed);
    },
    lag({ topic, partition, lag: value }) {
      lag.set({ consumer, topic, partition: String(partition) }, value);
    },
  };
}
