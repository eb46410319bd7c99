// {{cluster}} and {{region}} (src/plan/cluster-placeholders.ts): filled per cluster of a release with waves in the
// metric queries and the health URL, refused in a single-cluster release, and not allowed where nothing fills them.
import { fillCluster, singleClusterProblems } from '../../src/plan/cluster-placeholders';
import { defaultPlan } from '../../src/plan/load';
import { resolvedPlanProblems } from '../../src/plan/resolved';
import type { MetricSpec, ReleasePlan } from '../../src/plan/types';
import { metricQueries } from '../../src/workflows/analysis';

const vars = { app: 'hwayo', version: '2.4.0', blueNamespace: 'hwayo-production', greenNamespace: 'hwayo-staging' };
const promql = (query: string): MetricSpec =>
  ({ name: 'errors', query, healthy: { max: 1 }, rollback: { above: 5 } }) as MetricSpec;
const cloudwatch = (dimension: string): MetricSpec =>
  ({
    name: 'lb_5xx',
    provider: 'cloudwatch',
    query: {
      namespace: 'AWS/ApplicationELB',
      metricName: 'x',
      stat: 'Sum',
      period: 60,
      dimensions: { LoadBalancer: dimension },
    },
    healthy: { max: 1 },
  }) as MetricSpec;

test("a child's metric queries name its own cluster and region; both sides, every provider", () => {
  const child = { ...vars, cluster: 'b', region: 'region-b' };
  const q = promql('sum(rate(x{cluster="{{cluster}}", region="{{ region }}", namespace="{{namespace}}"}[1m]))');
  expect(metricQueries([q], child, 'canary')).toEqual([
    { name: 'errors', promql: 'sum(rate(x{cluster="b", region="region-b", namespace="hwayo-staging"}[1m]))' },
  ]);
  expect(metricQueries([q], child, 'stable')[0]).toEqual({
    name: 'errors',
    promql: 'sum(rate(x{cluster="b", region="region-b", namespace="hwayo-production"}[1m]))',
  });
  const [cw] = metricQueries([cloudwatch('app/{{cluster}}-lb')], child, 'canary');
  expect(cw).toMatchObject({ provider: 'cloudwatch', query: { dimensions: { LoadBalancer: 'app/b-lb' } } });
});

test('a single-cluster release renders as before: nothing fills {{cluster}}, and a plan using it is refused', () => {
  const q = promql('x{namespace="{{namespace}}"}');
  expect(metricQueries([q], vars, 'canary')).toEqual([{ name: 'errors', promql: 'x{namespace="hwayo-staging"}' }]);
  const template = 'http://{{service}}.{{namespace}}.svc.{{cluster}}.{{region}}{{path}}';
  expect(fillCluster(template, {})).toBe(template);
  expect(fillCluster(template, { cluster: 'a', region: 'eu-west-1' })).toBe(
    'http://{{service}}.{{namespace}}.svc.a.eu-west-1{{path}}',
  );
  const plan = defaultPlan();
  expect(singleClusterProblems(plan)).toEqual([]);
  plan.metrics.push(promql('x{cluster="{{cluster}}"}'), cloudwatch('{{region}}'));
  plan.healthUrlTemplate = template;
  expect(singleClusterProblems(plan)).toEqual(
    ['metrics.errors.query', 'metrics.lb_5xx.query', 'healthUrlTemplate'].map(
      (f) =>
        `${f} uses {{cluster}} or {{region}}, which only a release across clusters fills in (a plan with waves): ` +
        'name the cluster in the query itself for a single-cluster release',
    ),
  );
});

test("the plan's schema takes {{cluster}} and {{region}} in queries and the health URL, not in the error budget", () => {
  const plan: ReleasePlan = defaultPlan();
  plan.metrics.push(promql('x{cluster="{{cluster}}", region="{{region}}", namespace="{{namespace}}"}'));
  plan.healthUrlTemplate = 'https://{{service}}.{{namespace}}.{{cluster}}.{{region}}.example{{path}}';
  expect(resolvedPlanProblems(JSON.parse(JSON.stringify(plan)))).toEqual([]);
  // As label values only, like every variable.
  plan.metrics.push(promql('x{namespace="{{namespace}}"} offset {{cluster}}'));
  const budget = plan.preflight.checks.find((c) => c.kind === 'error-budget')!;
  Object.assign(budget, { requests: 'http_requests_total{cluster="{{cluster}}"}' });
  const problems = resolvedPlanProblems(JSON.parse(JSON.stringify(plan))).join('\n');
  expect(problems).toContain('uses {{cluster}} outside a "double-quoted" string');
  expect(problems).toContain('may not use {{cluster}} or {{region}}: only metric queries and healthUrlTemplate');
});
