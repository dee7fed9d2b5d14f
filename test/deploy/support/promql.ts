import { parser } from '@prometheus-io/lezer-promql';

/** A vector selector of an expression: its metric name and the labels it matches on. */
export interface Selector {
  readonly metric: string | undefined;
  readonly labels: readonly string[];
  /** The function a range of this selector goes to (`rate` in `rate(x[5m])`), if it is a range. */
  readonly rangeFunction: string | undefined;
}

/** What an expression is made of, as Prometheus's own grammar (lezer-promql) reads it. */
export interface PromqlParts {
  /** Where the parser found no valid PromQL: `at <offset>: <the text there>`. */
  readonly errors: readonly string[];
  readonly selectors: readonly Selector[];
  /** Label names of `by (…)`, `without (…)`, `on (…)`, `ignoring (…)`, `group_left (…)`. */
  readonly groupingLabels: readonly string[];
}

/**
 * Grafana's interval variables stand where PromQL has a duration; other variables only inside
 * label values (strings), where they need no replacing. A variable anywhere else stays and fails
 * the parse.
 */
export function fromGrafana(expr: string): string {
  return expr.replace(/\$\{?__(rate_interval|interval|range)\}?/g, '5m');
}

/** Parses one expression and lists its selectors and grouping labels. */
export function parsePromql(expr: string): PromqlParts {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  const text = (node: { from: number; to: number }) => expr.slice(node.from, node.to);
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors.push(`at ${node.from}: "${expr.slice(node.from, node.from + 30)}"`);
      if (node.name === 'VectorSelector') {
        const metric = node.node.getChild('Identifier');
        const matchers = node.node.getChild('LabelMatchers');
        const labels: string[] = [];
        for (let child = matchers?.firstChild; child; child = child.nextSibling) {
          const label = child.getChild('LabelName');
          if (label) labels.push(text(label));
        }
        let rangeFunction: string | undefined;
        if (node.node.parent?.name === 'MatrixSelector') {
          let up = node.node.parent.parent;
          while (up && up.name !== 'FunctionCall') up = up.parent;
          const identifier = up?.getChild('FunctionIdentifier');
          rangeFunction = identifier ? text(identifier) : undefined;
        }
        selectors.push({ metric: metric ? text(metric) : undefined, labels, rangeFunction });
      }
      if (node.name === 'GroupingLabels') {
        for (let child = node.node.firstChild; child; child = child.nextSibling) {
          if (child.name === 'LabelName') groupingLabels.push(text(child));
        }
      }
    },
  });
  return { errors, selectors, groupingLabels };
}

/** `{{ $labels.host }}` and `{{$labels.host}}` in an alert's annotation: the label names it uses. */
export function templateLabels(annotation: string): string[] {
  return [...annotation.matchAll(/\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)/g)].map((match) => match[1] as string);
}
