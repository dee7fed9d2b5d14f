import { collectDefaultMetrics, Registry } from 'prom-client';

export type MetricsRegistry = Registry;

/**
 * A Prometheus registry for one process with the Node.js default metrics and `service` and
 * `version` labels on every series.
 *
 * @example
 * const registry = createMetricsRegistry({ service: 'history', version });
 * new Counter({ name: 'parley_history_messages_stored_total', help: '…', registers: [registry] });
 */
export function createMetricsRegistry(labels: { service: string; version: string }): MetricsRegistry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  return registry;
}
