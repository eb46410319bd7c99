// The worker is redeployed under live releases (docs/reliability.md, "Upgrading the worker under live
// releases"). Worker v1 (the product's dist/ bundle) runs three releases: one waiting for approval, one
// mid-canary, one in its retention window. v1 dies (SIGKILL), worker v2 starts on the same task queue:
// the product's workflow plus a new Slack notice before green and before the full switch, each behind
// its own patched() (test/fixtures/upgrade-v2). All three finish, each following the code it is meant
// to run (from the histories: markers and the new commands exactly where the patches say), and their
// histories replay under v2; the ones that took a v2 path fail to replay under v1 (the change is real).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { parse as parseYaml, stringify } from 'yaml';
import { replaySinks } from '../../src/worker/metrics';
import {
  approveAll,
  closeClient,
  ensureBuilt,
  ROOT,
  shortPlan,
  startRelease,
  temporalClient,
  until,
  where,
  WorkerProcess,
  WORKER_SA,
  type PlanOptions,
} from '../chaos/harness';
import { seedState } from '../chaos/releases';
import { bundleV2 } from '../fixtures/upgrade-v2/bundle';
import { V2_GREEN_PATCH, V2_NOTICE, V2_SWITCH_PATCH } from '../fixtures/upgrade-v2/names';
import { endRunningReleases, stackEnv } from './stack';
import { cliOk } from './cli-runner';
import { testPort } from '../fixtures/ports';

jest.setTimeout(8 * 60_000);
type History = temporal.api.history.v1.IHistory;

const dir = mkdtempSync(join(tmpdir(), 'hwayo-upgrade-'));
const taskQueue = `upgrade-${randomBytes(4).toString('hex')}`;
const port = testPort(2);
const V1_BUNDLE = join(ROOT, 'dist', 'workflow-bundle.js');
const V2_BUNDLE = join(dir, 'workflow-bundle-v2.js');
// Pairs of their own for the releases in approval and in retention (their apps' routes in hwayo-gateway);
// the mid-canary release uses the stack's hwayo pair, whose metrics are the metrics apps'.
const PAIRS = { approval: 'hwayo-upgrade-a', retention: 'hwayo-upgrade-c' } as const;
const workers: WorkerProcess[] = [];
let healthServer: Server | undefined;

const kubectl = (input: string | undefined, ...args: string[]) => {
  const env = stackEnv();
  return execFileSync(env.HWAYO_KUBECTL!, ['--kubeconfig', env.KUBECONFIG!, ...args], {
    input,
    encoding: 'utf8',
    // stderr piped: a failure's error carries it (awaitAdmitted retries quietly on it).
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
};

/** The pair and its route `hwayo-gateway/<ns>` in the platform's registry of release namespaces (null: out of it). */
const register = (ns: string, value: 'environment' | null) =>
  kubectl(
    undefined,
    '-n',
    'hwayo-release',
    'patch',
    'configmap',
    'hwayo-release-environments',
    '--type',
    'merge',
    '-p',
    JSON.stringify({ data: { [ns]: value, [`${ns}-green`]: value, [`hwayo-gateway.${ns}`]: value && 'route' } }),
  );

/**
 * A release pair `ns`/`ns-green` as the platform sets one up: blue seeded, registered in
 * hwayo-release-environments, the worker's RoleBinding in blue, and its own route `ns` in hwayo-gateway
 * (the stack's route hwayo-canary with its namespaces renamed).
 */
function addPair(ns: string): void {
  execFileSync('bash', [join(ROOT, 'scripts', 'stack', 'kube-fixtures.sh'), ns], {
    env: stackEnv(),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  register(ns, 'environment');
  const binding = readFileSync(join(ROOT, 'deploy', 'kubernetes', 'environments.yaml'), 'utf8')
    .split(/^---$/m)
    .find((d) => d.includes('kind: RoleBinding') && d.includes('namespace: hwayo-production'))!;
  const route = readFileSync(join(ROOT, 'scripts', 'stack', 'kube-fixtures', 'routes.yaml'), 'utf8')
    .split(/^---$/m)
    .find((d) => d.includes('kind: VirtualService'))!;
  const yaml = [
    binding.replace(/hwayo-production/g, ns),
    route.replace(/hwayo-production/g, ns).replace('name: hwayo-canary', `name: ${ns}`),
  ].join('\n---\n');
  kubectl(yaml, 'apply', '--server-side', '--force-conflicts', '--field-manager=hwayo-test-fixture', '-f', '-');
}

/**
 * Waits until the namespace admission policy lets the worker create the pair's green: the policy reads the
 * registry through an informer, which the apiserver can stop for good (kubernetes#130887; the stack binds the
 * policy from its start so that it does not, and rbac.test.ts's last test guards that). If it never admits,
 * this fails after 60 s with the refusal, before any release starts.
 */
function awaitAdmitted(ns: string): void {
  const dryRun = ['create', '-f', '-', '--dry-run=server', '--as', WORKER_SA];
  // At pod-security restricted, as createNamespace creates it (the policy refuses any other).
  const green = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: `${ns}-green`, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
  });
  let last = '';
  for (let i = 0; i < 120; i++) {
    try {
      kubectl(green, ...dryRun);
      return;
    } catch (err) {
      last = String((err as { stderr?: Buffer }).stderr ?? err);
      execFileSync('sleep', ['0.5']);
    }
  }
  throw new Error(`the worker may not create ${ns}-green after 60 s: ${last}`);
}

function removePair(ns: string): void {
  kubectl(undefined, '-n', 'hwayo-gateway', 'delete', 'virtualservice', ns, '--ignore-not-found');
  kubectl(undefined, 'delete', 'namespace', ns, `${ns}-green`, '--ignore-not-found', '--wait=false');
  register(ns, null);
}

/**
 * A short plan (harness shortPlan) whose preflight runs the checks about the release itself (nodes, the
 * release baseline, CI's evidence): the data-store and monitoring probes are not what this test is about,
 * and three releases starting at once on a busy machine time them out. With `pair`, the release is of app
 * `pair` on its own pair: health from a 200-answering server of this test (the metrics apps serve only the
 * hwayo pair), metrics those of the stack's live hwayo blue (real and healthy).
 */
function plan(name: string, o: PlanOptions, pair?: { ns: string; healthPort: number }): string {
  const doc = parseYaml(readFileSync(shortPlan(dir, name, o), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  // CI's evidence fixtures name the hwayo project: the other apps' releases go without that check.
  const keep = new Set(['kubernetes-nodes-ready', 'release-baseline', ...(pair ? [] : ['security-evidence'])]);
  doc.preflight.checks = (doc.preflight.checks as { name: string }[]).filter((c) => keep.has(c.name));
  if (pair) {
    doc.app = pair.ns;
    doc.environments = { blue: pair.ns, green: `${pair.ns}-green` };
    doc.traffic = { name: pair.ns };
    doc.healthUrlTemplate = `http://127.0.0.1:${pair.healthPort}/ns/{{namespace}}/{{service}}{{path}}`;
    for (const m of doc.metrics as { query: string }[])
      m.query = m.query.replace(/\{\{namespace\}\}/g, 'hwayo-production');
  }
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(doc));
  return file;
}

/** Every run of a release, oldest first (a release may continue as new). */
async function histories(id: string): Promise<{ runId: string; history: History }[]> {
  const client = await temporalClient();
  const runs: { runId: string; history: History }[] = [];
  let runId: string | undefined = (await client.workflow.getHandle(id).describe()).runId;
  while (runId) {
    const history = await client.workflow.getHandle(id, runId).fetchHistory();
    runs.unshift({ runId, history });
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
  }
  return runs;
}

const events = (runs: { history: History }[]) => runs.flatMap((r) => r.history.events ?? []);
const text = (data?: Uint8Array | null) => (data ? Buffer.from(data).toString('utf8') : '');

/** The ids of the release's patch markers of v2's patches (the product's own patches are there too). */
function patchMarkers(runs: { history: History }[]): string[] {
  return events(runs)
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
    .map(
      (e) =>
        (JSON.parse(text(e.markerRecordedEventAttributes!.details!['patch-data']!.payloads![0].data)) as { id: string })
          .id,
    )
    .filter((id) => id === V2_GREEN_PATCH || id === V2_SWITCH_PATCH);
}

/** The v2 notices the release scheduled (postSlack activities whose text is v2's). */
function v2Notices(runs: { history: History }[]): string[] {
  return events(runs)
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'postSlack')
    .map((e) => text(e.activityTaskScheduledEventAttributes!.input!.payloads![0].data))
    .filter((t) => t.includes(V2_NOTICE))
    .map((t) => (t.includes(V2_GREEN_PATCH) ? V2_GREEN_PATCH : V2_SWITCH_PATCH));
}

/** The pids of the workers that completed the release's workflow tasks, in order. */
const taskWorkers = (runs: { history: History }[]) =>
  events(runs)
    .filter((e) => e.workflowTaskCompletedEventAttributes)
    .map((e) => Number((e.workflowTaskCompletedEventAttributes!.identity ?? '').split('@')[0]));

async function replay(bundlePath: string, id: string, runs: { history: History }[]): Promise<void> {
  for (const r of runs)
    await Worker.runReplayHistory({ workflowBundle: { codePath: bundlePath }, sinks: replaySinks() }, r.history, id);
}

beforeAll(async () => {
  // The replays below start a worker each: their state changes are not this test's news.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  ensureBuilt();
  writeFileSync(V2_BUNDLE, await bundleV2());
  healthServer = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'),
  );
  await new Promise<void>((r) => healthServer!.listen(0, '127.0.0.1', r));
  for (const ns of Object.values(PAIRS)) {
    await endRunningReleases(ns, 'worker-upgrade test starts from the seed state');
    addPair(ns);
  }
  await seedState();
}, 600_000);

afterAll(async () => {
  for (const w of workers) await w.kill9();
  for (const ns of Object.values(PAIRS)) {
    await endRunningReleases(ns, 'worker-upgrade test ended').catch(() => undefined);
    removePair(ns);
  }
  await seedState().catch(() => undefined);
  await closeClient();
  await new Promise((r) => healthServer?.close(r));
  rmSync(dir, { recursive: true, force: true });
}, 300_000);

test('worker v1 dies under releases in approval, mid-canary and in retention; v2 (patched) finishes each on the code it is meant to run', async () => {
  const t0 = Date.now();
  const healthPort = (healthServer!.address() as AddressInfo).port;
  const v1 = new WorkerProcess('v1', dir, taskQueue, port);
  const v2 = new WorkerProcess('v2', dir, taskQueue, port + 1, { HWAYO_WORKFLOW_BUNDLE: V2_BUNDLE });
  workers.push(v1, v2);
  await v1.start();
  for (const ns of Object.values(PAIRS)) awaitAdmitted(ns);

  const quick = { steps: [{ weight: 50, watch: '3s' }], fullSwitch: '3s' };
  const ids = {
    approval: await startRelease(
      plan(PAIRS.approval, { ...quick, blueKeep: '3s' }, { ns: PAIRS.approval, healthPort }),
      `3.1.0-upgrade.approval.${randomBytes(3).toString('hex')}`,
      taskQueue,
    ),
    canary: await startRelease(
      plan('canary', {
        steps: [
          { weight: 5, watch: '20s' },
          { weight: 25, watch: '20s' },
          { weight: 50, watch: '10s' },
        ],
        blueKeep: '3s',
      }),
      `3.1.0-upgrade.canary.${randomBytes(3).toString('hex')}`,
      taskQueue,
    ),
    retention: await startRelease(
      plan(PAIRS.retention, { ...quick, blueKeep: '150s' }, { ns: PAIRS.retention, healthPort }),
      `3.1.0-upgrade.retention.${randomBytes(3).toString('hex')}`,
      taskQueue,
    ),
  };
  const client = await temporalClient();
  const handle = (id: string) => client.workflow.getHandle(id);
  for (const id of [ids.canary, ids.retention]) {
    await until(`${id} awaiting approval`, async () => (await where(handle(id))).stage === 'awaiting-approval');
    await approveAll(id);
  }

  // v1 dies while nothing of v1 runs an activity: the approval wait, a canary window, the retention timer.
  let missed: string | undefined;
  await until(
    'approval wait, mid-canary and retention at once, no activity running',
    async () => {
      const [a, c, r] = await Promise.all([ids.approval, ids.canary, ids.retention].map((id) => where(handle(id))));
      if (!c.running || ['full-switch', 'retention', 'done'].includes(c.stage ?? '') || !r.running) {
        missed = `canary release ${c.running ? c.stage : 'ended'}, retention release ${r.running ? r.stage : 'ended'}`;
        return true;
      }
      const idle = [a, c, r].every((w) => !w.activities.some((x) => x.started));
      return a.stage === 'awaiting-approval' && c.stage === 'canary' && r.stage === 'retention' && idle;
    },
    180_000,
    50,
  );
  expect(missed).toBeUndefined();
  const stoppedAtWeight = (await where(handle(ids.canary))).weight;
  await v1.kill9();
  const killedAt = Date.now();
  const onV1 = {
    approval: await histories(ids.approval),
    canary: await histories(ids.canary),
    retention: await histories(ids.retention),
  };
  await v2.start();
  console.log(
    `worker v1 killed ${killedAt - t0} ms in (canary at ${stoppedAtWeight}%); v2 ready ${Date.now() - killedAt} ms later`,
  );
  await approveAll(ids.approval);
  // The retention window is 150 s so that a loaded machine still finds it open at the kill; once v2 runs, a
  // person ends it early (promote), as after any release that is fine: not a v2 step, so it changes no marker.
  await cliOk('promote', ids.retention, '--by', 'alice', '--reason', 'upgrade test: v2 took over');

  const results = await Promise.all(Object.values(ids).map((id) => handle(id).result()));
  expect(results.map((r: { outcome: string }) => r.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  const final = {
    approval: await histories(ids.approval),
    canary: await histories(ids.canary),
    retention: await histories(ids.retention),
  };

  // Each release ran on v1, then on v2 (the workers that completed its workflow tasks, by pid).
  for (const runs of Object.values(final)) {
    const pids = taskWorkers(runs);
    expect(pids[0]).toBe(v1.pids[0]);
    expect(pids[pids.length - 1]).toBe(v2.pids[0]);
  }
  // Nothing of v2 ran under v1: no marker, no notice.
  for (const runs of Object.values(onV1)) {
    expect(patchMarkers(runs)).toEqual([]);
    expect(v2Notices(runs)).toEqual([]);
  }
  // In approval at the upgrade: both new steps (green and the full switch came after it).
  expect(patchMarkers(final.approval).sort()).toEqual([V2_GREEN_PATCH, V2_SWITCH_PATCH].sort());
  expect(v2Notices(final.approval)).toEqual([V2_GREEN_PATCH, V2_SWITCH_PATCH]);
  // Mid-canary: green was deployed on v1, so not the green notice (replay says "not patched"); the full
  // switch came on v2, so that notice.
  expect(patchMarkers(final.canary)).toEqual([V2_SWITCH_PATCH]);
  expect(v2Notices(final.canary)).toEqual([V2_SWITCH_PATCH]);
  // In retention: past both points, v1's commands to the end.
  expect(patchMarkers(final.retention)).toEqual([]);
  expect(v2Notices(final.retention)).toEqual([]);

  // v1's histories, and the whole releases, replay under v2 without non-determinism.
  for (const [k, id] of Object.entries(ids)) {
    await replay(V2_BUNDLE, id, onV1[k as keyof typeof ids]);
    await replay(V2_BUNDLE, id, final[k as keyof typeof ids]);
  }
  // The change is real: the releases that took a v2 step do not replay under v1; the one that did not does.
  await expect(replay(V1_BUNDLE, ids.approval, final.approval)).rejects.toThrow(DeterminismViolationError);
  await expect(replay(V1_BUNDLE, ids.canary, final.canary)).rejects.toThrow(DeterminismViolationError);
  await replay(V1_BUNDLE, ids.retention, final.retention);
  console.log(
    `worker upgrade: ${Object.entries(final)
      .map(([k, runs]) => `${k} ${events(runs).length} events`)
      .join(', ')}; wall ${Date.now() - t0} ms`,
  );
});
