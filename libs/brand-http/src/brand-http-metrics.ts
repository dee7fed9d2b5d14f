import { Counter, Histogram, type Registry } from 'prom-client';

export interface BrandHttpMetrics {
  /** The `host` label for a URL: its host, or `other` once `maxHostLabels` hosts have a name. */
  hostLabel(url: URL): string;
  observe(host: string, outcome: string, seconds: number): void;
  circuitOpened(host: string): void;
}

/**
 * The brand client's metrics. Hosts come from admins' settings, so the `host` label is bounded:
 * allow-listed hosts (the operator's) always keep their name, the first `maxHostLabels` other
 * hosts too, and every host after them counts as `other`.
 */
export function createBrandHttpMetrics(options: {
  registry?: Registry;
  maxHostLabels: number;
  listed: (hostname: string) => boolean;
}): BrandHttpMetrics {
  const { registry, maxHostLabels, listed } = options;
  const named = new Set<string>();
  const duration = registry
    ? new Histogram({
        name: 'parley_brand_http_request_duration_seconds',
        help: 'Requests to brand servers by host and outcome (HTTP status class, or failure reason).',
        labelNames: ['host', 'outcome'],
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      })
    : undefined;
  const opened = registry
    ? new Counter({
        name: 'parley_brand_http_circuit_opened_total',
        help: 'Times a circuit to a brand host opened (circuits are per tenant and host).',
        labelNames: ['host'],
        registers: [registry],
      })
    : undefined;
  return {
    hostLabel(url) {
      if (listed(url.hostname) || named.has(url.host)) return url.host;
      if (named.size >= maxHostLabels) return 'other';
      named.add(url.host);
      return url.host;
    },
    observe: (host, outcome, seconds) => duration?.observe({ host, outcome }, seconds),
    circuitOpened: (host) => opened?.inc({ host }),
  };
}
