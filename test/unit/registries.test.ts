// The plug-in registries: routers and metric providers are keyed by the plan's own kind lists, so the
// schema refuses an unknown kind naming the field, and every known kind reaches its implementation.
// CloudWatch's plan fields are validated field by field; recorded plans without `provider` still pass.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { activityConfigFromEnv } from '../../src/activities/config';
import { routers } from '../../src/activities/traffic/routers';
import { readingFromResult, queryWindow } from '../../src/metrics/cloudwatch/measure';
import { allMeasures, measureOf } from '../../src/metrics/measure';
import { metricProviders, type MetricProviderKind } from '../../src/metrics/registry';
import { PlanError, validatePlan } from '../../src/plan/load';
import { resolvedPlanProblems } from '../../src/plan/resolved';
import { METRIC_PROVIDERS, ROUTER_KINDS } from '../../src/plan/types';
import { metricQueries } from '../../src/workflows/decisions';

const problems = (doc: Record<string, unknown>): string[] => {
  try {
    validatePlan({ approval: { allowUnsigned: true }, ...doc });
    return [];
  } catch (err) {
    if (err instanceof PlanError) return err.problems;
    throw err;
  }
};

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

describe('registries cover exactly the plan kinds', () => {
  test('every router kind has its router, and nothing else is registered', () => {
    expect(Object.keys(routers).sort()).toEqual([...ROUTER_KINDS].sort());
    expect(routers.istio.plural).toBe('virtualservices');
    expect(routers['gateway-api'].plural).toBe('httproutes');
    expect(routers.traefik.plural).toBe('traefikservices');
  });
  test("the plan's metric provider kinds are the registry's, in its order", () => {
    expect(METRIC_PROVIDERS).toEqual(Object.keys(metricProviders));
    expect(METRIC_PROVIDERS).toEqual(['prometheus', 'cloudwatch']);
  });
  test('every metric provider has its measuring half (<kind>/measure.ts), which reads what its spec renders', () => {
    const measures = allMeasures();
    expect(Object.keys(measures)).toEqual([...METRIC_PROVIDERS]);
    const config = activityConfigFromEnv({});
    const vars = { app: 'a', version: 'v', blueNamespace: 'b', greenNamespace: 'g' };
    const plan = validatePlan({
      approval: { allowUnsigned: true },
      metrics: [
        { name: 'up', query: 'up{namespace="{{namespace}}"}', rollback: { below: 1 } },
        ...cw({ dimensions: { TargetGroup: 'tg/{{namespace}}' } }).metrics,
      ],
    });
    const [prom, cloudwatch] = metricQueries(plan.metrics, vars, 'canary');
    expect(measures.prometheus(config).describe(prom as never)).toBe('up{namespace="g"}');
    expect(measures.cloudwatch(config).describe(cloudwatch as never)).toBe(
      'AWS/ApplicationELB HTTPCode_Target_5XX_Count{TargetGroup=tg/g} Sum/60s',
    );
  });
  test('a kind without its measure.ts is refused at worker start, naming the missing file', () => {
    expect(() => measureOf('datadog' as MetricProviderKind)).toThrow(
      'metric provider "datadog" has no measuring half: src/metrics/datadog/measure.ts is missing',
    );
  });
});

describe('an unknown kind is refused, naming the field', () => {
  test('traffic.provider', () => {
    expect(problems({ traffic: { provider: 'nginx' } })).toEqual([
      'traffic.provider must be a known traffic router: istio, gateway-api, traefik (got "nginx")',
    ]);
  });
  test('metrics[].provider', () => {
    expect(problems({ metrics: [{ name: 'x', provider: 'datadog', query: 'q', rollback: { above: 1 } }] })).toEqual([
      'metrics[0].provider must be a known metric provider: prometheus, cloudwatch (got "datadog")',
    ]);
  });
});

describe('metric providers in plans', () => {
  test('provider defaults to prometheus: absent stays absent, and renders the same {name, promql} input as before', () => {
    const plan = validatePlan({
      approval: { allowUnsigned: true },
      metrics: [{ name: 'x', query: 'up{namespace="{{namespace}}"}', rollback: { below: 1 } }],
    });
    expect(plan.metrics[0]).not.toHaveProperty('provider');
    expect(
      metricQueries(plan.metrics, { app: 'a', version: 'v', blueNamespace: 'b', greenNamespace: 'g' }, 'canary'),
    ).toEqual([{ name: 'x', promql: 'up{namespace="g"}' }]);
  });

  test.each(['succeeded.json', 'release-hwayo-2.4.0-demo.20261126153027.json'])(
    'the resolved plan inside %s (metrics without provider) keeps valid metrics',
    (file) => {
      const history = JSON.parse(readFileSync(join(__dirname, '..', 'histories', file), 'utf8')) as {
        events: { workflowExecutionStartedEventAttributes?: { input?: { payloads?: { data?: string }[] } } }[];
      };
      const started = history.events[0].workflowExecutionStartedEventAttributes!;
      const input = JSON.parse(Buffer.from(started.input!.payloads![0].data!, 'base64').toString('utf8')) as {
        plan: { metrics: object[] };
      };
      expect(input.plan.metrics.length).toBeGreaterThan(0);
      expect(input.plan.metrics.some((m) => 'provider' in m)).toBe(false);
      // Older histories miss later plan fields (their runs predate the check); no problem may be a metric's.
      expect(resolvedPlanProblems(input.plan).filter((p) => p.startsWith('plan.metrics'))).toEqual([]);
    },
  );

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
