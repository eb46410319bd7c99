// Prometheus instant queries. A reading is a number or an inconclusive reason, never a guess:
// empty result, NaN, HTTP error and timeout each come back as their own reason.
import type { ActivityConfig } from './config';
import type { MetricQuery, MetricReading } from './contract';
import { notImplemented } from './errors';

export function createPrometheusActivities(_config: ActivityConfig) {
  return {
    async queryMetrics(_input: { queries: MetricQuery[] }): Promise<MetricReading[]> { return notImplemented('queryMetrics'); },
  };
}
