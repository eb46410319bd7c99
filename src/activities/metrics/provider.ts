// What every metric provider is: it measures one rendered query and gives a number or an
// inconclusive reason, never a guess and never a verdict (decisions.ts evaluateSample judges, for
// every provider alike). A provider does not throw for a value it could not read: an empty result,
// NaN, an error answer, a timeout are each an inconclusive reading.
import type { MetricProviderKind } from '../../plan/types';
import type { ActivityConfig } from '../config';
import type { InconclusiveReason, MetricReading, QueryOf } from '../contract';

export interface MetricProvider<K extends MetricProviderKind> {
  /** The reading of one query. */
  measure(query: QueryOf<K>): Promise<MetricReading>;
  /** How traces show the query (`db.query.text`). */
  describe(query: QueryOf<K>): string;
}

/** Builds a provider from the worker's configuration (clients are made lazily, on first use). */
export type MetricProviderFactory<K extends MetricProviderKind> = (config: ActivityConfig) => MetricProvider<K>;

export const inconclusive = (name: string, reason: InconclusiveReason, detail: string): MetricReading => ({
  name,
  inconclusive: reason,
  detail,
});
