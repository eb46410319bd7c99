// queryMetrics against the stack's real Prometheus scraping our metrics app: a sick canary crosses the
// seed's thresholds while blue stays healthy, and each way a query can fail is its own inconclusive reason.
import { createMetricActivities } from '../../src/activities/metrics';
import { promqlOf } from '../../src/plan/metric-queries';
import type { MetricReading } from '../../src/activities/contract';
import { defaultPlan, validatePlan } from '../../src/plan/load';
import { renderTemplate } from '../../src/metrics/template';
import { evaluateSample, metricQueries } from '../../src/workflows/analysis';
import { eventually, postJson, runActivity } from './activity-env';
import { stackConfig, stackVar } from './stack';

jest.setTimeout(180_000);

const config = stackConfig();
const plan = defaultPlan();
const vars = {
  app: plan.app,
  version: 'test',
  blueNamespace: plan.environments.blue,
  greenNamespace: plan.environments.green,
};
const green = stackVar('METRICS_APP_GREEN_URL');
const blue = stackVar('METRICS_APP_BLUE_URL');

const query = (promql: string, cfg = config) =>
  runActivity(createMetricActivities(cfg).queryMetrics, { queries: [{ name: 'q', promql }] }).then((r) => r.result[0]);
const valueOf = (readings: MetricReading[], name: string) => {
  const r = readings.find((x) => x.name === name);
  if (!r || !('value' in r)) throw new Error(`${name}: ${JSON.stringify(r)}`);
  return r.value;
};

afterAll(async () => {
  await postJson(`${green}/control/reset`, {});
  await postJson(`${blue}/control/reset`, {});
});

describe('queryMetrics against the local Prometheus', () => {
  it('reads every seed metric for blue as a number within the healthy bounds', async () => {
    const queries = metricQueries(plan.metrics, vars, 'stable');
    // Rates need two scrapes of the series; the stack may have just started.
    const readings = await eventually('all blue metrics have data', 60_000, async () => {
      const { result } = await runActivity(createMetricActivities(config).queryMetrics, { queries });
      return result.every((r) => 'value' in r) ? result : undefined;
    });
    expect(readings.map((r) => r.name)).toEqual(plan.metrics.map((m) => m.name));
    expect(valueOf(readings, 'error_rate')).toBeLessThanOrEqual(1);
    expect(valueOf(readings, 'login_success')).toBeGreaterThanOrEqual(95);
    expect(valueOf(readings, 'memory')).toBeCloseTo(40, 0);
    expect(valueOf(readings, 'api_availability')).toBe(100);
    // SEED section 11's baselines hold for a healthy side's real requests.
    expect(valueOf(readings, 'login_p95')).toBeLessThan(0.5);
    expect(valueOf(readings, 'data_records_p95')).toBeLessThan(1);
    expect(valueOf(readings, 'report_generation_p95')).toBeLessThan(30);
    expect(valueOf(readings, 'error_rate_sla')).toBeLessThan(0.1);
  });

  it('a green whose API takes 600 ms more misses the login baseline (500 ms) at the end of a window', async () => {
    await postJson(`${green}/control`, { latencySeconds: 0.6 });
    try {
      const queries = metricQueries(plan.metrics, vars, 'canary');
      const readings = await eventually(
        'green login p95 above 500 ms',
        120_000,
        async () => {
          const { result } = await runActivity(createMetricActivities(config).queryMetrics, { queries });
          return result.some((r) => r.name === 'login_p95' && 'value' in r && r.value > 0.5) ? result : undefined;
        },
        2000,
      );
      const verdict = evaluateSample(plan.metrics, readings, undefined, 'window-end');
      expect(verdict.kind).toBe('unhealthy');
      expect(verdict.findings.map((f) => f.metric)).toContain('login_p95');
    } finally {
      await postJson(`${green}/control/reset`, {});
    }
  });

  it('sees a sick canary cross the rollback thresholds while blue stays healthy', async () => {
    await postJson(`${green}/control`, { errorRate: 0.5, loginFailureRate: 0.5, memory: 97 });
    const canaryQueries = metricQueries(plan.metrics, vars, 'canary');
    expect(promqlOf(canaryQueries[0])!).toContain('namespace="hwayo-production-green"');
    const above = (readings: MetricReading[], name: string, min: number) =>
      readings.some((r) => r.name === name && 'value' in r && r.value > min);
    const canary = await eventually(
      'green error rate above 5% and memory above 95%',
      120_000,
      async () => {
        const { result } = await runActivity(createMetricActivities(config).queryMetrics, { queries: canaryQueries });
        return above(result, 'error_rate', 5) && above(result, 'memory', 95) ? result : undefined;
      },
      2000,
    );
    const { result: stable } = await runActivity(createMetricActivities(config).queryMetrics, {
      queries: metricQueries(plan.metrics, vars, 'stable'),
    });

    expect(valueOf(canary, 'error_rate')).toBeGreaterThan(5);
    expect(valueOf(canary, 'login_success')).toBeLessThan(95);
    expect(valueOf(canary, 'memory')).toBeGreaterThan(95);
    expect(valueOf(stable, 'error_rate')).toBeLessThanOrEqual(1);
    expect(valueOf(stable, 'login_success')).toBeGreaterThanOrEqual(95);
    // The workflow's own decision on these real readings: roll back.
    const verdict = evaluateSample(plan.metrics, canary, stable, 'tick');
    expect(verdict.kind).toBe('breach');
    expect(verdict.findings.map((f) => f.metric)).toEqual(expect.arrayContaining(['error_rate', 'memory']));
  });

  it('evaluates one metric quickly', async () => {
    const [errorRate] = metricQueries(plan.metrics, vars, 'stable');
    const started = process.hrtime.bigint();
    const { result } = await runActivity(createMetricActivities(config).queryMetrics, { queries: [errorRate] });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`one metric evaluation (error_rate) took ${ms.toFixed(1)} ms`);
    expect('value' in result[0]).toBe(true);
    expect(ms).toBeLessThan(1000);

    const all = metricQueries(plan.metrics, vars, 'canary');
    const t0 = process.hrtime.bigint();
    const { result: readings } = await runActivity(createMetricActivities(config).queryMetrics, { queries: all });
    console.log(
      `all ${all.length} seed metrics in one queryMetrics took ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`,
    );
    expect(readings).toHaveLength(all.length);
  });
});

describe('inconclusive readings', () => {
  it('empty result', async () => {
    expect(await query('sum(rate(http_requests_total{namespace="no-such-namespace"}[5m]))')).toMatchObject({
      inconclusive: 'empty-result',
    });
  });
  it('NaN (0/0, as a ratio with no traffic gives) and +Inf', async () => {
    expect(await query('vector(0) / vector(0)')).toMatchObject({
      inconclusive: 'not-a-number',
      detail: expect.stringContaining('NaN'),
    });
    expect(await query('vector(1) / vector(0)')).toMatchObject({
      inconclusive: 'not-a-number',
      detail: expect.stringContaining('Inf'),
    });
  });
  it('multiple series', async () => {
    expect(await query('up{job="hwayo-apps"}')).toMatchObject({
      inconclusive: 'multiple-series',
      detail: expect.stringContaining('2 series'),
    });
  });
  it('a scalar is a number', async () => {
    expect(await query('scalar(vector(42))')).toEqual({ name: 'q', value: 42 });
  });
  it('HTTP error from a bad query (Prometheus 400)', async () => {
    expect(await query('sum(rate(http_requests_total[5m])')).toMatchObject({
      inconclusive: 'http-error',
      detail: expect.stringContaining('400'),
    });
  });
  it('HTTP 500 from the server', async () => {
    const cfg = { ...config, prometheus: { ...config.prometheus, url: `${stackVar('SINKS_URL')}/status/500` } };
    expect(await query('up', cfg)).toMatchObject({
      inconclusive: 'http-error',
      detail: expect.stringContaining('HTTP 500'),
    });
  });
  it('timeout', async () => {
    const cfg = { ...config, prometheus: { url: `${stackVar('SINKS_URL')}/slow/3000`, timeoutMs: 300 } };
    const started = Date.now();
    expect(await query('up', cfg)).toMatchObject({ inconclusive: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });
  it('unreachable', async () => {
    const cfg = { ...config, prometheus: { url: 'http://127.0.0.1:19999', timeoutMs: 2000 } };
    expect(await query('up', cfg)).toMatchObject({
      inconclusive: 'unreachable',
      detail: expect.stringContaining('ECONNREFUSED'),
    });
  });
  it('server goes away mid-call', async () => {
    const cfg = { ...config, prometheus: { ...config.prometheus, url: `${stackVar('SINKS_URL')}/drop` } };
    expect(await query('up', cfg)).toMatchObject({ inconclusive: 'unreachable' });
  });
});

// Template values reach PromQL escaped (threat 6, docs/security.md). The workflow refuses this version at its
// boundary (test/unit/input.test.ts, test/workflows/input.test.ts); here the second layer is shown on
// its own against the real Prometheus, with a sick canary (5xx rate 50%).
describe('a hostile version cannot turn a breach into a pass', () => {
  const HOSTILE = '2.4.0"}[5m])) * 0 or vector(0) #';
  const hostileVars = { ...vars, version: HOSTILE };
  const errorRate = (selector: string) =>
    `sum(rate(http_requests_total{namespace="{{namespace}}",status=~"5.."${selector}}[30s])) / sum(rate(http_requests_total{namespace="{{namespace}}"${selector}}[30s])) * 100`;
  const read = async (promql: string) =>
    (await runActivity(createMetricActivities(config).queryMetrics, { queries: [{ name: 'error_rate', promql }] }))
      .result;

  beforeAll(async () => {
    await postJson(`${green}/control`, { errorRate: 0.5 });
  });

  it("a query that tags the canary's error rate with the version still reports the breach", async () => {
    // label_replace puts the version on the result, a way a plan may carry it into the readings.
    const metric = {
      name: 'error_rate',
      query: `label_replace(${errorRate('')}, "version", "{{version}}", "", "")`,
      rollback: { above: 5 },
    };
    expect(() => validatePlan({ approval: { allowUnsigned: true }, metrics: [metric] })).not.toThrow();
    const [q] = metricQueries([metric], hostileVars, 'canary');
    const canary = await eventually(
      'green error rate above 5%',
      120_000,
      async () => {
        const result = await read(promqlOf(q)!);
        return 'value' in result[0] && result[0].value > 5 ? result : undefined;
      },
      2000,
    );
    expect(evaluateSample([metric], canary, undefined, 'tick').kind).toBe('breach');
  });

  it('in a version selector, unescaped it would pass; escaped it never does', async () => {
    const metric = { name: 'error_rate', query: errorRate(',version="{{version}}"'), rollback: { above: 5 } };
    // The hazard is real: rendered raw, Prometheus reads "* 0 or vector(0)" and the breach reads 0.
    const raw = renderTemplate(metric.query, { namespace: vars.greenNamespace, version: HOSTILE });
    expect(raw).toContain('version="2.4.0"}[5m])) * 0 or vector(0) #');
    const unescaped = await read(raw);
    expect(unescaped).toEqual([{ name: 'error_rate', value: 0 }]);
    expect(evaluateSample([metric], unescaped, undefined, 'tick').kind).toBe('pass');
    // Escaped, the whole string is one label value; no series carries it, and missing data never passes.
    const [q] = metricQueries([metric], hostileVars, 'canary');
    const escaped = await read(promqlOf(q)!);
    expect(escaped).toEqual([expect.objectContaining({ name: 'error_rate', inconclusive: 'empty-result' })]);
    expect(evaluateSample([metric], escaped, undefined, 'tick').kind).toBe('inconclusive');
  });
});
