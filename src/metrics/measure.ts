// The measuring half of a metric provider (<kind>/measure.ts), the worker's: it measures one rendered query and
// gives a number or an inconclusive reason, never a guess and never a verdict (analysis.ts evaluateSample judges,
// for every provider alike). A provider does not throw for a value it could not read: an empty result, NaN, an
// error answer, a timeout are each an inconclusive reading.
import type { InconclusiveReason, MetricReading } from './reading';
import type { MetricProviderKind, QueryOf } from './registry';

/**
 * What the worker hands a provider's measuring half: the settings and shared plumbing it may use. The queryMetrics
 * activity fills it in from the worker's configuration (src/activities/metrics `measureContext`); declared here so
 * that this folder imports nothing from the activities above it.
 */
export interface MeasureContext {
  prometheus: { url: string; timeoutMs: number };
  /** Region, endpoint override (moto), credentials and retries of an AWS SDK client, as the worker's other ones. */
  awsClientOptions: {
    region: string;
    endpoint?: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
    maxAttempts: number;
  };
  /** One HTTP call with a deadline: an HTTP status is an answer; no answer in time or no connection, a failure. */
  http(
    url: string,
    init: RequestInit & { timeoutMs: number },
  ): Promise<{ status: number; text: string } | { failure: 'timeout' | 'unreachable'; message: string }>;
}

export interface MetricProvider<K extends MetricProviderKind> {
  /** The reading of one query. */
  measure(query: QueryOf<K>): Promise<MetricReading>;
  /** How traces show the query (`db.query.text`). */
  describe(query: QueryOf<K>): string;
}

/** Builds a provider from what the worker hands it (clients are made lazily, on first use). */
export type MetricProviderFactory<K extends MetricProviderKind> = (context: MeasureContext) => MetricProvider<K>;

export const inconclusive = (name: string, reason: InconclusiveReason, detail: string): MetricReading => ({
  name,
  inconclusive: reason,
  detail,
});
