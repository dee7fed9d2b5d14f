import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { consumerMetrics, createMetricsRegistry, storeMetrics } from '@parley/ops';
import { beforeAll, describe, expect, it } from 'vitest';
import type { K8sObject } from './support/k8s-types.js';
import {
  defaultMetrics,
  type RegisteredMetric,
  registeredInCode,
  registrationsIn,
  seriesInventory,
} from './support/metrics-inventory.js';
import { fromGrafana, parsePromql, templateLabels } from './support/promql.js';
import { named, renderTarget, repositoryRoot } from './support/render.js';
import { validateAgainstSchema } from './support/schemas.js';

const monitoring = join(repositoryRoot, 'deploy/k8s/components/monitoring');
const dashboardText = readFileSync(join(monitoring, 'grafana-dashboard.json'), 'utf8');
const operationsDoc = readFileSync(join(repositoryRoot, 'docs/operations.md'), 'utf8');

interface Target {
  readonly expr: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
}
interface Panel {
  readonly title: string;
  readonly type: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}
interface Dashboard {
  readonly uid: string;
  readonly panels: readonly Panel[];
  readonly templating: {
    readonly list: readonly {
      readonly name: string;
      readonly type: string;
      readonly query: string | { readonly query: string };
    }[];
  };
}
interface AlertRule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}
interface PrometheusRule extends K8sObject {
  readonly spec: {
    readonly groups: readonly { readonly name: string; readonly rules: readonly AlertRule[] }[];
  };
}

/** The types of the series a scrape shows: a histogram's `_bucket`, `_sum` and `_count` count up. */
function seriesTypes(metrics: readonly RegisteredMetric[]): Map<string, 'counter' | 'gauge'> {
  const types = new Map<string, 'counter' | 'gauge'>();
  for (const metric of metrics) {
    if (metric.type === 'histogram' || metric.type === 'summary') {
      for (const suffix of ['_bucket', '_sum', '_count']) types.set(`${metric.name}${suffix}`, 'counter');
      if (metric.type === 'summary') types.set(metric.name, 'gauge');
    } else {
      types.set(metric.name, metric.type);
    }
  }
  return types;
}

/** GitHub's anchor of a Markdown heading. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
const docAnchors = new Set(
  [...operationsDoc.matchAll(/^#{1,6}\s+(.+)$/gm)].map((match) => anchorOf(match[1] as string)),
);

let metrics: RegisteredMetric[];
let series: Map<string, Set<string>>;
let types: Map<string, 'counter' | 'gauge'>;
beforeAll(async () => {
  metrics = [...registeredInCode(), ...(await defaultMetrics())];
  series = seriesInventory(metrics);
  types = seriesTypes(metrics);
});

/** Every way `expr` could name something the services do not export, or is not PromQL at all. */
function problemsOf(expr: string): string[] {
  const parts = parsePromql(expr);
  const problems = parts.errors.map((error) => `not PromQL ${error}`);
  const available = new Set<string>();
  for (const selector of parts.selectors) {
    if (!selector.metric) {
      problems.push('a selector without a metric name');
      continue;
    }
    const labels = series.get(selector.metric);
    if (!labels) {
      problems.push(`${selector.metric} is not exported by any service`);
      continue;
    }
    for (const label of labels) available.add(label);
    for (const label of selector.labels) {
      if (!labels.has(label)) problems.push(`${selector.metric} has no label ${label}`);
    }
    const rangeOver = selector.rangeFunction;
    if (
      rangeOver &&
      ['rate', 'irate', 'increase'].includes(rangeOver) &&
      types.get(selector.metric) !== 'counter'
    )
      problems.push(`${rangeOver}() of ${selector.metric}, which is not a counter`);
  }
  for (const label of parts.groupingLabels) {
    if (!available.has(label)) problems.push(`groups by ${label}, which none of its series has`);
  }
  if (expr.includes('histogram_quantile')) {
    if (!parts.selectors.every((selector) => selector.metric?.endsWith('_bucket')))
      problems.push('histogram_quantile over series other than _bucket');
    if (!parts.groupingLabels.includes('le')) problems.push('histogram_quantile without le in its grouping');
  }
  return problems;
}

describe('the metrics inventory (read from the code)', () => {
  it('reads names, types and label names as the registry has them', () => {
    const registry = createMetricsRegistry({ service: 'inventory', version: '0' });
    consumerMetrics(registry, 'inventory');
    storeMetrics(registry);
    const scanned = ['libs/ops/src/consumer-metrics.ts', 'libs/ops/src/store-metrics.ts'].flatMap((path) =>
      registrationsIn(readFileSync(join(repositoryRoot, path), 'utf8'), path),
    );
    const fromRegistry = scanned.map(({ name }) => {
      const metric = registry.getSingleMetric(name) as unknown as { labelNames: string[]; type?: string };
      return { name, labels: [...metric.labelNames] };
    });
    expect(scanned.map(({ name, labels }) => ({ name, labels }))).toEqual(fromRegistry);
    expect(scanned.map(({ name }) => name).sort()).toEqual([
      'parley_consumer_handling_seconds',
      'parley_consumer_lag',
      'parley_consumer_records_total',
      'parley_store_statement_duration_seconds',
    ]);
  });

  it('refuses a registration whose name it cannot read', () => {
    expect(() => registrationsIn('new Counter({ name: prefix + "_total", help: "h" })', 'x.ts')).toThrow(
      /x\.ts: a Counter whose name is not a string literal/,
    );
  });

  it('lists each metric once (one home per metric)', () => {
    const names = registeredInCode().map(({ name }) => name);
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
  });

  it('has the series the dashboard and the alerts are about', () => {
    for (const name of [
      'parley_ready',
      'parley_readiness_check',
      'parley_consumer_lag',
      'parley_brand_http_circuits_open',
      'parley_ingress_websocket_connections',
      'parley_store_statement_duration_seconds_bucket',
      'parley_ingress_http_request_duration_seconds_bucket',
      'process_cpu_seconds_total',
    ]) {
      expect(series.has(name), name).toBe(true);
    }
  });

  it('catches what the checks are for: an unknown metric, an unknown label, rate of a gauge, a syntax error', () => {
    expect(problemsOf('rate(parley_no_such_metric_total[5m])')).toEqual([
      'parley_no_such_metric_total is not exported by any service',
    ]);
    expect(problemsOf('parley_consumer_lag{tenant="a"}')).toEqual([
      'parley_consumer_lag has no label tenant',
    ]);
    expect(problemsOf('rate(parley_consumer_lag[5m])')).toEqual([
      'rate() of parley_consumer_lag, which is not a counter',
    ]);
    expect(problemsOf('sum by (tenant) (parley_consumer_lag)')).toEqual([
      'groups by tenant, which none of its series has',
    ]);
    expect(
      problemsOf('histogram_quantile(0.99, sum(rate(parley_consumer_handling_seconds_bucket[5m])))'),
    ).toEqual(['histogram_quantile without le in its grouping']);
    expect(problemsOf('sum(rate(parley_consumer_records_total[5m])')[0]).toMatch(/^not PromQL/);
    expect(problemsOf(fromGrafana('rate(parley_consumer_records_total[$__rate_interval])'))).toEqual([]);
    expect(problemsOf(fromGrafana('rate(parley_consumer_records_total[$window])'))[0]).toMatch(/^not PromQL/);
  });
});

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(dashboardText) as Dashboard;
  const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  const queries = panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: panel.title, target })),
  );

  it('takes its data source from the variable datasource, of type Prometheus', () => {
    const variable = dashboard.templating.list.find((entry) => entry.name === 'datasource');
    expect(variable).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const panel of panels.filter((candidate) => candidate.type !== 'row')) {
      // Grafana's variable syntax, not a template literal.
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '$' + '{datasource}' });
      for (const target of panel.targets ?? [])
        expect(target.datasource, panel.title).toEqual(panel.datasource);
    }
  });

  it('has queries in every panel, each valid PromQL naming only series the services export', () => {
    expect(queries.length).toBeGreaterThan(20);
    for (const panel of panels.filter((candidate) => candidate.type !== 'row')) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
    const problems = queries.flatMap(({ panel, target }) =>
      problemsOf(fromGrafana(target.expr)).map((problem) => `${panel}: ${problem} in ${target.expr}`),
    );
    expect(problems).toEqual([]);
  });

  it('lists namespaces from a series the services export', () => {
    for (const variable of dashboard.templating.list.filter((entry) => entry.type === 'query')) {
      const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
      const [, metric, label] = /^label_values\((\w+),\s*(\w+)\)$/.exec(query) ?? [];
      expect(metric && series.get(metric)?.has(label as string), query).toBe(true);
    }
  });

  it('shows each thing operators look at', () => {
    const exprs = queries.map(({ target }) => target.expr);
    const shows = (pattern: RegExp) => exprs.some((expr) => pattern.test(expr));
    // Throughput: handled records per hop, HTTP requests.
    expect(shows(/rate\(parley_consumer_records_total\{[^}]*outcome="handled"/)).toBe(true);
    expect(shows(/rate\(parley_ingress_http_request_duration_seconds_count/)).toBe(true);
    // p50 and p99 per hop: the consumers (one hop per consumer and topic) and the HTTP edge.
    for (const quantile of ['0.5', '0.99']) {
      expect(
        shows(new RegExp(`histogram_quantile\\(${quantile}, sum by \\(service, consumer, topic, le\\)`)),
      ).toBe(true);
      expect(shows(new RegExp(`histogram_quantile\\(${quantile}, .*parley_ingress_http_request`))).toBe(true);
      expect(shows(new RegExp(`histogram_quantile\\(${quantile}, sum by \\(host, le\\)`))).toBe(true);
      expect(shows(new RegExp(`histogram_quantile\\(${quantile}, .*parley_store_statement_duration`))).toBe(
        true,
      );
    }
    expect(shows(/sum by \([^)]*host[^)]*\) \(rate\(parley_brand_http_request_duration_seconds_count/)).toBe(
      true,
    );
    expect(shows(/sum by \([^)]*host\) \(parley_brand_http_circuits_open/)).toBe(true);
    expect(shows(/sum by \(service, consumer\) \(max by .*parley_consumer_lag/)).toBe(true);
    expect(shows(/parley_ingress_websocket_connections/)).toBe(true);
    expect(shows(/parley_ready/)).toBe(true);
  });

  it('is deployed as the ConfigMap Grafana’s sidecar loads (production)', () => {
    const configMap = named<K8sObject & { data: Record<string, string> }>(
      renderTarget('overlays/production'),
      'ConfigMap',
      'parley-grafana-dashboard',
    );
    expect(configMap.metadata.labels?.grafana_dashboard).toBe('1');
    expect(JSON.parse(configMap.data['parley.json'] as string)).toEqual(dashboard);
  });
});

describe('the alert rules (production)', () => {
  const rule = named<PrometheusRule>(renderTarget('overlays/production'), 'PrometheusRule', 'parley');
  const alerts = rule.spec.groups.flatMap((group) => group.rules);

  it('are a PrometheusRule the operator’s schema accepts, and the schema refuses a bad one', async () => {
    await validateAgainstSchema(rule);
    const broken = {
      ...rule,
      spec: { groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'up == 0', for: 'five minutes' }] }] },
    };
    await expect(validateAgainstSchema(broken)).rejects.toThrow(/for/);
  });

  it('cover the failure modes that matter', () => {
    expect(alerts.map((alert) => alert.alert).sort()).toEqual(
      expect.arrayContaining([
        'ParleyBrandCircuitOpen',
        'ParleyConsumerLagGrowing',
        'ParleyIngressErrorRate',
        'ParleyReadinessFlapping',
        'ParleyRecordsDeadLettered',
        'ParleyTargetDown',
      ]),
    );
    const exprOf = (name: string) => alerts.find((alert) => alert.alert === name)?.expr ?? '';
    expect(exprOf('ParleyBrandCircuitOpen')).toMatch(/parley_brand_http_circuits_open/);
    expect(exprOf('ParleyConsumerLagGrowing')).toMatch(/deriv\([\s\S]*parley_consumer_lag/);
    expect(exprOf('ParleyRecordsDeadLettered')).toMatch(/outcome="dead_lettered"/);
    expect(exprOf('ParleyReadinessFlapping')).toMatch(/changes\(parley_ready\[/);
  });

  it('each valid PromQL on exported series, with a severity, a summary, a description and a runbook in docs/operations.md', () => {
    const problems: string[] = [];
    for (const alert of alerts) {
      const name = alert.alert ?? alert.record ?? '?';
      problems.push(...problemsOf(alert.expr).map((problem) => `${name}: ${problem}`));
      if (!alert.alert) continue;
      if (!/^Parley[A-Z][A-Za-z]+$/.test(name)) problems.push(`${name}: not a Parley… alert name`);
      if (!['critical', 'warning'].includes(alert.labels?.severity ?? ''))
        problems.push(`${name}: severity is not critical or warning`);
      const { summary, description, runbook_url: runbook } = alert.annotations ?? {};
      if (!summary || !description) problems.push(`${name}: no summary or description`);
      const anchor = /^docs\/operations\.md#([a-z0-9-]+)$/.exec(runbook ?? '')?.[1];
      if (!anchor || !docAnchors.has(anchor))
        problems.push(`${name}: runbook ${runbook} is no section of docs/operations.md`);
      // The labels its annotations name must be on the series the expression can return.
      const parts = parsePromql(alert.expr);
      const labels = new Set(
        parts.selectors.flatMap((selector) => [...(series.get(selector.metric ?? '') ?? [])]),
      );
      for (const label of templateLabels(`${summary} ${description}`)) {
        if (!labels.has(label))
          problems.push(`${name}: annotation names $labels.${label}, which its series lack`);
      }
      const grouped = parts.groupingLabels;
      if (/^\s*sum by/.test(alert.expr)) {
        for (const label of templateLabels(`${summary} ${description}`)) {
          if (!grouped.includes(label))
            problems.push(`${name}: annotation names $labels.${label}, which sum drops`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('have one runbook each in docs/operations.md, and the runbooks one alert each', () => {
    const runbooks = operationsDoc
      .split(/^## /m)
      .find((section) => section.startsWith('Alerts and runbooks'));
    expect(runbooks, 'docs/operations.md has a section "Alerts and runbooks"').toBeDefined();
    const headings = [...(runbooks ?? '').matchAll(/^### (Parley\w+)$/gm)].map((match) => match[1]);
    expect(headings.sort()).toEqual(alerts.map((alert) => alert.alert).sort());
  });
});
