// The measuring halves of the metric providers, the worker's: one line each, keyed like the pure registry
// (registry.ts), so a provider without its measure.ts does not typecheck. Kept apart from registry.ts because
// the registry is the workflow sandbox's too, and the sandbox must not load a line of this half (AWS SDK, sockets).
import { measure as cloudwatch } from './cloudwatch/measure';
import type { MetricProviderFactory } from './measure';
import { measure as prometheus } from './prometheus/measure';
import type { MetricProviderKind } from './registry';

/** A provider's measuring half for each kind of the registry, and for no other. */
export type MeasureRegistry = { readonly [K in MetricProviderKind]: MetricProviderFactory<K> };

export const measures: MeasureRegistry = { prometheus, cloudwatch };
