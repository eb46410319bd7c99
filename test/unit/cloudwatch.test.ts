// The CloudWatch metric provider's own fields and readings (src/metrics/cloudwatch/): its plan fields are validated
// field by field, its dimension templates render for the side measured, and the readings moto cannot produce are
// inconclusive, never a guess. Against the stack's moto: test/integration/cloudwatch.test.ts.
import { activityConfigFromEnv } from '../../src/activities/config';
import { measureContext } from '../../src/activities/metrics';
import { queryWindow, readingFromResult } from '../../src/metrics/cloudwatch/measure';
import { measures } from '../../src/metrics/measures';
import { metricQueries } from '../../src/workflows/analysis';
import { validatePlan } from '../../src/plan/load';
import { planProblems } from './plan-problems';

const problems = planProblems;

const cw = (query: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  metrics: [
    {
      name: 'error_rate',
      provider: 'cloudwatch',
      rollback: { above: 5 },
      ...extra,
      query: {
        namespace: 'AWS/ApplicationELB',
        metricName: 'HTTPCode_Target_5XX_Count',
        stat: 'Sum',
        period: 60,
        ...query,
      },
    },
  ],
});

describe('CloudWatch metrics in plans', () => {
  test('a CloudWatch metric with templated dimensions is valid and renders for the side measured', () => {
    expect(
      problems(
        cw(
          { dimensions: { TargetGroup: 'targetgroup/{{namespace}}-api/0123', Version: '{{version}}' } },
          { compareToStable: { maxIncrease: 1 } },
        ),
      ),
    ).toEqual([]);
    const plan = validatePlan({
      approval: { allowUnsigned: true },
      ...cw({ dimensions: { TargetGroup: 'tg/{{namespace}}', Version: '{{version}}' } }),
    });
    expect(
      metricQueries(plan.metrics, { app: 'a', version: '2.4.0', blueNamespace: 'b', greenNamespace: 'g' }, 'stable'),
    ).toEqual([
      {
        name: 'error_rate',
        provider: 'cloudwatch',
        query: {
          namespace: 'AWS/ApplicationELB',
          metricName: 'HTTPCode_Target_5XX_Count',
          stat: 'Sum',
          period: 60,
          dimensions: { TargetGroup: 'tg/b', Version: '2.4.0' },
        },
      },
    ]);
  });

  test.each([
    [
      'a period CloudWatch does not store',
      cw({ period: 90 }),
      'metrics[0].query.period must be 1, 5, 10, 30 or a multiple of 60 seconds',
    ],
    ['a period that is a duration text', cw({ period: '1m' }), 'metrics[0].query.period '],
    ['an unknown statistic', cw({ stat: 'Median' }), 'metrics[0].query.stat must be a CloudWatch statistic'],
    ['an empty metric name', cw({ metricName: '' }), 'metrics[0].query.metricName must not be empty'],
    ['a missing namespace', cw({ namespace: undefined }), 'metrics[0].query.namespace '],
    ['an unknown field', cw({ unit: 'Percent' }), 'metrics[0].query has unknown key "unit"'],
    [
      'an empty dimension value',
      cw({ dimensions: { TargetGroup: '' } }),
      'metrics[0].query.dimensions.TargetGroup must not be empty',
    ],
    [
      'an unknown template variable in a dimension',
      cw({ dimensions: { Service: '{{service}}' } }),
      'metrics[0].query.dimensions.Service uses unknown template variable {{service}}',
    ],
    [
      'compareToStable without {{namespace}} in a dimension',
      cw({ dimensions: { Version: '{{version}}' } }, { compareToStable: { maxIncrease: 1 } }),
      'metrics[0].query must contain {{namespace}} in a dimension value',
    ],
    [
      'a PromQL string where CloudWatch fields belong',
      { metrics: [{ name: 'x', provider: 'cloudwatch', query: 'sum(up)', rollback: { above: 1 } }] },
      'metrics[0].query ',
    ],
  ])('%s is refused, naming the field', (_name, doc, start) => {
    expect(problems(doc)).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^${start.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))]),
    );
  });

  test('percentile and trimmed statistics are CloudWatch statistics', () => {
    for (const stat of ['p99', 'p99.9', 'tm90', 'IQM', 'TM(10%:90%)', 'Average', 'SampleCount'])
      expect(problems(cw({ stat }))).toEqual([]);
  });

  test("its measuring half describes the rendered query (the trace's db.query.text)", () => {
    const plan = validatePlan({
      approval: { allowUnsigned: true },
      ...cw({ dimensions: { TargetGroup: 'tg/{{namespace}}' } }),
    });
    const [query] = metricQueries(
      plan.metrics,
      { app: 'a', version: 'v', blueNamespace: 'b', greenNamespace: 'g' },
      'canary',
    );
    expect(measures.cloudwatch(measureContext(activityConfigFromEnv({}))).describe(query as never)).toBe(
      'AWS/ApplicationELB HTTPCode_Target_5XX_Count{TargetGroup=tg/g} Sum/60s',
    );
  });
});

describe('CloudWatch readings (edge cases moto cannot produce)', () => {
  const q = { namespace: 'N', metricName: 'M', stat: 'Average', period: 60, dimensions: { A: 'x' } };
  test('the newest datapoint is the reading, whatever the order of the answer', () => {
    expect(
      readingFromResult('m', q, {
        Id: 'm0',
        StatusCode: 'Complete',
        Values: [1, 3, 2],
        Timestamps: [new Date(1000), new Date(3000), new Date(2000)],
      }),
    ).toEqual({ name: 'm', value: 3 });
  });
  test('NaN is inconclusive (not-a-number); a failed or forbidden result is an error answer', () => {
    expect(
      readingFromResult('m', q, { Id: 'm0', StatusCode: 'Complete', Values: [NaN], Timestamps: [new Date()] }),
    ).toMatchObject({ inconclusive: 'not-a-number' });
    expect(
      readingFromResult('m', q, {
        Id: 'm0',
        StatusCode: 'InternalError',
        Values: [],
        Messages: [{ Code: 'Internal', Value: 'boom' }],
      }),
    ).toMatchObject({ inconclusive: 'http-error', detail: expect.stringContaining('boom') });
    expect(readingFromResult('m', q, { Id: 'm0', StatusCode: 'Forbidden', Values: [] })).toMatchObject({
      inconclusive: 'http-error',
    });
    expect(readingFromResult('m', q, undefined)).toMatchObject({ inconclusive: 'http-error' });
  });
  test('the window is whole periods ending where the current one begins', () => {
    const { start, end } = queryWindow(60, Date.parse('2026-11-28T12:00:42.500Z'));
    expect(end.toISOString()).toBe('2026-11-28T12:00:00.000Z');
    expect(start.toISOString()).toBe('2026-11-28T11:55:00.000Z');
  });
});
