// How a metric's query is filled in for the side being measured: pure, so the workflow renders
// (the rendered query is in its history) and the worker's provider only measures. Each provider's rules
// are in its spec (src/metrics/<kind>/spec.ts); this dispatches a metric of any kind to its own.
import { DEFAULT_METRIC_PROVIDER, metricProviders, type MetricQuery, type QueryOf } from '../metrics/registry';
import type { MetricProviderSpec } from '../metrics/spec';
import type { MetricProviderKind, MetricSpec, MetricSpecOf } from './types';

export type { MetricQuery, QueryOf } from '../metrics/registry';
export { renderTemplate } from '../metrics/template';
export { promqlStringContents } from '../metrics/prometheus/spec';

/** The provider a query (or a metric) goes to; absent is Prometheus. */
export const providerOf = (q: { provider?: MetricProviderKind }): MetricProviderKind =>
  q.provider ?? DEFAULT_METRIC_PROVIDER;

/** Whether a metric is of one provider (its `query` then has that provider's type). */
export const isOfProvider = <K extends MetricProviderKind>(
  m: MetricSpec,
  kind: K,
): m is Extract<MetricSpec, MetricSpecOf<K>> => providerOf(m) === kind;

/**
 * The spec of a metric's provider. Each spec is typed by its own kind in the registry; a metric of any kind
 * reaches the spec of that kind, which is what the one cast here states.
 */
export const specOf = (m: Pick<MetricSpec, 'provider'>) =>
  metricProviders[providerOf(m)] as MetricProviderSpec<MetricSpec['query'], object>;

export function renderMetricQuery(m: MetricSpec, vars: Record<string, string>): MetricQuery {
  return { name: m.name, ...specOf(m).render(m.query, vars) } as MetricQuery;
}

/** The texts of a metric a template variable may stand in (the PromQL, or CloudWatch's dimension values). */
export const templatedTexts = (m: MetricSpec): string[] => specOf(m).templatedTexts(m.query);

/** The PromQL of a Prometheus query (undefined for another provider's). */
export const promqlOf = (q: MetricQuery): string | undefined =>
  providerOf(q) === 'prometheus' ? (q as QueryOf<'prometheus'>).promql : undefined;
