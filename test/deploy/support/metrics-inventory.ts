import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createMetricsRegistry } from '@parley/ops';
import { repositoryRoot } from './render.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

/** A metric a service registers: where, its type, and its own label names. */
export interface RegisteredMetric {
  readonly name: string;
  readonly type: MetricType;
  readonly labels: readonly string[];
  /** `libs/ops/src/consumer-metrics.ts`, or `prom-client default metrics`. */
  readonly source: string;
}

/**
 * Labels every scraped series has besides its own: the registry's default labels (libs/ops
 * `createMetricsRegistry`) and the target labels the Prometheus operator adds from a ServiceMonitor
 * (the k8s Service name becomes `service`, the services' own `service` then `exported_service`).
 */
export const scrapeLabels: readonly string[] = [
  'service',
  'version',
  'exported_service',
  'job',
  'instance',
  'namespace',
  'pod',
  'container',
  'endpoint',
];

/** Series Prometheus makes itself for every target. */
export const prometheusSeries: Readonly<Record<string, readonly string[]>> = {
  up: [],
  scrape_duration_seconds: [],
  scrape_samples_scraped: [],
};

const metricClasses: Readonly<Record<string, MetricType>> = {
  Counter: 'counter',
  Gauge: 'gauge',
  Histogram: 'histogram',
  Summary: 'summary',
};

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * The prom-client registrations in one source text: every `new Counter|Gauge|Histogram|Summary({`
 * with its literal `name` and `labelNames`. A registration whose name is not a literal throws,
 * so a metric cannot escape the inventory by being built from a variable.
 */
export function registrationsIn(text: string, source: string): RegisteredMetric[] {
  const found: RegisteredMetric[] = [];
  const opening = /new (Counter|Gauge|Histogram|Summary)(?:<[^>]*>)?\(\{/g;
  for (const match of text.matchAll(opening)) {
    // The options object: up to its closing brace at the same depth.
    let depth = 0;
    let end = match.index + match[0].length - 1;
    for (; end < text.length; end += 1) {
      if (text[end] === '{') depth += 1;
      else if (text[end] === '}' && --depth === 0) break;
    }
    const options = text.slice(match.index, end + 1);
    const name = /\bname:\s*'([^']+)'/.exec(options)?.[1];
    if (!name) throw new Error(`${source}: a ${match[1]} whose name is not a string literal`);
    const labelNames = /\blabelNames:\s*\[([^\]]*)\]/.exec(options)?.[1] ?? '';
    const labels = [...labelNames.matchAll(/'([^']+)'/g)].map((label) => label[1] as string);
    found.push({ name, type: metricClasses[match[1] as string] as MetricType, labels, source });
  }
  return found;
}

/** The metrics the code of libs/ and services/ registers (test files excluded). */
export function registeredInCode(): RegisteredMetric[] {
  return ['libs', 'services'].flatMap((top) =>
    sourceFiles(join(repositoryRoot, top)).flatMap((path) =>
      registrationsIn(readFileSync(path, 'utf8'), relative(repositoryRoot, path)),
    ),
  );
}

/** The Node.js process metrics every registry has (prom-client's defaults), as a registry reports them. */
export async function defaultMetrics(): Promise<RegisteredMetric[]> {
  const registry = createMetricsRegistry({ service: 'inventory', version: '0' });
  return (await registry.getMetricsAsJSON()).map((metric) => ({
    name: metric.name,
    type: String(metric.type) as MetricType,
    labels: [
      ...new Set(
        (metric.values as { labels: Record<string, unknown> }[]).flatMap((sample) =>
          Object.keys(sample.labels),
        ),
      ),
    ].filter((label) => label !== 'service' && label !== 'version' && label !== 'le' && label !== 'quantile'),
    source: 'prom-client default metrics',
  }));
}

/** Every series name a scrape can show, with the labels it may carry (its own and the scrape's). */
export function seriesInventory(metrics: readonly RegisteredMetric[]): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  const add = (name: string, labels: readonly string[]) =>
    series.set(name, new Set([...(series.get(name) ?? []), ...labels, ...scrapeLabels]));
  for (const metric of metrics) {
    if (metric.type === 'histogram') {
      add(`${metric.name}_bucket`, [...metric.labels, 'le']);
      add(`${metric.name}_sum`, metric.labels);
      add(`${metric.name}_count`, metric.labels);
    } else if (metric.type === 'summary') {
      add(metric.name, [...metric.labels, 'quantile']);
      add(`${metric.name}_sum`, metric.labels);
      add(`${metric.name}_count`, metric.labels);
    } else {
      add(metric.name, metric.labels);
    }
  }
  for (const [name, labels] of Object.entries(prometheusSeries)) add(name, labels);
  return series;
}
