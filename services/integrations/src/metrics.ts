import type { Registry } from 'prom-client';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { DeliveryQueue } from './domain/ports.js';

/** The answer of an attempt as a label: its status class, or `no_answer`. */
function resultOf(statusCode: number | null): string {
  return statusCode === null ? 'no_answer' : `${Math.floor(statusCode / 100)}xx`;
}

/**
 * Integrations' metrics: events appended, webhook attempts (by answer) and their latency,
 * deliveries by final outcome, pauses, and, read from the store at each scrape, the pending
 * backlog and the paused subscriptions. No label names a tenant or a URL.
 */
export function createIntegrationsMetrics(registry: Registry, queue: DeliveryQueue) {
  const registers = [registry];
  const appended = new Counter({
    name: 'parley_integrations_events_appended_total',
    help: 'Tenant events appended to the event log, by type.',
    labelNames: ['type'],
    registers,
  });
  const attempts = new Counter({
    name: 'parley_integrations_webhook_attempts_total',
    help: 'Webhook attempts by answer (status class or no_answer).',
    labelNames: ['result'],
    registers,
  });
  const duration = new Histogram({
    name: 'parley_integrations_webhook_attempt_duration_seconds',
    help: 'Time from sending a webhook attempt to its answer (or failure), by answer.',
    labelNames: ['result'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const deliveries = new Counter({
    name: 'parley_integrations_webhook_deliveries_total',
    help: 'Webhook deliveries by final outcome: delivered (2xx) or failed (retries exhausted).',
    labelNames: ['outcome'],
    registers,
  });
  const pauses = new Counter({
    name: 'parley_integrations_webhook_pauses_total',
    help: 'Subscriptions paused because their attempts kept failing.',
    registers,
  });
  // One store read per scrape for both gauges, however they are collected.
  let counts: Promise<{ pending: number; paused: number }> | undefined;
  const current = () => {
    counts ??= queue.counts().finally(() => setTimeout(() => (counts = undefined), 1000).unref());
    return counts;
  };
  new Gauge({
    name: 'parley_integrations_webhook_pending_deliveries',
    help: 'Deliveries waiting for an attempt or a retry (all tenants).',
    registers,
    async collect() {
      this.set((await current().catch(() => ({ pending: Number.NaN }))).pending);
    },
  });
  new Gauge({
    name: 'parley_integrations_webhook_paused_subscriptions',
    help: 'Enabled subscriptions paused because their attempts kept failing.',
    registers,
    async collect() {
      this.set((await current().catch(() => ({ paused: Number.NaN }))).paused);
    },
  });

  return {
    appended: (type: string) => appended.inc({ type }),
    attempt(attempt: { statusCode: number | null; seconds: number; next: string; paused: boolean }) {
      const result = resultOf(attempt.statusCode);
      attempts.inc({ result });
      duration.observe({ result }, attempt.seconds);
      if (attempt.next !== 'retry') deliveries.inc({ outcome: attempt.next });
      if (attempt.paused) pauses.inc();
    },
  };
}
