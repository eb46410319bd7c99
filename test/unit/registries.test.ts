// The plug-in registries: routers and metric providers are keyed by the plan's own kind lists, so the
// schema refuses an unknown kind naming the field, and every known kind reaches its implementation.
// Recorded plans without `provider` still pass. Each provider's own fields: test/unit/<kind>.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { activityConfigFromEnv } from '../../src/activities/config';
import { measureContext } from '../../src/activities/metrics';
import { routers, type RouterRegistry } from '../../src/activities/traffic/routers';
import { measures, type MeasureRegistry } from '../../src/metrics/measures';
import { metricProviders } from '../../src/metrics/registry';
import { resolvedPlanProblems } from '../../src/plan/resolved';
import { METRIC_PROVIDERS, ROUTER_KINDS } from '../../src/plan/types';
import { metricQueries } from '../../src/workflows/analysis';
import { validatePlan } from '../../src/plan/load';
import { planProblems } from './plan-problems';

const problems = planProblems;

describe('registries cover exactly the plan kinds', () => {
  test('every router kind has its router, and nothing else is registered', () => {
    expect(Object.keys(routers).sort()).toEqual([...ROUTER_KINDS].sort());
    expect(routers.istio.plural).toBe('virtualservices');
    expect(routers['gateway-api'].plural).toBe('httproutes');
    expect(routers.traefik.plural).toBe('traefikservices');
  });
  test('a router registry without a kind, or with one the plan does not know, does not typecheck', () => {
    // tsc (npm run typecheck) fails if either line below compiles: the registry must be exactly the kinds.
    // @ts-expect-error traefik is missing
    const missing: RouterRegistry = { istio: routers.istio, 'gateway-api': routers['gateway-api'] };
    // @ts-expect-error nginx is not a kind of the plan
    const extra: RouterRegistry = { ...routers, nginx: routers.istio };
    expect(Object.keys(missing)).not.toContain('traefik');
    expect(Object.keys(extra)).toContain('nginx');
  });
  test("the plan's metric provider kinds are the registry's, in its order", () => {
    expect(METRIC_PROVIDERS).toEqual(Object.keys(metricProviders));
    expect(METRIC_PROVIDERS[0]).toBe('prometheus');
  });
  test('every metric provider has its measuring half (<kind>/measure.ts), registered in measures.ts', () => {
    expect(Object.keys(measures)).toEqual([...METRIC_PROVIDERS]);
    const config = measureContext(activityConfigFromEnv({}));
    for (const kind of METRIC_PROVIDERS) {
      const provider = measures[kind](config);
      expect([typeof provider.measure, typeof provider.describe]).toEqual(['function', 'function']);
    }
    const [prom] = metricQueries(
      [{ name: 'up', query: 'up{namespace="{{namespace}}"}', rollback: { below: 1 } }],
      { app: 'a', version: 'v', blueNamespace: 'b', greenNamespace: 'g' },
      'canary',
    );
    expect(measures.prometheus(config).describe(prom as never)).toBe('up{namespace="g"}');
  });
  test('a measure registry without a kind, or with one the plan does not know, does not typecheck', () => {
    // @ts-expect-error cloudwatch is missing
    const missing: MeasureRegistry = { prometheus: measures.prometheus };
    // @ts-expect-error datadog is not a kind of the registry
    const extra: MeasureRegistry = { ...measures, datadog: measures.prometheus };
    expect(Object.keys(missing)).not.toContain('cloudwatch');
    expect(Object.keys(extra)).toContain('datadog');
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
      `metrics[0].provider must be a known metric provider: ${METRIC_PROVIDERS.join(', ')} (got "datadog")`,
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
});
