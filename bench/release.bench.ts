// Figures for docs/benchmarks.md (run through bench/run.sh): how long a full default release takes in
// wall time under time skipping, and the latency of one traffic shift and one metric evaluation
// against the local stack.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { useWorkflowEnv } from '../test/workflows/env';
import { withRelease } from '../test/workflows/harness';
import { stackConfig, stackVar } from '../test/integration/stack';
import { createTrafficActivities } from '../src/activities/traffic';
import { createMetricActivities } from '../src/activities/metrics';
import { defaultPlan } from '../src/plan/load';
import { metricQueries } from '../src/workflows/analysis';

jest.mock('@kubernetes/client-node', () =>
  jest
    .requireActual<typeof import('../test/integration/native-esm')>('../test/integration/native-esm')
    .kubernetesClient(),
);
jest.setTimeout(600_000);

const OUT = join(__dirname, '.results.md');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const write = (lines: string[]) => appendFileSync(OUT, lines.join('\n') + '\n\n');

const t = useWorkflowEnv();

test('a full default release under time skipping', async () => {
  const runs: { wallMs: number; workflowMs: number }[] = [];
  for (let i = 0; i < 5; i++) {
    await withRelease(t.env, t.bundle, {}, async ({ handle }) => {
      const t0 = Date.now();
      const r = await handle.result();
      expect(r.outcome).toBe('succeeded');
      runs.push({
        wallMs: Date.now() - t0,
        workflowMs: Date.parse(r.report.finishedAt) - Date.parse(r.report.startedAt),
      });
    });
  }
  const wall = median(runs.map((r) => r.wallMs));
  const wf = median(runs.map((r) => r.workflowMs));
  write([
    '## Full default release (seed plan, mocked activities, time-skipping test server)',
    '',
    `5 runs. Workflow time per release: ${(wf / 3_600_000).toFixed(2)} h (canary 75 min, full switch 10 min, blue kept 24 h).`,
    '',
    '| median wall time | runs (ms) | workflow time / wall time |',
    '|---|---|---|',
    `| ${wall} ms | ${runs.map((r) => r.wallMs).join(', ')} | ${Math.round(wf / wall).toLocaleString('en')}x |`,
  ]);
});

test('one traffic shift and one metric evaluation against the local stack', async () => {
  const config = stackConfig();
  stackVar('KUBECONFIG');
  const plan = defaultPlan();
  const traffic = createTrafficActivities(config);
  const prometheus = createMetricActivities(config);
  const act = new MockActivityEnvironment();
  const input = (greenWeight: number) => ({
    route: plan.traffic,
    blueNamespace: plan.environments.blue,
    greenNamespace: plan.environments.green,
    greenWeight,
  });
  const shifts: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t0 = performance.now();
    const r = (await act.run(traffic.setTrafficWeight, input(i % 2 ? 5 : 10))) as { changed: boolean };
    shifts.push(performance.now() - t0);
    expect(r.changed).toBe(true);
  }
  const noop0 = performance.now();
  await act.run(traffic.setTrafficWeight, input(5));
  const noopMs = performance.now() - noop0;
  await act.run(traffic.setTrafficWeight, input(0));
  const queries = metricQueries(
    plan.metrics,
    { app: plan.app, version: 'bench', blueNamespace: plan.environments.blue, greenNamespace: plan.environments.green },
    'canary',
  );
  const evals: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t0 = performance.now();
    const readings = (await act.run(prometheus.queryMetrics, { queries })) as unknown[];
    evals.push(performance.now() - t0);
    expect(readings).toHaveLength(queries.length);
  }
  write([
    '## Against the local stack (real kube-apiserver, real Prometheus)',
    '',
    '| operation | median | runs |',
    '|---|---|---|',
    `| traffic shift (Istio VirtualService read-modify-write) | ${median(shifts).toFixed(1)} ms | 21 |`,
    `| traffic shift to the weight it already has (no write) | ${noopMs.toFixed(1)} ms | 1 |`,
    `| metric evaluation (the seed's 8 PromQL queries, one activity call) | ${median(evals).toFixed(1)} ms | 21 |`,
  ]);
});
