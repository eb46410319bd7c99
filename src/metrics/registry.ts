// The metric providers: one folder each, and one line below. A provider's folder holds both halves:
//   <kind>/spec.ts     pure (zod, no I/O): the plan's `query` field, its template checks, the renderer. The plan
//                      schema, the plan's types and the workflow take every provider from this registry;
//   <kind>/measure.ts  the worker's: `export const measure: MetricProviderFactory<'<kind>'>` (../measure.ts),
//                      registered in ../measures.ts under the same key.
// This file is loaded inside the workflow sandbox, so it imports the pure halves only (lint holds it to that).
// The key is the plan's `metrics[].provider`.
import { cloudwatch } from './cloudwatch/spec';
import { prometheus } from './prometheus/spec';
import type { MetricProviderSpec } from './spec';

export const metricProviders = {
  prometheus,
  cloudwatch,
} satisfies Record<string, MetricProviderSpec<unknown, object>>;

export type MetricProviderKind = keyof typeof metricProviders;
/** The kinds a plan may name, in the registry's order (the schema's message lists them so). */
export const METRIC_PROVIDERS = Object.keys(metricProviders) as MetricProviderKind[];
/** A metric without `provider` is Prometheus's (every plan written before providers existed). */
export const DEFAULT_METRIC_PROVIDER = 'prometheus' satisfies MetricProviderKind;

type SpecOf<K extends MetricProviderKind> = (typeof metricProviders)[K];
/** A provider's `metrics[].query` as the plan holds it. */
export type QueryFieldOf<K extends MetricProviderKind> = Parameters<SpecOf<K>['render']>[0];
/** What the queryMetrics activity receives for one metric of a provider. */
export type QueryOf<K extends MetricProviderKind> = { name: string } & ReturnType<SpecOf<K>['render']>;
export type MetricQuery = { [K in MetricProviderKind]: QueryOf<K> }[MetricProviderKind];
