import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface BrandHttpMetrics {
  /** The `host` label for a URL: its host, or `other` once `maxHostLabels` hosts have a name. */
  hostLabel(url: URL): string;
  observe(host: string, outcome: string, seconds: number): void;
  /** The circuit `key` (a tenant at a host) opened; it counts as open under `host` until it closes. */
  circuitOpened(host: string, key: string): void;
}

/**
 * The brand client's metrics. Hosts come from admins' settings, so the `host` label is bounded:
 * allow-listed hosts (the operator's) always keep their name, the first `maxHostLabels` other
 * hosts too, and every host after them counts as `other`. Open circuits are counted at each scrape
 * by asking `isOpen` about those that opened.
 */
export function createBrandHttpMetrics(options: {
  registry?: Registry;
  maxHostLabels: number;
  listed: (hostname: string) => boolean;
  isOpen: (key: string) => boolean;
}): BrandHttpMetrics {
  const { registry, maxHostLabels, listed, isOpen } = options;
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
  // The circuits that opened and their host label; forgotten once closed (or evicted).
  const opens = new Map<string, string>();
  const openHosts = new Set<string>();
  const forgetClosed = () => {
    for (const [key] of opens) if (!isOpen(key)) opens.delete(key);
  };
  if (registry)
    new Gauge({
      name: 'parley_brand_http_circuits_open',
      help: 'Circuits open now, by brand host (circuits are per tenant and host; 0 once they all closed).',
      labelNames: ['host'],
      registers: [registry],
      collect() {
        forgetClosed();
        const counts = new Map([...openHosts].map((host) => [host, 0]));
        for (const host of opens.values()) counts.set(host, (counts.get(host) ?? 0) + 1);
        for (const [host, count] of counts) this.set({ host }, count);
      },
    });
  return {
    hostLabel(url) {
      if (listed(url.hostname) || named.has(url.host)) return url.host;
      if (named.size >= maxHostLabels) return 'other';
      named.add(url.host);
      return url.host;
    },
    observe: (host, outcome, seconds) => duration?.observe({ host, outcome }, seconds),
    circuitOpened(host, key) {
      if (!opened) return;
      opened.inc({ host });
      // Bounded like the breakers: closed circuits leave at each scrape, or here when it is never scraped.
      if (opens.size >= 10_000) forgetClosed();
      if (opens.size < 10_000) opens.set(key, host);
      openHosts.add(host);
    },
  };
}
