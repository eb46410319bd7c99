// The metric providers, one folder each. The keys are the plan's `metrics[].provider` kinds
// (src/plan/types.ts METRIC_PROVIDERS): the compiler refuses a kind without its provider here, and
// the plan schema refuses a kind that is not in the list. A new provider is a folder next to
// prometheus/ implementing MetricProvider (./provider.ts), its kind and query fields in the plan,
// and one line below.
import type { MetricProviderKind } from '../../plan/types';
import { cloudwatch } from './cloudwatch';
import { prometheus } from './prometheus';
import type { MetricProviderFactory } from './provider';

export const metricProviders: { [K in MetricProviderKind]: MetricProviderFactory<K> } = {
  prometheus,
  cloudwatch,
};
