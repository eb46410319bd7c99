// Prometheus, the plan half: `query` is PromQL (an instant query) whose {{variables}} stand inside double-quoted
// strings, filled in escaped as such a string's contents. The default provider: a metric without `provider`.
import { z } from 'zod';
import type { MetricProviderSpec } from '../spec';
import { renderTemplate, unknownVariable, variablesOf, QUERY_VARIABLES } from '../template';

/** Queries carry no `provider` for Prometheus: the same activity input as before providers existed. */
export interface PrometheusRendered {
  provider?: 'prometheus';
  promql: string;
}

const PROMQL_ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A value as the contents of a double-quoted PromQL string (Go escapes): whatever it holds, it stays one
 * label value. The plan's schema allows template variables only inside such strings.
 */
export function promqlStringContents(value: string): string {
  return value.replace(
    /[\\"\x00-\x1f\x7f]/g,
    (c) => PROMQL_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/**
 * A query's {{variables}} must be known ones standing inside a double-quoted PromQL string: the values
 * are escaped as such a string's contents, which keeps them label values whatever they contain.
 */
export function queryTemplateProblem(query: string): string | undefined {
  const inDoubleQuotes: boolean[] = [];
  let quote: string | undefined;
  for (let i = 0; i < query.length; i++) {
    const c = query[i];
    inDoubleQuotes[i] = quote === '"';
    if (quote) {
      if (c === '\\' && quote !== '`') inDoubleQuotes[++i] = quote === '"';
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
    } else if (c === '#') {
      while (i + 1 < query.length && query[i + 1] !== '\n') inDoubleQuotes[++i] = false;
    }
  }
  for (const v of variablesOf(query)) {
    if (!QUERY_VARIABLES.includes(v.name)) return unknownVariable(v.name);
    if (!inDoubleQuotes[v.index])
      return `uses {{${v.name}}} outside a "double-quoted" string: template values may only be label values, e.g. namespace="{{namespace}}"`;
  }
  return undefined;
}

export const prometheus: MetricProviderSpec<string, PrometheusRendered> = {
  query: z.string().min(1, 'must not be empty'),
  namespaceWhere: '',
  templatedTexts: (query) => [query],
  templateProblems: (query) => {
    const problem = queryTemplateProblem(query);
    return problem ? [[[], problem]] : [];
  },
  // Escaped even though the workflow validates its input: a value must never end the string it stands in.
  render: (query, vars) => ({
    promql: renderTemplate(
      query,
      Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, promqlStringContents(v)])),
    ),
  }),
};
