// SEED section 11's baselines as the default plan's healthy thresholds, and the `stages` field that keeps
// the SLA's 0.1% error rate to the full switch: judged by the workflow's own pure functions.
import type { MetricReading } from '../../src/activities/contract';
import { defaultPlan, PlanError, validatePlan } from '../../src/plan/load';
import { evaluateSample } from '../../src/workflows/analysis';
import { metricsOfStage } from '../../src/workflows/metric-stages';
import { HEALTHY as healthy } from '../workflows/fake-world';

const plan = defaultPlan();
const readings = (over: Record<string, number>): MetricReading[] =>
  plan.metrics.map((m) => ({ name: m.name, value: over[m.name] ?? healthy[m.name] }));

test("the default plan carries section 11's baselines as healthy maximums", () => {
  const baselines = ['login_p95', 'data_records_p95', 'report_generation_p95', 'error_rate_sla'];
  expect(plan.metrics.filter((m) => baselines.includes(m.name)).map((m) => [m.name, m.healthy, m.stages])).toEqual([
    ['login_p95', { max: 0.5 }, undefined],
    ['data_records_p95', { max: 1 }, undefined],
    ['report_generation_p95', { max: 30 }, undefined],
    ['error_rate_sla', { max: 0.1 }, ['full-switch']],
  ]);
  const login = plan.metrics.find((m) => m.name === 'login_p95')!;
  expect(login.query).toContain('path="/auth/login"');
});

test.each([
  ['login_p95', 0.51],
  ['data_records_p95', 1.01],
  ['report_generation_p95', 30.5],
])('%s at %d is unhealthy at the end of any window', (metric, value) => {
  for (const stage of ['canary', 'full-switch'] as const) {
    const metrics = metricsOfStage(plan.metrics, stage);
    const v = evaluateSample(metrics, readings({ [metric]: value }), undefined, 'window-end');
    expect({ stage, kind: v.kind, metrics: v.findings.map((f) => f.metric) }).toEqual({
      stage,
      kind: 'unhealthy',
      metrics: [metric],
    });
  }
});

test('0.2% errors: healthy for a canary window, unhealthy at the end of the full switch', () => {
  const r = readings({ error_rate: 0.2, error_rate_sla: 0.2 });
  const canary = metricsOfStage(plan.metrics, 'canary');
  expect(canary.map((m) => m.name)).not.toContain('error_rate_sla');
  expect(evaluateSample(canary, r, undefined, 'window-end').kind).toBe('pass');
  const full = evaluateSample(metricsOfStage(plan.metrics, 'full-switch'), r, undefined, 'window-end');
  expect(full.findings.map((f) => f.detail)).toEqual(['error_rate_sla 0.2 > 0.1 (healthy maximum)']);
  // Just under the bound passes.
  const under = readings({ error_rate_sla: 0.09 });
  expect(evaluateSample(metricsOfStage(plan.metrics, 'full-switch'), under, undefined, 'window-end').kind).toBe('pass');
});

test('a metric without stages is read in every watch', () => {
  expect(metricsOfStage(plan.metrics, 'canary').length + 1).toBe(plan.metrics.length);
  expect(metricsOfStage(plan.metrics, 'full-switch')).toEqual(plan.metrics);
});

test.each([
  [[], 'must name canary, full-switch or both'],
  [['rollback'], 'stages'],
])('stages %j is refused with a clear error', (stages, message) => {
  const metric = { name: 'x', query: 'up{namespace="{{namespace}}"}', healthy: { max: 1 }, stages };
  let err: unknown;
  try {
    validatePlan({ approval: { allowUnsigned: true }, metrics: [metric] });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PlanError);
  expect((err as PlanError).problems.join('\n')).toContain(message);
});
