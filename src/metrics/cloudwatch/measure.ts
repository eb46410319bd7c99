// Amazon CloudWatch, the measuring half: one metric statistic read with GetMetricData. The reading is the newest
// datapoint of the last few complete periods (a period still filling would read low for a Sum or SampleCount); the
// same inconclusive rules as Prometheus: no datapoint, a value that is not a number, an error answer, a timeout or an
// unreachable endpoint each give their reason.
import { CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { tracedAwsClient } from '../../telemetry/tracing';
import { inconclusive, type MetricProviderFactory } from '../measure';
import type { MetricReading } from '../reading';
import type { CloudWatchQuery } from './spec';

const TIMEOUT_MS = 10_000;
/** How far back a reading may come from: datapoints arrive minutes late, so more than one period. */
export const lookbackSeconds = (period: number) => Math.max(3 * period, 300);

/** Whole periods, aligned as CloudWatch aggregates them, ending where the current period begins. */
export function queryWindow(period: number, now: number): { start: Date; end: Date } {
  const end = Math.floor(now / (period * 1000)) * period * 1000;
  return { start: new Date(end - lookbackSeconds(period) * 1000), end: new Date(end) };
}

export const describeQuery = (q: CloudWatchQuery) =>
  `${q.namespace} ${q.metricName}{${Object.entries(q.dimensions ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}} ${q.stat}/${q.period}s`;

/** The reading of one GetMetricData result (exported for the unit tests of the edge cases). */
export function readingFromResult(
  name: string,
  q: CloudWatchQuery,
  result: MetricDataResult | undefined,
): MetricReading {
  const what = describeQuery(q);
  const messages = (result?.Messages ?? []).map((m) => `${m.Code ?? ''} ${m.Value ?? ''}`.trim()).join('; ');
  if (!result || result.StatusCode === 'InternalError' || result.StatusCode === 'Forbidden') {
    return inconclusive(
      name,
      'http-error',
      `CloudWatch answered ${result?.StatusCode ?? 'no result'} for ${what}${messages ? `: ${messages}` : ''}`,
    );
  }
  const values = result.Values ?? [];
  const times = result.Timestamps ?? [];
  if (values.length === 0)
    return inconclusive(
      name,
      'empty-result',
      `no datapoints for ${what} in the last ${lookbackSeconds(q.period)} s of complete periods (no data yet, or a wrong dimension?)`,
    );
  // The newest datapoint, whatever order the answer lists them in.
  let newest = 0;
  for (let i = 1; i < values.length; i++) if ((times[i]?.getTime() ?? 0) > (times[newest]?.getTime() ?? 0)) newest = i;
  const value = values[newest];
  if (typeof value !== 'number' || !Number.isFinite(value))
    return inconclusive(name, 'not-a-number', `${what} is ${String(value)}`);
  return { name, value };
}

/** An error of the SDK as an inconclusive reading: an answer from AWS, a timeout, or no answer at all. */
function readingFromError(name: string, q: CloudWatchQuery, err: unknown): MetricReading {
  const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const what = describeQuery(q);
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
    return inconclusive(name, 'timeout', `CloudWatch did not answer for ${what} within ${TIMEOUT_MS} ms`);
  if (e?.$metadata?.httpStatusCode !== undefined)
    return inconclusive(
      name,
      'http-error',
      `CloudWatch answered HTTP ${e.$metadata.httpStatusCode} for ${what}: ${e.name}: ${e.message}`,
    );
  return inconclusive(
    name,
    'unreachable',
    `CloudWatch for ${what}: ${e?.code ?? e?.name ?? 'error'}: ${e?.message ?? String(err)}`,
  );
}

export const measure: MetricProviderFactory<'cloudwatch'> = ({ awsClientOptions }) => {
  let client: CloudWatchClient | undefined;
  // Made on first use, as the worker's other AWS clients are; each command is a child span of the activity's.
  const cloudwatch = () => (client ??= tracedAwsClient(new CloudWatchClient(awsClientOptions)));
  return {
    describe: (q) => describeQuery(q.query),
    async measure({ name, query: q }) {
      const { start, end } = queryWindow(q.period, Date.now());
      try {
        const out = await cloudwatch().send(
          new GetMetricDataCommand({
            StartTime: start,
            EndTime: end,
            ScanBy: 'TimestampDescending',
            MetricDataQueries: [
              {
                Id: 'm0',
                ReturnData: true,
                MetricStat: {
                  Metric: {
                    Namespace: q.namespace,
                    MetricName: q.metricName,
                    Dimensions: Object.entries(q.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
                  },
                  Period: q.period,
                  Stat: q.stat,
                },
              },
            ],
          }),
          { abortSignal: AbortSignal.timeout(TIMEOUT_MS) },
        );
        return readingFromResult(
          name,
          q,
          out.MetricDataResults?.find((r) => r.Id === 'm0'),
        );
      } catch (err) {
        return readingFromError(name, q, err);
      }
    },
  };
};
