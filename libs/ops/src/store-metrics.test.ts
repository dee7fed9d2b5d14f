import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, type MetricsRegistry, storeMetrics } from './index.js';

/** The value of the sample `name` (a histogram's `_count`, `_bucket`, …) whose labels include `labels`. */
async function sampleOf(registry: MetricsRegistry, name: string, labels: Record<string, string | number>) {
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const sample of metric.values as { metricName?: string; labels: object; value: number }[]) {
      if ((sample.metricName ?? metric.name) !== name) continue;
      const has = sample.labels as Record<string, unknown>;
      if (Object.entries(labels).every(([k, v]) => String(has[k]) === String(v))) return sample.value;
    }
  }
  return undefined;
}

describe('store metrics', () => {
  it('times statements by operation and outcome, one histogram per registry', async () => {
    const registry = createMetricsRegistry({ service: 'history', version: '1' });
    const first = storeMetrics(registry);
    const second = storeMetrics(registry); // another store of the process shares the series
    first.statement({ operation: 'store message', outcome: 'ok', seconds: 0.002 });
    second.statement({ operation: 'store message', outcome: 'ok', seconds: 0.2 });
    first.statement({ operation: 'read thread', outcome: 'error', seconds: 5 });

    const name = 'parley_store_statement_duration_seconds';
    const stored = { operation: 'store message', outcome: 'ok', service: 'history' };
    expect(await sampleOf(registry, `${name}_count`, stored)).toBe(2);
    expect(await sampleOf(registry, `${name}_bucket`, { ...stored, le: 0.0025 })).toBe(1);
    expect(await sampleOf(registry, `${name}_bucket`, { ...stored, le: 0.25 })).toBe(2);
    expect(await sampleOf(registry, `${name}_count`, { operation: 'read thread', outcome: 'error' })).toBe(1);
    expect(await sampleOf(registry, `${name}_count`, { operation: 'read thread', outcome: 'ok' })).toBe(
      undefined,
    );
  });
});
