import type { MetricReading } from '../../src/activities/contract';
import { promqlOf } from '../../src/plan/metric-queries';
import { defaultPlan } from '../../src/plan/load';
import {
  blueVerification,
  emergencyRestoreId,
  emergencySnapshotId,
  evaluateSample,
  healthFailuresExceeded,
  metricQueries,
  nextTickMs,
  notificationKey,
  pageDedupKey,
  renderTemplate,
  sidesFor,
} from '../../src/workflows/decisions';
import { routers, sidesOf } from '../../src/activities/traffic/routers';

const { istio, 'gateway-api': gatewayApi } = routers;

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

test('ticks and snapshot ids', () => {
  expect(nextTickMs(60_000, 25_000)).toBe(25_000);
  expect(nextTickMs(60_000, -5)).toBe(0);
  expect(emergencySnapshotId('emergency-snapshot', Date.parse('2026-11-26T14:03:05.123Z'))).toBe(
    'emergency-snapshot-20261126t140305z',
  );
});

test('the live namespace of the pair is blue; when none is live the plan order stands', () => {
  const pair = { blue: 'prod-a', green: 'prod-b' };
  expect(sidesFor(pair, 'prod-a')).toEqual({ blue: 'prod-a', green: 'prod-b', swapped: false });
  expect(sidesFor(pair, 'prod-b')).toEqual({ blue: 'prod-b', green: 'prod-a', swapped: true });
  expect(sidesFor(pair, undefined)).toEqual({ blue: 'prod-a', green: 'prod-b', swapped: false });
});

test('route shares: Istio weights (a lone destination is 100%), Gateway API weights relative (absent = 1)', () => {
  const route = { ...plan.traffic, namespace: 'gw' };
  const s = sidesOf(route, 'prod-a', 'prod-b');
  const host = (ns: string) => ({ destination: { host: `api-gateway.${ns}.svc.cluster.local` } });
  expect(istio.shares({ spec: { http: [{ route: [host('prod-b')] }] } }, s)).toEqual({
    blue: 0,
    green: 100,
    others: [],
  });
  expect(
    istio.shares(
      {
        spec: {
          http: [
            {
              route: [
                { ...host('prod-a'), weight: 95 },
                { ...host('prod-b'), weight: 5 },
              ],
            },
          ],
        },
      },
      s,
    ),
  ).toEqual({ blue: 95, green: 5, others: [] });
  const ref = (ns: string, weight?: number) => ({
    name: 'api-gateway',
    namespace: ns,
    port: 80,
    ...(weight === undefined ? {} : { weight }),
  });
  expect(
    gatewayApi.shares(
      { metadata: { namespace: 'gw' }, spec: { rules: [{ backendRefs: [ref('prod-a'), ref('prod-b')] }] } },
      s,
    ),
  ).toEqual({ blue: 50, green: 50, others: [] });
  expect(
    gatewayApi.shares(
      {
        metadata: { namespace: 'gw' },
        spec: {
          rules: [{ backendRefs: [ref('prod-a', 3), ref('prod-b', 0), { name: 'other', port: 80, weight: 1 }] }],
        },
      },
      s,
    ),
  ).toEqual({ blue: 75, green: 0, others: ['gw/other'] });
});

// Issue 7, hole 6: template values are escaped as PromQL string contents. The workflow refuses such a
// version at its boundary; this layer holds on its own, for any value that passes validation.
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

describe('hole 9/10: per-release restore instance, notification keys with the run id', () => {
  const runId = '0b7d2c8e-5c1a-4a57-9f0e-3f2a1d6c9b10';
  test('the restore instance is the plan name plus the emergency start, within 63 characters', () => {
    const at = Date.parse('2026-11-28T09:01:02.345Z');
    expect(emergencyRestoreId('hwayo-prod-db-restored', at)).toBe('hwayo-prod-db-restored-20261128t090102z');
    const long = emergencyRestoreId(`db-${'x'.repeat(70)}`, at);
    expect(long).toHaveLength(63);
    expect(long.endsWith('-20261128t090102z')).toBe(true);
    // A cut that would end in a hyphen does not make "--" (invalid in RDS).
    expect(emergencyRestoreId(`${'a'.repeat(45)}-bcd`, at)).toBe(`${'a'.repeat(45)}-20261128t090102z`);
  });
  test('notification keys: run id inside, at most 200 characters however long the release id', () => {
    expect(notificationKey('release-hwayo-2.4.0', runId, 3, 'emergency')).toBe(
      `release-hwayo-2.4.0:${runId}:3:emergency`,
    );
    expect(notificationKey('release-hwayo-2.4.0', 'other-run', 3, 'emergency')).not.toBe(
      notificationKey('release-hwayo-2.4.0', runId, 3, 'emergency'),
    );
    const k = notificationKey('r'.repeat(500), runId, 12, 'rollback-finished');
    expect(k.length).toBeLessThanOrEqual(200);
    expect(k.endsWith(`:${runId}:12:rollback-finished`)).toBe(true);
  });
  test('page dedup keys: one per kind of event and run, at most 255 characters', () => {
    expect(pageDedupKey('release-hwayo-2.4.0', runId, 'emergency')).not.toBe(
      pageDedupKey('release-hwayo-2.4.0', runId, 'incident'),
    );
    expect(pageDedupKey('r'.repeat(500), runId, 'incident').length).toBeLessThanOrEqual(255);
  });
});

test("blue's verification after a rollback: the canary's health-failure limit in rounds, spaced <= 10 s", () => {
  const p = defaultPlan();
  expect(blueVerification(p)).toEqual({ rounds: 3, pauseMs: 10_000 });
  p.canary.analysisIntervalMs = 2_000;
  p.canary.healthCheckFailureLimit = 5;
  expect(blueVerification(p)).toEqual({ rounds: 5, pauseMs: 2_000 });
  // A plan without a health-failure limit still checks blue once.
  p.canary.healthCheckFailureLimit = 0;
  expect(blueVerification(p).rounds).toBe(1);
  // The seed gives blue's health check 1 minute: the default plan's rounds and pauses fit in it.
  const d = blueVerification(defaultPlan());
  expect((d.rounds - 1) * d.pauseMs).toBeLessThanOrEqual(60_000 - 3 * 5_000);
});
