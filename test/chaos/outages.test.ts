// Outside systems going away under one healthy release, each checked by its own test, in order:
// - chaos 4 (etcd): etcd is SIGKILLed in the 5% step and kept down until the move to 25% has been tried against the
//   apiserver without its store; restarted, the write lands once and the release goes on.
// - chaos 5 (Prometheus): Prometheus goes down in the middle of the 25% step. Missing metrics are inconclusive,
//   never a pass: after the plan's inconclusiveLimit the release pauses for a person and does not move traffic
//   on. Prometheus comes back, `hwayo-release resume` continues.
// - chaos 4 (kube-apiserver): down from the pause on, for 30 s and until the release has tried the next traffic
//   move without it (the 25 s the pause is watched are spent anyway); then started again.
// The release completes, as it does without faults; the route is never left half-moved: at the end it sends all
// traffic to one side, and it was written once per move (kube-apiserver audit log).
//   bash scripts/stack/up.sh && npm run test:chaos -- test/chaos/outages.test.ts
import type { WorkflowHandle } from '@temporalio/client';
import { cliOk } from '../integration/cli-runner';
import { kubeConfigForStack } from '../integration/kube-helpers';
import type { ReleaseStatus } from '../../src/workflows/definitions';
import {
  greenRateReadable,
  killStackProcess,
  shortPlan,
  sleep,
  startComponent,
  startKubeProcess,
  temporalClient,
  until,
  where,
} from './harness';
import { all, begin, defaultPoints, drive, finish, idle, inStage, type Run, useChaosWorker } from './releases';
import { routeWrites } from './invariants';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('../integration/native-esm')>('../integration/native-esm').kubernetesClient(),
);
jest.setTimeout(10 * 60_000);
const { dir, taskQueue } = useChaosWorker('outages', () => {
  startComponent('prometheus');
  startKubeProcess('kube-etcd');
  startKubeProcess('kube-apiserver');
});
let run: Run | undefined;
let handle: WorkflowHandle;

const theRun = (): Run => {
  if (!run) throw new Error('the release was not started (the first test failed)');
  return run;
};
const status = async (id: string) =>
  (JSON.parse(await cliOk('status', id, '--json')) as { status?: ReleaseStatus }).status;

/** Green's share of the route's default rule, read back from the apiserver. */
async function greenShare(): Promise<Record<string, number>> {
  const { admin } = kubeConfigForStack();
  const vs = (await admin.custom.getNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    plural: 'virtualservices',
    namespace: 'hwayo-gateway',
    name: 'hwayo-canary',
  })) as {
    spec: { http: { match?: unknown; route: { destination: { host: string }; weight?: number }[] }[] };
  };
  const main = vs.spec.http.find((h) => !h.match)!;
  return Object.fromEntries(main.route.map((r) => [r.destination.host.split('.')[1], r.weight ?? 0]));
}

test('chaos 4: etcd SIGKILLed at canary 5% and down through the move to 25%: the write lands once after it, the release goes on', async () => {
  run = await begin(
    'healthy',
    shortPlan(dir, 'plan', {
      // 25%: long enough to pause in (three inconclusive looks) with a few looks left after `resume`.
      steps: [
        { weight: 5, watch: '6s' },
        { weight: 25, watch: '14s' },
        { weight: 50, watch: '6s' },
      ],
    }),
    taskQueue,
  );
  handle = (await temporalClient()).workflow.getHandle(run.id);
  let downMs = 0;
  let writeAttempt = 0;
  const injected = await drive(
    run,
    [...defaultPoints('healthy'), { name: 'etcd SIGKILLed at canary 5%', when: all(inStage('canary', 5), idle) }],
    async () => {
      const t0 = Date.now();
      await killStackProcess('kube-etcd', 'SIGKILL');
      // Down until the move to 25% has been tried against the apiserver without its store, then 2 s more.
      const tried = await until(
        'the move to 25% tried while etcd is down',
        async () => (await where(handle)).activities.find((a) => a.type === 'setTrafficWeight'),
        60_000,
        100,
      );
      writeAttempt = tried.attempt;
      await sleep(2000);
      startKubeProcess('kube-etcd');
      downMs = Date.now() - t0;
      return { downMs, restartedAt: Date.now() };
    },
  );
  expect(injected.map((i) => [i.stage, i.weight])).toEqual([['canary', 5]]);
  console.log(`etcd down ${downMs} ms (kill, until the move to 25% was tried, 2 s, restart until ready)`);
  expect(writeAttempt).toBeGreaterThanOrEqual(1);
  // The write that met the outage landed once, after it: green 25% follows green 5% exactly once.
  const writes = await until(
    'the move to 25% written after etcd is back',
    async () => {
      const w = (await routeWrites(run!.from, new Date())).map((x) => x.label);
      return w.includes('green 25%') ? w : undefined;
    },
    60_000,
    500,
  );
  expect(writes).toEqual(['green 5%', 'green 25%']);
});

test('chaos 5 and 4: Prometheus down at canary 25%: paused, never promoted; the kube-apiserver down 30 s and through the next move; back up, resume completes it', async () => {
  const r = theRun();
  await drive(r, [{ name: 'Prometheus killed at canary 25%', when: all(inStage('canary', 25), idle) }], async () => {
    await killStackProcess('prometheus', 'SIGKILL');
    return { downMs: 0, restartedAt: Date.now() };
  });
  const paused = await until(
    'paused on inconclusive metrics',
    async () => {
      const s = await status(r.id);
      return s?.pendingDecision?.kind === 'inconclusive-metrics' ? s : undefined;
    },
    90_000,
    500,
  );
  expect(paused).toMatchObject({ stage: 'canary', greenWeight: 25, paused: true });
  expect(paused.lastAnalysis?.verdict).toBe('inconclusive');

  // The apiserver goes too: the release must sit out both.
  const apiDownAt = Date.now();
  await killStackProcess('kube-apiserver', 'SIGKILL');
  // It waits for a person: well past the 14 s window, traffic has not moved on.
  await sleep(25_000);
  expect(await status(r.id)).toMatchObject({ stage: 'canary', greenWeight: 25, paused: true });
  expect((await routeWrites(r.from, new Date())).map((w) => w.label)).toEqual(['green 5%', 'green 25%']);

  startComponent('prometheus');
  await greenRateReadable();
  await cliOk('resume', r.id, '--by', 'chaos-suite', '--reason', 'Prometheus is back');
  // The rest of the window is watched again; then the move to 50% meets the absent apiserver.
  const tried = await until(
    'the move to 50% tried while the apiserver is down',
    async () => (await where(handle)).activities.find((a) => a.type === 'setTrafficWeight'),
    120_000,
    200,
  ).catch(async (err: Error) => {
    // Say where the release stands instead (paused again, held at the gate, or in another activity).
    const s = await status(r.id).catch(() => undefined);
    const w = await where(handle).catch(() => undefined);
    const at = { stage: s?.stage, weight: s?.greenWeight, paused: s?.paused, pending: s?.pendingDecision };
    throw new Error(`${err.message}; release ${JSON.stringify(at)}, activities ${JSON.stringify(w?.activities)}`);
  });
  await sleep(Math.max(0, 30_000 - (Date.now() - apiDownAt)));
  const triedMs = Date.now() - apiDownAt;
  startKubeProcess('kube-apiserver');
  const apiDownMs = Date.now() - apiDownAt;
  console.log(
    `kube-apiserver down ${apiDownMs} ms (restart until ready included); the move to 50% pending (attempt ${tried.attempt}) ${triedMs} ms into it`,
  );
  expect(triedMs).toBeGreaterThanOrEqual(30_000);

  const f = await finish(r);
  const share = await greenShare();
  console.log(
    `${f.result.outcome}, route writes ${f.summary.routeWrites.join(' -> ')}, route now ${JSON.stringify(share)}`,
  );
  expect(f.problems).toEqual([]);
  // By plan: a success ends with all traffic on green, anything else with all of it on blue. Before the 403 grace
  // (src/activities/kubernetes/errors.ts) the restarted apiserver's warm-up 403s failed the rollback's traffic move
  // too: emergency-failed with the route left at 25%.
  expect(share).toEqual(
    f.result.outcome === 'succeeded'
      ? { 'hwayo-production': 0, 'hwayo-production-green': 100 }
      : { 'hwayo-production': 100, 'hwayo-production-green': 0 },
  );
  // Pinned to the fault-free outcome: both outages are sat out, nothing is rolled back.
  expect(f.result.outcome).toBe('succeeded');
  expect(f.summary.routeWrites).toEqual(['green 5%', 'green 25%', 'green 50%', 'green 100%']);
  const step25 = f.result.report.steps.find((s) => s.weight === 25)!;
  expect(step25.pausedMs).toBeGreaterThan(20_000);
  expect(f.result.report.analyses.filter((a) => a.verdict === 'inconclusive').length).toBeGreaterThanOrEqual(3);
  expect(f.result.report.audit.some((a) => a.action === 'resume' && a.accepted)).toBe(true);
});
