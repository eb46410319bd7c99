// Figures for docs/benchmarks.md (bench/run.sh) on the stack's real data plane: rollback reaction (the
// plan's query first crossing its threshold -> 0% green at the gateway) next to the analysis interval,
// and the blast radius of a -sick-30 canary (users' failed requests, first to last failure) at the
// seed's 5% and 25% steps. The analysis loop is the workflow's (one sample of the local plan's queries
// per interval, evaluateSample, a breach -> setTrafficWeight 0); a faster probe of the same error-rate
// query finds when it first crossed its threshold. Windows are 10 s (dataplane.test.ts) to keep it short.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMetricActivities } from '../src/activities/metrics';
import { evaluateSample } from '../src/workflows/analysis';
import { runLoad } from '../test/fixtures/dataplane/loadgen';
import { gatewayWeightOf, sentAt } from '../test/integration/gateway';
import {
  BLUE,
  deployGreen,
  GREEN,
  greenQueries,
  plan,
  planMetrics,
  shift,
  shiftAndWait,
  WINDOW_S,
} from '../test/integration/dataplane-control';
import { freshGreen } from '../test/integration/dataplane-helpers';
import { activityEnv, deleteNamespaces, eventually, kubeConfigForStack } from '../test/integration/kube-helpers';
import { stackVar } from '../test/integration/stack';

jest.mock('@kubernetes/client-node', () =>
  jest
    .requireActual<typeof import('../test/integration/native-esm')>('../test/integration/native-esm')
    .kubernetesClient(),
);
jest.setTimeout(30 * 60_000);

const OUT = join(__dirname, '.results.md');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const RPS = 100;
const RUNS = Number(process.env.BENCH_DATAPLANE_RUNS ?? 5);
const { admin, config } = kubeConfigForStack();
const prometheus = createMetricActivities(config);
const errorRate = planMetrics.find((m) => m.name === 'error_rate')!;
const crossesAt = (errorRate.rollback as { above: number }).above;

interface Run {
  weight: number;
  reactionMs: number;
  failed: number;
  total: number;
  spanMs: number;
}

async function sickCanary(weight: number): Promise<Run> {
  await shiftAndWait(0, 'green');
  // A new sick build each run (new pods); the previous run's errors leave the window meanwhile.
  const t0 = Date.now();
  await deployGreen(`2.0.${t0 % 100000}-sick-30`);
  await new Promise((r) => setTimeout(r, Math.max(0, (WINDOW_S + 2) * 1000 - (Date.now() - t0))));
  const stop = { stopped: false };
  const load = runLoad({ url: stackVar('TRAEFIK_URL'), rps: RPS, count: RPS * 180, maxSeconds: 180, stop });
  const tShift = Date.now();
  await shiftAndWait(weight);
  let firstCross = 0;
  const probing = (async () => {
    const [q] = greenQueries().filter((x) => x.name === 'error_rate');
    while (!firstCross && Date.now() - tShift < 90_000) {
      const [r] = await activityEnv().env.run(prometheus.queryMetrics, { queries: [q] });
      if ('value' in r && r.value > crossesAt) firstCross = Date.now();
      else await new Promise((res) => setTimeout(res, 100));
    }
  })();
  for (;;) {
    await new Promise((r) => setTimeout(r, plan.canary.analysisIntervalMs));
    const readings = await activityEnv().env.run(prometheus.queryMetrics, { queries: greenQueries() });
    if (evaluateSample(planMetrics, readings, undefined, 'tick').kind === 'breach') break;
    if (Date.now() - tShift > 90_000) throw new Error('no rollback verdict within 90 s');
  }
  await shift(0);
  await eventually('gateway at 0%', async () => (await gatewayWeightOf(GREEN)) === 0, 30_000);
  const atZero = Date.now();
  await probing;
  await new Promise((r) => setTimeout(r, 2000));
  stop.stopped = true;
  const s = (await load).filter((x) => sentAt(x) >= tShift && !x.canary);
  const failed = s.filter((x) => x.status !== 200);
  // Another metric (the pods' login success) can breach first; then the probe may never see the
  // error rate cross, and the reaction counts from the verdict's sample instead (an upper bound).
  const crossed = firstCross || atZero;
  return {
    weight,
    reactionMs: atZero - crossed,
    failed: failed.length,
    total: s.length,
    spanMs: failed.length ? Math.max(...failed.map((x) => x.at)) - Math.min(...failed.map((x) => x.at)) : 0,
  };
}

beforeAll(async () => {
  await freshGreen(admin, GREEN);
  await shiftAndWait(0, 'green'); // header users on green: Traefik then tracks green's servers
}, 180_000);
afterAll(async () => {
  await shift(0).catch(() => undefined);
  await deleteNamespaces(admin, [GREEN]);
});

test('rollback reaction and blast radius of a -sick-30 canary on the real data plane', async () => {
  const runs: Run[] = [];
  for (const weight of [5, 25]) for (let i = 0; i < RUNS; i++) runs.push(await sickCanary(weight));
  const interval = plan.canary.analysisIntervalMs;
  const rows = [5, 25].map((w) => {
    const r = runs.filter((x) => x.weight === w);
    return `| ${w}% | ${median(r.map((x) => x.reactionMs))} ms (${r.map((x) => x.reactionMs).join(', ')}) | ${interval} ms | ${median(r.map((x) => x.failed))} of ${median(r.map((x) => x.total))} (${r.map((x) => `${x.failed}/${x.total}`).join(', ')}) | ${median(r.map((x) => x.spanMs))} ms |`;
  });
  appendFileSync(
    OUT,
    [
      `## Rollback on the real data plane (Traefik ${BLUE}/${GREEN}, -sick-30 canary, users at ${RPS}/s)`,
      '',
      `The local plan's queries over ${WINDOW_S} s windows, sampled every analysis interval as the workflow does;`,
      "reaction = the plan's error-rate query first above its rollback threshold (probed every ~100 ms) ->",
      `Traefik serving 0% to green. Goal: reaction <= one interval + 1 s. ${RUNS} runs a step; the machine's`,
      `2 cores were shared with other work (load average ${(await import('node:os')).loadavg()[0].toFixed(1)} at the end).`,
      '',
      '| step | reaction, median (runs) | analysis interval | failed user requests / total, median (runs) | first to last failure, median |',
      '|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n') + '\n',
  );
  expect(runs.every((r) => r.failed > 0)).toBe(true);
});
