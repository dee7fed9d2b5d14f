import { Histogram } from 'prom-client';
import type { MetricsRegistry } from './metrics.js';

/** One statement sent to the store, as `libs/postgres` reports it. */
export interface StatementTiming {
  /** The statement's operation name in the code (`'store message'`): a fixed set per service. */
  readonly operation: string;
  /** `ok`, or `error`: the server refused it, it timed out, or the connection failed. */
  readonly outcome: 'ok' | 'error';
  /** From sending the statement to its answer (waiting for a pooled connection not included). */
  readonly seconds: number;
}

/** What a store reports as it goes; `storeMetrics` turns it into Prometheus series. */
export interface StatementObserver {
  statement(timing: StatementTiming): void;
}

/** One histogram per registry (a service has one store, a test may make several). */
const histogramOf = new WeakMap<MetricsRegistry, Histogram<'operation' | 'outcome'>>();

/**
 * The store's statement time as `parley_store_statement_duration_seconds{operation,outcome}`
 * (docs/operations.md, "Store metrics").
 *
 * @example
 * const postgres = serviceStore(config, historySchema, logger, { statements: storeMetrics(registry) });
 */
export function storeMetrics(registry: MetricsRegistry): StatementObserver {
  let histogram = histogramOf.get(registry);
  if (!histogram) {
    histogram = new Histogram({
      name: 'parley_store_statement_duration_seconds',
      help: 'Statements sent to PostgreSQL by operation (as named in the code) and outcome (ok, error), from send to answer.',
      labelNames: ['operation', 'outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    histogramOf.set(registry, histogram);
  }
  const series = histogram;
  return {
    statement: ({ operation, outcome, seconds }) => series.observe({ operation, outcome }, seconds),
  };
}
