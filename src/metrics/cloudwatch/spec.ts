// Amazon CloudWatch, the plan half: `query` is one metric statistic (GetMetricData MetricStat) whose dimension
// values are templates. Values go to the API as values, not as text in a query: nothing to escape.
import { z } from 'zod';
import type { MetricProviderSpec } from '../spec';
import { renderTemplate, templateVariableProblem } from '../template';

/** One CloudWatch metric statistic (GetMetricData MetricStat); dimension values are templates. */
export interface CloudWatchQuery {
  /** e.g. "AWS/ApplicationELB", or a custom namespace. */
  namespace: string;
  metricName: string;
  /** Dimension name to value, e.g. { TargetGroup: "targetgroup/{{namespace}}-api/0123" }. */
  dimensions?: Record<string, string>;
  /** SampleCount, Average, Sum, Minimum, Maximum, or a percentile/trimmed statistic such as p99, tm90. */
  stat: string;
  /** Seconds, as CloudWatch counts them: 1, 5, 10, 30 or a multiple of 60. */
  period: number;
}

export interface CloudWatchRendered {
  provider: 'cloudwatch';
  query: CloudWatchQuery;
}

// CloudWatch's own limits (PutMetricData / GetMetricData), so a typo is refused here, not mid-canary.
const cloudwatchText = (max: number) =>
  z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
/**
 * The statistics GetMetricData takes: the five basic ones, IQM, and percentile / trimmed forms (p99, p99.9, tm90,
 * TM(10%:90%)).
 */
const CLOUDWATCH_STAT =
  /^(SampleCount|Average|Sum|Minimum|Maximum|IQM|(p|tm|wm|tc|ts)(100|\d{1,2}(\.\d{1,10})?)|(TM|WM|TC|TS|PR)\(\d*(\.\d+)?%?:\d*(\.\d+)?%?\))$/;

export const cloudwatch: MetricProviderSpec<CloudWatchQuery, CloudWatchRendered> = {
  query: z.strictObject({
    namespace: cloudwatchText(255).regex(/^[^:]/, 'must not start with ":"'),
    metricName: cloudwatchText(255),
    // A map, as dimensions are written in CloudFormation and Terraform; no name twice by construction.
    dimensions: z
      .record(cloudwatchText(255), cloudwatchText(1024))
      .refine((d) => Object.keys(d).length <= 30, 'must have at most 30 dimensions')
      .optional(),
    stat: z
      .string()
      .regex(
        CLOUDWATCH_STAT,
        'must be a CloudWatch statistic: SampleCount, Average, Sum, Minimum, Maximum, IQM, or a percentile like p99 / tm90',
      ),
    period: z
      .number()
      .int('must be whole seconds')
      .min(1)
      .max(86_400)
      .refine(
        (p) => [1, 5, 10, 30].includes(p) || p % 60 === 0,
        'must be 1, 5, 10, 30 or a multiple of 60 seconds (what CloudWatch stores)',
      ),
  }),
  namespaceWhere: ' in a dimension value',
  templatedTexts: (query) => Object.values(query.dimensions ?? {}),
  templateProblems: (query) =>
    Object.entries(query.dimensions ?? {}).flatMap(([dim, value]): [string[], string][] => {
      const problem = templateVariableProblem(value);
      return problem ? [[['dimensions', dim], problem]] : [];
    }),
  render: (query, vars) => ({
    provider: 'cloudwatch',
    query: {
      ...query,
      dimensions: Object.fromEntries(
        Object.entries(query.dimensions ?? {}).map(([k, v]) => [k, renderTemplate(v, vars)]),
      ),
    },
  }),
};
