// The queryMetrics activity: every metric of one analysis read in parallel, each by the provider its
// plan names (src/metrics/registry.ts). Each reading is its own span.
import type { MeasureContext, MetricProvider, MetricProviderFactory } from '../../metrics/measure';
import { measures } from '../../metrics/measures';
import { providerOf } from '../../plan/metric-queries';
import type { MetricProviderKind } from '../../plan/types';
import { traced } from '../../telemetry/tracing';
import { awsClientOptions } from '../aws/clients';
import type { ActivityConfig } from '../config';
import type { MetricQuery, MetricReading } from '../contract';
import { httpRequest, NetworkFailure } from '../http';

/** What a provider's measuring half may use, from the worker's configuration and the activities' plumbing. */
export function measureContext(config: ActivityConfig): MeasureContext {
  return {
    prometheus: config.prometheus,
    awsClientOptions: awsClientOptions(config),
    async http(url, init) {
      try {
        return await httpRequest(url, init);
      } catch (err) {
        if (err instanceof NetworkFailure) return { failure: err.kind, message: err.message };
        throw err;
      }
    },
  };
}

export function createMetricActivities(config: ActivityConfig) {
  const context = measureContext(config);
  // Typed per kind in the registry; here one query of any kind goes to the provider of its own kind.
  const made: Partial<Record<MetricProviderKind, MetricProvider<MetricProviderKind>>> = {};
  const providerFor = (kind: MetricProviderKind) =>
    (made[kind] ??= (measures[kind] as MetricProviderFactory<MetricProviderKind>)(context));

  async function read(q: MetricQuery): Promise<MetricReading> {
    const kind = providerOf(q);
    const provider = providerFor(kind);
    return traced(
      `${kind} query`,
      { 'hwayo.metric': q.name, 'db.system': kind, 'db.query.text': provider.describe(q) },
      async (span) => {
        const reading = await provider.measure(q);
        if ('value' in reading) span.setAttribute('hwayo.metric.value', reading.value);
        else span.setAttribute('hwayo.metric.inconclusive', reading.inconclusive);
        return reading;
      },
    );
  }

  return {
    /** Activity name recorded in histories: keep it. Queries without `provider` are Prometheus's. */
    async queryMetrics(input: { queries: MetricQuery[] }): Promise<MetricReading[]> {
      return Promise.all(input.queries.map(read));
    },
  };
}
