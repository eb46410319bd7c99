// The measuring half of a metric provider (<kind>/measure.ts), the worker's: it measures one rendered query and
// gives a number or an inconclusive reason, never a guess and never a verdict (analysis.ts evaluateSample judges,
// for every provider alike). A provider does not throw for a value it could not read: an empty result, NaN, an
// error answer, a timeout are each an inconclusive reading.
import type { InconclusiveReason, MetricReading } from './reading';
import { METRIC_PROVIDERS, type MetricProviderKind, type QueryOf } from './registry';

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

/**
 * Each provider's measuring half, by the folder convention: <kind>/measure.ts exports `measure`, typed
 * `MetricProviderFactory<'<kind>'>` there. Found by name rather than imported by a second registry because the
 * registry is the workflow sandbox's too, and the sandbox must not load a line of this half (AWS SDK, sockets).
 */
export function measureOf<K extends MetricProviderKind>(kind: K): MetricProviderFactory<K> {
  const file = `src/metrics/${kind}/measure.ts`;
  let loaded: { measure?: MetricProviderFactory<K> };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the convention above, checked at worker start
    loaded = require(`./${kind}/measure`) as typeof loaded;
  } catch (err) {
    if ((err as { code?: string }).code === 'MODULE_NOT_FOUND' && String(err).includes(`${kind}/measure`))
      throw new Error(`metric provider "${kind}" has no measuring half: ${file} is missing`);
    throw err;
  }
  if (typeof loaded.measure !== 'function')
    throw new Error(`metric provider "${kind}": ${file} must export measure: MetricProviderFactory<'${kind}'>`);
  return loaded.measure;
}

/** Every provider's measuring half, loaded at once so a provider without one stops the worker at start. */
export const allMeasures = (): { [K in MetricProviderKind]: MetricProviderFactory<K> } =>
  Object.fromEntries(METRIC_PROVIDERS.map((kind) => [kind, measureOf(kind)])) as {
    [K in MetricProviderKind]: MetricProviderFactory<K>;
  };
