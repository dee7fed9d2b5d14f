import { describe, expect, it } from 'vitest';
import { consumerMetrics, createMetricsRegistry, type MetricsRegistry } from './index.js';

/** The value of the series `name` whose labels include `labels`, or undefined. */
async function sampleOf(registry: MetricsRegistry, name: string, labels: Record<string, string>) {
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const sample of metric.values as { metricName?: string; labels: object; value: number }[]) {
      if ((sample.metricName ?? metric.name) !== name) continue;
      if (
        Object.entries(labels).every(([k, v]) => String((sample.labels as Record<string, unknown>)[k]) === v)
      )
        return sample.value;
    }
  }
  return undefined;
}

describe('consumer metrics', () => {
  it('exports outcomes, handling time and lag per consumer, the consumers of a service sharing the series', async () => {
    const registry = createMetricsRegistry({ service: 'history', version: '1' });
    const history = consumerMetrics(registry, 'history');
    const other = consumerMetrics(registry, 'other');
    const topic = 'chat.messages.enriched.v1';
    history.outcome({ topic, outcome: 'retried', seconds: 0.2 });
    history.outcome({ topic, outcome: 'handled', seconds: 0.3 });
    history.outcome({ topic, outcome: 'dead_lettered', seconds: 0.01 });
    other.outcome({ topic: 'chat.deliveries.v1', outcome: 'handled', seconds: 0.001 });
    history.lag({ topic, partition: 2, lag: 7 });

    for (const outcome of ['retried', 'handled', 'dead_lettered']) {
      expect(
        await sampleOf(registry, 'parley_consumer_records_total', { consumer: 'history', topic, outcome }),
      ).toBe(1);
    }
    expect(
      await sampleOf(registry, 'parley_consumer_records_total', {
        consumer: 'other',
        topic: 'chat.deliveries.v1',
        outcome: 'handled',
      }),
    ).toBe(1);
    expect(
      await sampleOf(registry, 'parley_consumer_handling_seconds_count', {
        consumer: 'history',
        topic,
        outcome: 'handled',
      }),
    ).toBe(1);
    // A retried attempt is counted, not timed: a record's time is that of its final outcome.
    expect(
      await sampleOf(registry, 'parley_consumer_handling_seconds_count', {
        consumer: 'history',
        topic,
        outcome: 'retried',
      }),
    ).toBeUndefined();
    expect(
      await sampleOf(registry, 'parley_consumer_lag', { consumer: 'history', topic, partition: '2' }),
    ).toBe(7);
    expect(await registry.metrics()).toContain('service="history"');
  });
});
