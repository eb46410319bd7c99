// The CloudWatch metric provider against the stack's moto: datapoints written with PutMetricData are
// read back through queryMetrics, the plan's dimension templates pick the side measured, and a metric
// without datapoints or an endpoint that does not answer is inconclusive, never a value.
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { createMetricActivities } from '../../src/activities/metrics';
import type { ActivityConfig } from '../../src/activities/config';
import { validatePlan } from '../../src/plan/load';
import { evaluateSample, metricQueries } from '../../src/workflows/analysis';
import { runActivity } from './activity-env';
import { stackConfig } from './stack';

jest.setTimeout(60_000);

const config = stackConfig();
const cloudwatch = new CloudWatchClient({
  region: config.aws.region,
  endpoint: config.aws.endpoint,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
// A namespace of its own per run: moto keeps every datapoint for the life of the stack.
const NAMESPACE = `Hwayo/Test${Date.now()}${Math.floor(Math.random() * 1e6)}`;
const BLUE = 'hwayo-production',
  GREEN = 'hwayo-production-green';
const vars = { app: 'hwayo', version: '2.4.0', blueNamespace: BLUE, greenNamespace: GREEN };

const plan = validatePlan({
  approval: { allowUnsigned: true },
  metrics: [
    {
      name: 'error_rate',
      provider: 'cloudwatch',
      unit: '%',
      query: {
        namespace: NAMESPACE,
        metricName: 'ErrorRate',
        dimensions: { KubernetesNamespace: '{{namespace}}', Version: '{{version}}' },
        stat: 'Average',
        period: 60,
      },
      rollback: { above: 5 },
      compareToStable: { maxIncrease: 1 },
    },
  ],
});

// A minute ago: the provider reads complete periods only, and the current minute is still filling.
const put = (namespace: string, version: string, value: number) =>
  cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: NAMESPACE,
      MetricData: [
        {
          MetricName: 'ErrorRate',
          Dimensions: [
            { Name: 'KubernetesNamespace', Value: namespace },
            { Name: 'Version', Value: version },
          ],
          Value: value,
          Unit: 'Percent',
          Timestamp: new Date(Date.now() - 60_000),
        },
      ],
    }),
  );

const read = async (queries: ReturnType<typeof metricQueries>, cfg: ActivityConfig = config) =>
  (await runActivity(createMetricActivities(cfg).queryMetrics, { queries })).result;

beforeAll(async () => {
  await put(GREEN, '2.4.0', 7.5);
  await put(BLUE, '2.4.0', 0.5);
  await put(GREEN, '2.3.9', 99); // another version in the same namespace: its dimensions differ
});

describe('queryMetrics with the cloudwatch provider (moto)', () => {
  test('reads the datapoint of the side measured: {{namespace}} and {{version}} fill the dimensions', async () => {
    const canaryQueries = metricQueries(plan.metrics, vars, 'canary');
    expect(canaryQueries[0]).toMatchObject({
      provider: 'cloudwatch',
      query: { dimensions: { KubernetesNamespace: GREEN, Version: '2.4.0' } },
    });
    const t0 = process.hrtime.bigint();
    const canary = await read(canaryQueries);
    console.log(
      `[measure] one CloudWatch GetMetricData reading took ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`,
    );
    expect(canary).toEqual([{ name: 'error_rate', value: 7.5 }]);
    const stable = await read(metricQueries(plan.metrics, vars, 'stable'));
    expect(stable).toEqual([{ name: 'error_rate', value: 0.5 }]);
    // Judged in the one place every provider's readings are: 7.5 > 5 rolls back.
    expect(evaluateSample(plan.metrics, canary, stable, 'tick').kind).toBe('breach');
  });

  test('no datapoints for the dimensions is inconclusive (empty-result), not zero', async () => {
    const readings = await read(metricQueries(plan.metrics, { ...vars, version: '9.9.9' }, 'canary'));
    expect(readings).toEqual([expect.objectContaining({ name: 'error_rate', inconclusive: 'empty-result' })]);
    expect(evaluateSample(plan.metrics, readings, undefined, 'tick').kind).toBe('inconclusive');
  });

  test('an endpoint that does not answer is inconclusive (unreachable), not an exception', async () => {
    const down: ActivityConfig = { ...config, aws: { ...config.aws, endpoint: 'http://127.0.0.1:1' } };
    const readings = await read(metricQueries(plan.metrics, vars, 'canary'), down);
    expect(readings).toEqual([expect.objectContaining({ name: 'error_rate', inconclusive: 'unreachable' })]);
  });

  test('an error answer from CloudWatch is inconclusive (http-error)', async () => {
    // Wrong credentials are still accepted by moto; a statistic CloudWatch does not know is refused by it.
    const [q] = metricQueries(plan.metrics, vars, 'canary');
    const bad = { ...q, query: { ...(q as { query: object }).query, stat: 'Bogus' } } as typeof q;
    const readings = await read([bad]);
    expect(readings).toEqual([expect.objectContaining({ name: 'error_rate', inconclusive: 'http-error' })]);
  });
});
