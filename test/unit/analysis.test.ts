// The canary's verdict on one sample (analysis.ts): queries per side, rollback triggers, healthy
// thresholds, missing data, canary against stable.
import type { MetricReading } from '../../src/activities/contract';
import { promqlOf } from '../../src/plan/metric-queries';
import { defaultPlan } from '../../src/plan/load';
import { renderTemplate } from '../../src/metrics/template';
import { evaluateSample, healthFailuresExceeded, metricQueries, nextTickMs } from '../../src/workflows/analysis';

const plan = defaultPlan();
const healthy: Record<string, number> = {
  error_rate: 0.1,
  p95_latency: 0.4,
  cpu: 30,
  memory: 40,
  login_success: 99,
  data_submission_success: 99,
  report_generation_success: 99.5,
  api_availability: 100,
  login_p95: 0.3,
  data_records_p95: 0.8,
  report_generation_p95: 20,
  error_rate_sla: 0.05,
};
const readings = (over: Record<string, number | string> = {}): MetricReading[] =>
  Object.entries({ ...healthy, ...over }).map(([name, v]) =>
    typeof v === 'number' ? { name, value: v } : { name, inconclusive: 'empty-result' as const, detail: v },
  );

test('queries are rendered for the side measured', () => {
  const vars = { app: 'hwayo', version: '2.4.0', blueNamespace: 'blue-ns', greenNamespace: 'green-ns' };
  const canary = metricQueries(plan.metrics, vars, 'canary');
  const stable = metricQueries(plan.metrics, vars, 'stable');
  expect(promqlOf(canary[0])!).toBe(
    '(sum(rate(http_requests_total{namespace="green-ns",status=~"5.."}[5m])) or vector(0)) / sum(rate(http_requests_total{namespace="green-ns"}[5m])) * 100',
  );
  expect(promqlOf(stable[0])!).toContain('namespace="blue-ns"');
  expect(renderTemplate('{{app}}-{{ version }}-{{unknown}}', { app: 'a', version: 'v' })).toBe('a-v-{{unknown}}');
});

test('a healthy sample passes at a tick and at the end of a window', () => {
  expect(evaluateSample(plan.metrics, readings(), undefined, 'tick').kind).toBe('pass');
  expect(evaluateSample(plan.metrics, readings(), undefined, 'window-end').kind).toBe('pass');
});

test.each([
  ['error_rate', 5.01, 'error_rate 5.01 > 5 (rollback trigger)'],
  ['p95_latency', 6, 'p95_latency 6 > 5 (rollback trigger)'],
  ['cpu', 96, 'cpu 96 > 95 (rollback trigger)'],
  ['memory', 99, 'memory 99 > 95 (rollback trigger)'],
  ['login_success', 89.9, 'login_success 89.9 < 90 (rollback trigger)'],
  ['data_submission_success', 94, 'data_submission_success 94 < 95 (rollback trigger)'],
  ['report_generation_success', 97.5, 'report_generation_success 97.5 < 98 (rollback trigger)'],
  ['api_availability', 98, 'api_availability 98 < 99 (rollback trigger)'],
])('%s = %d is a breach at any tick', (metric, value, detail) => {
  const v = evaluateSample(plan.metrics, readings({ [metric]: value }), undefined, 'tick');
  expect(v.kind).toBe('breach');
  expect(v.findings.map((f) => f.detail)).toEqual([detail]);
});

test('exactly at a trigger is not a breach (the seed says "greater than")', () => {
  expect(evaluateSample(plan.metrics, readings({ error_rate: 5, login_success: 90 }), undefined, 'tick').kind).toBe(
    'pass',
  );
});

test('healthy thresholds count only at the end of a window', () => {
  const sample = readings({ error_rate: 2, login_success: 94 });
  expect(evaluateSample(plan.metrics, sample, undefined, 'tick').kind).toBe('pass');
  const end = evaluateSample(plan.metrics, sample, undefined, 'window-end');
  expect(end.kind).toBe('unhealthy');
  expect(end.findings.map((f) => f.detail)).toEqual([
    'error_rate 2 > 1 (healthy maximum)',
    'login_success 94 < 95 (healthy minimum)',
  ]);
});

test('missing data is inconclusive, never a pass; a breach elsewhere still wins', () => {
  const missing = evaluateSample(plan.metrics, readings({ error_rate: 'no series' }), undefined, 'tick');
  expect(missing.kind).toBe('inconclusive');
  expect(missing.inconclusive.map((f) => f.detail)).toEqual(['error_rate: empty-result (no series)']);
  const absent = evaluateSample(
    plan.metrics,
    readings().filter((r) => r.name !== 'cpu'),
    undefined,
    'tick',
  );
  expect(absent.kind).toBe('inconclusive');
  expect(absent.inconclusive[0].detail).toBe('cpu: no reading');
  expect(evaluateSample(plan.metrics, readings({ error_rate: 'x', cpu: 99 }), undefined, 'tick').kind).toBe('breach');
  // A metric with only a healthy bound is not needed at a tick, but is at the window end.
  const onlyHealthy = [{ name: 'x', query: 'q', healthy: { max: 1 } }];
  expect(evaluateSample(onlyHealthy, [], undefined, 'tick').kind).toBe('pass');
  expect(evaluateSample(onlyHealthy, [], undefined, 'window-end').kind).toBe('inconclusive');
});

test('canary compared with stable', () => {
  const metrics = [{ name: 'error_rate', query: 'q{namespace="{{namespace}}"}', compareToStable: { maxIncrease: 1 } }];
  const canary = (v: number) => [{ name: 'error_rate', value: v }];
  expect(evaluateSample(metrics, canary(1.2), canary(0.5), 'tick').kind).toBe('pass');
  expect(evaluateSample(metrics, canary(1.6), canary(0.5), 'tick').findings[0].detail).toBe(
    'error_rate canary 1.6 > stable 0.5 + 1',
  );
  expect(evaluateSample(metrics, canary(1.6), undefined, 'tick').kind).toBe('inconclusive');
});

test('health failures: more than the limit rolls back', () => {
  expect(healthFailuresExceeded(plan, 3)).toBe(false);
  expect(healthFailuresExceeded(plan, 4)).toBe(true);
  expect(healthFailuresExceeded({ ...plan, canary: { ...plan.canary, healthCheckFailureLimit: 0 } }, 100)).toBe(false);
});

// Template values are escaped as PromQL string contents. The workflow refuses such a version at its
// boundary; this layer holds on its own, for any value that passes validation.
test('the next tick waits the interval, or what is left of the window, never less than 0', () => {
  expect(nextTickMs(60_000, 25_000)).toBe(25_000);
  expect(nextTickMs(60_000, 90_000)).toBe(60_000);
  expect(nextTickMs(60_000, -5)).toBe(0);
});

describe('template values in PromQL', () => {
  const HOSTILE = '2.4.0"}[5m])) * 0 or vector(0) #';
  const TEMPLATE =
    '(sum(rate(http_requests_total{namespace="{{namespace}}",version="{{version}}",status=~"5.."}[5m])) or vector(0)) / sum(rate(http_requests_total{namespace="{{namespace}}"}[5m])) * 100';
  const metric = { name: 'error_rate', query: TEMPLATE, rollback: { above: 5 } };
  /**
   * The double-quoted PromQL string literals of a query, unquoted (PromQL's escapes are Go's, which JSON shares for
   * these).
   */
  const literals = (promql: string) =>
    [...promql.matchAll(/"((?:[^"\\\n]|\\.)*)"/g)].map((m) => ({
      raw: m[0],
      value: JSON.parse(`"${m[1].replace(/\\x([0-9a-f]{2})/g, '\\u00$1')}"`) as string,
    }));

  test('a version that would close the selector stays one label value', () => {
    const [q] = metricQueries(
      [metric],
      { app: 'hwayo', version: HOSTILE, blueNamespace: 'blue-ns', greenNamespace: 'green-ns' },
      'canary',
    );
    expect(promqlOf(q)!).toBe(
      '(sum(rate(http_requests_total{namespace="green-ns",version="2.4.0\\"}[5m])) * 0 or vector(0) #",status=~"5.."}[5m])) or vector(0)) / sum(rate(http_requests_total{namespace="green-ns"}[5m])) * 100',
    );
    // Parsed as PromQL reads it: the same four string literals as the template, the version whole in one.
    expect(literals(promqlOf(q)!).map((l) => l.value)).toEqual(['green-ns', HOSTILE, '5..', 'green-ns']);
    // Outside the literals, the query is the template's: no operator, no comment was added.
    const skeleton = (s: string) => s.replace(/"((?:[^"\\\n]|\\.)*)"/g, '""');
    expect(skeleton(promqlOf(q)!)).toBe(skeleton(TEMPLATE));
  });

  test('backslashes, newlines and other control characters are escaped too', () => {
    const [q] = metricQueries(
      [{ ...metric, query: 'x{version="{{version}}"}' }],
      { app: 'a', version: 'a\\"b\nc\r\t\u0001', blueNamespace: 'b', greenNamespace: 'g' },
      'canary',
    );
    expect(promqlOf(q)!).toBe('x{version="a\\\\\\"b\\nc\\r\\t\\x01"}');
    expect(literals(promqlOf(q)!).map((l) => l.value)).toEqual(['a\\"b\nc\r\t\u0001']);
  });

  test('{{name}} never reaches the object prototype', () => {
    expect(renderTemplate('{{constructor}}-{{app}}', { app: 'a' })).toBe('{{constructor}}-a');
  });
});
