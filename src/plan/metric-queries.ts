// How a metric's query is filled in for the side being measured: pure, so the workflow renders
// (the rendered query is in its history) and the worker's provider only measures. One renderer per
// provider; the compiler refuses a provider of METRIC_PROVIDERS without one.
import type { CloudWatchQuery, MetricProviderKind, MetricSpec } from './types';

/** What the queryMetrics activity receives for one metric, by provider. */
export interface RenderedQueries {
  /** Rendered PromQL. Queries carry no `provider` for Prometheus: the same input as before providers existed. */
  prometheus: { name: string; provider?: 'prometheus'; promql: string };
  cloudwatch: { name: string; provider: 'cloudwatch'; query: CloudWatchQuery };
}
export type MetricQuery = RenderedQueries[MetricProviderKind];
export type QueryOf<K extends MetricProviderKind> = RenderedQueries[K];

/** The provider a query (or a metric) goes to; absent is Prometheus. */
export const providerOf = (q: { provider?: MetricProviderKind }): MetricProviderKind => q.provider ?? 'prometheus';

/** Fills {{namespace}} (the side measured), {{blue_namespace}}, {{green_namespace}}, {{app}}, {{version}}. */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (whole, key: string) =>
    Object.hasOwn(vars, key) ? vars[key] : whole,
  );
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

type SpecOf<K extends MetricProviderKind> = Extract<MetricSpec, { provider?: K }>;

const renderers: { [K in MetricProviderKind]: (m: SpecOf<K>, vars: Record<string, string>) => QueryOf<K> } = {
  // Escaped even though the workflow validates its input: a value must never end the string it stands in.
  prometheus: (m, vars) => ({
    name: m.name,
    promql: renderTemplate(
      m.query,
      Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, promqlStringContents(v)])),
    ),
  }),
  // Dimension values go to the API as values, not as text in a query: nothing to escape.
  cloudwatch: (m, vars) => ({
    name: m.name,
    provider: 'cloudwatch',
    query: {
      ...m.query,
      dimensions: Object.fromEntries(
        Object.entries(m.query.dimensions ?? {}).map(([k, v]) => [k, renderTemplate(v, vars)]),
      ),
    },
  }),
};

export function renderMetricQuery(m: MetricSpec, vars: Record<string, string>): MetricQuery {
  const render = renderers[providerOf(m)] as (m: MetricSpec, vars: Record<string, string>) => MetricQuery;
  return render(m, vars);
}

/** The texts of a metric a template variable may stand in (the PromQL, or CloudWatch's dimension values). */
export function templatedTexts(m: MetricSpec): string[] {
  return m.provider === 'cloudwatch' ? Object.values(m.query.dimensions ?? {}) : [m.query];
}

/** The PromQL of a Prometheus query (undefined for another provider's). */
export const promqlOf = (q: MetricQuery): string | undefined =>
  providerOf(q) === 'prometheus' ? (q as QueryOf<'prometheus'>).promql : undefined;
