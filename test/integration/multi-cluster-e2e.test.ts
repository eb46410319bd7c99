// One release across region a and region b of the local stack, in two waves, run by three real worker processes
// (dist/src/worker.js): the main one (the workflows) and one per cluster (HWAYO_CLUSTER, that cluster's
// kubeconfig only). What moved is read from each cluster's own apiserver and its audit log, and users go through
// each region's own gateway. Faults in region b during wave 2, folded into two releases:
// - green sick in region b only (its data plane's stand-in fault): b rolls back at its gateway, region a (in its
//   retention) is rolled back by the plan's onFailure rollback-all; users' failures bounded as in the e2e.
// - region b's worker killed (-9) at its first step, then its kube-apiserver down 60 s from its second step
//   through the move to 100%: the move waits and retries, lands once; region a untouched.
//   npm run build && bash scripts/stack/up.sh &&
//   npx jest --selectProjects integration --testPathPattern multi-cluster-e2e
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, KubeConfig, AppsV1Api } from '@kubernetes/client-node';
import { parse as parseYaml, stringify } from 'yaml';
import type { ReleaseReport, ReleaseResult, ReleaseStatus } from '../../src/workflows/definitions';
import { clusterWorkflowId } from '../../src/workflows/multi-cluster-definitions';
import {
  ensureBuilt,
  killStackProcess,
  ROOT,
  sleep,
  startKubeProcess,
  temporalClient,
  closeClient,
  where,
  WorkerProcess,
} from '../chaos/harness';
import { cliOk, startArgv } from './cli-runner';
import { auditWrites, tokenJti, type AuditWrite } from './cluster-audit';
import { sampleLine } from '../fixtures/dataplane/loadgen';
import { gatewayWeights, recordGatewayWeights, sentAt, startUsers, type Users } from './gateway';
import { faultWhenCreated, plainUsersBound, usersSaw } from './region-faults';
import { routeWeightsIn } from './route-weights';
import { stackEnv, stackVar, startFromSeedState } from './stack';

jest.mock('@kubernetes/client-node', () => jest.requireActual('./native-esm').kubernetesClient());
jest.setTimeout(5 * 60_000);

const GREEN = 'hwayo-production-green';
/** Region b's green in the sick release: 30% of API requests answer 500 (the data plane's stand-in fault). */
const FAULT = 'sick-30';
// The one ConfigMap the worker's ServiceAccount may read (deploy/kubernetes/rbac.yaml); what it held is put back.
const POLICY_NAME = 'hwayo-release-policy';
const tmp = mkdtempSync(join(tmpdir(), 'hwayo-waves-'));
const keys = join(tmp, 'keys');
const mainQueue = `waves-${randomBytes(4).toString('hex')}`;
const port = 31_500 + Math.floor(Math.random() * 400);
const APPROVERS = [
  ['alice', 'tech-lead'],
  ['bob', 'product-manager'],
  ['carol', 'qa-lead'],
] as const;

interface Region {
  name: 'a' | 'b';
  admin: string;
  kubectl: string;
  auditLog: string;
  gateway: string;
  worker?: WorkerProcess;
  jti?: string;
}
let regions: Region[];
let main: WorkerProcess;
let mainJti: string;
/** Two plans: region a done before wave 2 (blue kept 3 s), and a's retention spanning wave 2 (onFailure's reach). */
let planFile: string;
let sickPlanFile: string;
let users: Users[] = [];
/** Users at both regions' gateways: 50 a second each, 7% with the canary header (see beforeAll). */
const RPS = 50;
const CANARY_SHARE = 0.07;
const startAllUsers = () =>
  (users = regions.map((r) => startUsers({ url: r.gateway, rps: RPS, maxSeconds: 400, canaryShare: CANARY_SHARE })));
const t0 = Date.now();

/** A kubeconfig of the worker's ServiceAccount in one region (a token of its own: its own jti). */
function workerKubeconfig(region: Region, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'worker.kubeconfig');
  execFileSync('bash', [join(ROOT, 'scripts', 'worker-kubeconfig.sh'), file], {
    env: { ...stackEnv(), KUBECONFIG: region.admin, HWAYO_KUBECTL: region.kubectl },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return file;
}

/** kubectl as region a's admin (the platform team). */
const kubectlA = (...args: string[]) =>
  execFileSync(stackVar('HWAYO_KUBECTL'), ['--kubeconfig', stackVar('KUBECONFIG'), ...args], { encoding: 'utf8' });
let savedPolicy = '';
function applyPolicy(data: Record<string, string>): void {
  const manifest = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: POLICY_NAME, namespace: 'hwayo-release' },
    data,
  };
  execFileSync(
    stackVar('HWAYO_KUBECTL'),
    ['--kubeconfig', stackVar('KUBECONFIG'), 'apply', '--server-side', '--field-manager', 'hwayo-platform', '-f', '-'],
    { input: JSON.stringify(manifest), stdio: ['pipe', 'ignore', 'inherit'] },
  );
}
/** The stack's policy as it was before this file. */
function restorePolicy(): void {
  if (savedPolicy.trim()) applyPolicy((JSON.parse(savedPolicy) as { data: Record<string, string> }).data);
  else kubectlA('delete', 'configmap', POLICY_NAME, '-n', 'hwayo-release', '--ignore-not-found');
}

/** Both regions in the seed state: blue with all traffic, no green, no release of the app running. */
async function seedBoth(): Promise<void> {
  await startFromSeedState('hwayo', 'multi-cluster e2e starts from the seed state');
  execFileSync('bash', [join(ROOT, 'scripts', 'stack', 'components', 'region-b.sh'), 'seed'], {
    env: stackEnv(),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** A test's body; whatever happens, both regions are back in the seed state after it (for the next test, file). */
async function seededAfter(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } finally {
    await seedBoth();
  }
}

const apis = (r: Region) => {
  const kc = new KubeConfig();
  kc.loadFromFile(r.admin);
  return { custom: kc.makeApiClient(CustomObjectsApi), apps: kc.makeApiClient(AppsV1Api) };
};

/** The route's weights per namespace, read from the region's own apiserver. */
const routeWeights = (r: Region) => routeWeightsIn(apis(r).custom);

/** The version label of green's Deployments in the region's own apiserver. */
async function greenVersions(r: Region): Promise<string[]> {
  const list = await apis(r).apps.listNamespacedDeployment({ namespace: GREEN });
  return [
    ...new Set(list.items.map((d) => d.metadata?.labels?.['hwayo.io/version'] ?? JSON.stringify(d.metadata?.labels))),
  ];
}

/** The release's status; a release that has ended fails the caller with its outcome and reason. */
async function status(id: string): Promise<ReleaseStatus> {
  const r = JSON.parse(await cliOk('status', id, '--json')) as {
    status?: ReleaseStatus;
    outcome?: string;
    reason?: string;
  };
  if (!r.status) throw new Error(`${id} ended: ${r.outcome} (${r.reason})`);
  return r.status;
}

/** Polls the status until `pred` holds; a release that ends first, or a timeout, fails with where it stands. */
async function waitFor<T>(id: string, what: string, pred: (s: ReleaseStatus) => T | undefined | false, ms = 150_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await status(id);
    const v = pred(s);
    if (v) return v;
    if (Date.now() > deadline) {
      const where = { stage: s.stage, pending: s.pendingDecision, rows: s.multiCluster?.rows, last: s.lastAnalysis };
      throw new Error(`${what}: not within ${ms / 1000} s; ${id} stands at ${JSON.stringify(where)}`);
    }
    await sleep(100);
  }
}

async function startRelease(plan = planFile): Promise<{ id: string; from: Date }> {
  const from = new Date(Date.now() - 1000);
  const version = `4.0.0-waves.${randomBytes(3).toString('hex')}`;
  const id = (await cliOk(...startArgv(plan, version, mainQueue, 'multi-cluster-e2e'))).trim();
  await waitFor(id, 'awaiting approval', (s) => s.stage === 'awaiting-approval', 60_000);
  for (const [who, role] of APPROVERS)
    await cliOk(
      'approve',
      id,
      '--as',
      who,
      '--key',
      join(keys, `${who}.key`),
      '--expect-plan',
      plan,
      '--comment',
      `${role} ok`,
    );
  return { id, from };
}

async function finished(id: string): Promise<ReleaseResult> {
  const h = (await temporalClient()).workflow.getHandle(id);
  return (await Promise.race([
    h.result(),
    sleep(180_000).then(() => Promise.reject(new Error(`${id} not done in 180 s`))),
  ])) as ReleaseResult;
}

/** What users asking GATEWAY for 1.5 s got: each distinct "<status> <namespace that answered>". */
async function answersAt(gateway: string): Promise<Set<string>> {
  const u = startUsers({ url: gateway, rps: 20, maxSeconds: 3 });
  await sleep(1500);
  return new Set((await u.stop()).map((s) => `${s.status} ${s.namespace}`));
}

/** Every region: green deployed at the version in its own apiserver, all of its route on green, users on green. */
async function expectMovedEverywhere(version: string): Promise<void> {
  for (const r of regions) {
    expect({ region: r.name, versions: await greenVersions(r) }).toEqual({ region: r.name, versions: [version] });
    expect({ region: r.name, weights: await routeWeights(r) }).toEqual({
      region: r.name,
      weights: { 'hwayo-production': 0, [GREEN]: 100 },
    });
  }
  // Users asking each region's gateway now (loopback) are answered by that region's green.
  const answered = await Promise.all(
    regions.map(async (r) => ({ region: r.name, answers: [...(await answersAt(r.gateway))] })),
  );
  expect(answered).toEqual(regions.map((r) => ({ region: r.name, answers: [`200 ${GREEN}`] })));
}

/** Writes to a region's apiserver between `from` and `to`, by whose token. */
const writesIn = (r: Region, from: Date, to: Date) => auditWrites(r.auditLog, from, to, GREEN);
const by = (writes: AuditWrite[], jti: string) => writes.filter((w) => w.credential === jti);

/** What the record of each apiserver says about who wrote there during a release. */
async function expectEachWorkerOnlyInItsCluster(from: Date, to: Date): Promise<Record<string, AuditWrite[]>> {
  const out: Record<string, AuditWrite[]> = {};
  for (const r of regions) {
    const writes = await writesIn(r, from, to);
    const own = by(writes, r.jti!);
    // The cluster's own worker created green and moved the route there, step by step, to 100%.
    expect(own.some((w) => w.resource === 'deployments' && w.namespace === GREEN && w.verb !== 'delete')).toBe(true);
    const route = own.filter((w) => w.resource === 'httproutes' && w.code < 300 && w.greenWeight !== undefined);
    expect(route.map((w) => w.greenWeight).at(-1)).toBe(100);
    // No other worker's token (the other cluster's, the main worker's) wrote here, and no write came with a
    // credential this apiserver refused.
    const others = [mainJti, ...regions.filter((x) => x !== r).map((x) => x.jti!)];
    expect(writes.filter((w) => others.includes(w.credential))).toEqual([]);
    expect(writes.filter((w) => w.code === 401)).toEqual([]);
    out[r.name] = own;
  }
  return out;
}

beforeAll(async () => {
  ensureBuilt();
  stackEnv();
  regions = [
    {
      name: 'a',
      admin: stackVar('KUBECONFIG'),
      kubectl: stackVar('HWAYO_KUBECTL'),
      auditLog: stackVar('HWAYO_KUBE_AUDIT_LOG'),
      gateway: stackVar('TRAEFIK_URL'),
    },
    {
      name: 'b',
      admin: stackVar('HWAYO_KUBECONFIG_B'),
      kubectl: stackVar('HWAYO_KUBECTL_B'),
      auditLog: stackVar('HWAYO_KUBE_AUDIT_LOG_B'),
      gateway: stackVar('HWAYO_TRAEFIK_URL_B'),
    },
  ];
  await seedBoth();
  // Approvers' keys; the platform's policy (in region a, where the main worker reads it) registers both clusters.
  const publicKeys: Record<string, string> = {};
  for (const [who] of APPROVERS)
    publicKeys[who] = (
      JSON.parse(await cliOk('keys', 'generate', '--id', who, '--out', keys, '--json')) as { publicKey: string }
    ).publicKey;
  const policy = {
    version: 1,
    environments: [
      {
        name: 'local',
        namespaces: ['hwayo-production', GREEN],
        approval: {
          requiredRoles: APPROVERS.map(([, role]) => role),
          approvers: APPROVERS.map(([id, role]) => ({ id, role, publicKey: publicKeys[id] })),
          maxTimeout: '1h',
        },
        checks: ['release-baseline', 'security-evidence'],
        canary: { minSteps: 1, maxFirstWeight: 50, minWatch: '3s', maxAnalysisInterval: '1m', maxPause: '1h' },
        fullSwitch: { minWatch: '2s' },
        retention: { minBlueKeep: '3s' },
        incidents: false,
      },
    ],
    clusters: [
      { name: 'a', region: 'region-a' },
      { name: 'b', region: 'region-b' },
    ],
  };
  const dirs = { main: join(tmp, 'main'), a: join(tmp, 'a'), b: join(tmp, 'b') };
  const mainKubeconfig = workerKubeconfig(regions[0], dirs.main); // also installs the worker's identity in a
  savedPolicy = kubectlA('get', 'configmap', POLICY_NAME, '-n', 'hwayo-release', '--ignore-not-found', '-o', 'json');
  applyPolicy({ 'policy.yaml': stringify(policy) });
  mainJti = tokenJti(mainKubeconfig);
  const common = { HWAYO_POLICY: `configmap:hwayo-release/${POLICY_NAME}`, HWAYO_SHUTDOWN_GRACE_MS: '1000' };
  main = new WorkerProcess('main', dirs.main, mainQueue, port, common);
  for (const [i, r] of regions.entries()) {
    const kubeconfig = workerKubeconfig(r, dirs[r.name]);
    r.jti = tokenJti(kubeconfig);
    r.worker = new WorkerProcess(`cluster-${r.name}`, dirs[r.name], `hwayo-${r.name}`, port + 1 + i, {
      ...common,
      HWAYO_CLUSTER: r.name,
      KUBECONFIG: kubeconfig,
    });
  }
  await Promise.all([main.start(), ...regions.map((r) => r.worker!.start())]);

  // The local plan with the keys, its few checks, short windows; region b with steps of its own.
  const doc = parseYaml(readFileSync(join(ROOT, 'examples', 'local-plan.yaml'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const a of doc.approval.approvers as { id: string; publicKey?: string }[]) a.publicKey = publicKeys[a.id];
  delete doc.approval.allowUnsigned;
  const checks = new Set(['kubernetes-nodes-ready', 'release-baseline', 'security-evidence', 'cluster-policies']);
  doc.preflight.checks = (doc.preflight.checks as { name: string }[]).filter((c) => checks.has(c.name));
  // Weights and the users' canary share below are chosen together (see the users).
  const steps = [7, 33].map((weight) => ({ weight, watch: '5s' }));
  Object.assign(doc.canary, { steps, analysisInterval: '1s', inconclusiveLimit: 10 });
  Object.assign(doc, { fullSwitch: { watch: '2s' }, retention: { ...doc.retention, blueKeep: '3s' } });
  // Region b's second step is watched 50 s: the apiserver outage (60 s) begins with it and meets the move to 100%.
  const bSteps = [
    { weight: 23, watch: '5s' },
    { weight: 41, watch: '50s' },
  ];
  doc.waves = [{ clusters: ['a'], bake: '5s' }, { clusters: [{ name: 'b', steps: bSteps }] }];
  doc.onFailure = 'rollback-all';
  planFile = join(tmp, 'plan.yaml');
  writeFileSync(planFile, stringify(doc));
  await cliOk('plan', 'validate', planFile);
  // The sick release: region a keeps blue through wave 2 (else it has ended and no saga can reach it), and b's
  // one step is watched long enough that the fault's first looks decide it.
  doc.retention.blueKeep = '2m';
  doc.waves[1] = { clusters: [{ name: 'b', steps: [{ weight: 23, watch: '20s' }] }] };
  sickPlanFile = join(tmp, 'sick-plan.yaml');
  writeFileSync(sickPlanFile, stringify(doc));
  await cliOk('plan', 'validate', sickPlanFile);
  // The plan's rates are users' requests: users at both regions' gateways for the whole file.
  // 7% of them carry the canary header (green's own users). The load generator cycles through its 10 paths and
  // Traefik's weighted round robin is as regular: shares and weights that divide 10 would send green one path only
  // (no logins: its login rate NaN, the analysis inconclusive), hence 7% and the odd weights.
  startAllUsers();
}, 300_000);

afterAll(async () => {
  await Promise.all(users.map((u) => u.stop()));
  await Promise.all([main?.stop(), ...(regions ?? []).map((r) => r.worker?.stop())]);
  await seedBoth().catch((e: Error) => console.error(`re-seeding failed: ${e.message}`));
  if (regions) restorePolicy();
  await closeClient();
  rmSync(tmp, { recursive: true, force: true });
  console.log(`[measure] multi-cluster e2e file: ${((Date.now() - t0) / 1000).toFixed(1)} s wall`);
}, 180_000);

/** Green's weight in a region's own Traefik (what users get there), and in its own apiserver. */
const traefikApi = (r: Region) => (r.name === 'a' ? stackVar('TRAEFIK_API_URL') : stackVar('HWAYO_TRAEFIK_API_URL_B'));

test(`green sick in region b only: b rolls back at its gateway within 30 s of the breach, a by onFailure rollback-all; users' failures bounded as in the e2e`, () =>
  seededAfter(async () => {
    const started = Date.now();
    const b = regions[1];
    // Fresh users: this release's answers only.
    await Promise.all(users.map((u) => u.stop()));
    startAllUsers();
    const gateways = regions.map((r) => recordGatewayWeights(GREEN, 100, traefikApi(r)));
    const fault = faultWhenCreated(b, GREEN, FAULT);
    let id = '';
    try {
      ({ id } = await startRelease(sickPlanFile));
      // While wave 2 runs, `status` prints a row per cluster.
      const wave2 = (s: ReleaseStatus) => s.multiCluster?.rows.find((x) => x.cluster === 'b' && x.stage !== 'waiting');
      await waitFor(id, 'wave 2 started', wave2);
      const rows = await cliOk('status', id);
      expect(rows).toMatch(/\n\s+b\s+region-b\s+2\s+/);
      expect(rows).toMatch(/\n\s+a\s+region-a\s+1\s+\S+\s+100%/);
      const result = await finished(id);
      expect({ outcome: result.outcome, reason: result.reason }).toEqual({
        outcome: 'rolled-back-after-success',
        reason: 'every cluster is on the previous version (a rolled-back-after-success, b rolled-back)',
      });
    } finally {
      await fault.stop();
    }
    await sleep(2000);
    const [changesA, changesB] = await Promise.all(gateways.map((g) => g.stop()));
    const [samplesA, samplesB] = await Promise.all(users.map((u) => u.stop()));
    startAllUsers();
    const report = JSON.parse(await cliOk('report', id, '--json')) as ReleaseReport;
    expect(report.clusters?.map((c) => [c.cluster, c.region, c.wave, c.outcome, c.weights])).toEqual([
      ['a', 'region-a', 1, 'rolled-back-after-success', [7, 33, 100, 0]],
      ['b', 'region-b', 2, 'rolled-back', [23, 0]],
    ]);
    expect(report.mixedVersions).toBeUndefined();
    // Both regions' routes back on blue in their own apiservers, and at their own gateways.
    for (const r of regions) {
      expect({ region: r.name, weights: await routeWeights(r) }).toEqual({
        region: r.name,
        weights: { 'hwayo-production': 100, [GREEN]: 0 },
      });
      const w = await gatewayWeights('api-gateway', traefikApi(r));
      expect({ region: r.name, blue: w?.['hwayo-production'], green: w?.[GREEN] ?? 0 }).toEqual({
        region: r.name,
        blue: 100,
        green: 0,
      });
    }
    // Region b: its own analysis saw the fault; 0% green at its gateway within the seed's 30 s of that breach.
    const child = (await (
      await temporalClient()
    ).workflow
      .getHandle(clusterWorkflowId(id, 'b'))
      .result()) as ReleaseResult;
    const seen = child.report.analyses.filter((x) => x.verdict === 'breach' || x.verdict === 'unhealthy');
    expect(seen.map((x) => x.detail).join('; ')).toMatch(/error_rate|login_success/);
    const crossed = Date.parse(seen[0].at);
    const landed = (await fault.landed)!;
    const b1 = plainUsersBound({
      fault: FAULT,
      weight: 23,
      rps: RPS,
      canaryShare: CANARY_SHARE,
      changes: changesB,
      after: crossed,
    });
    expect(landed).toBeLessThan(b1.greenFrom); // sick before its users came
    expect(b1.atZero - crossed).toBeLessThan(30_000);
    // Users in b: failures, every one answered by green, plain users' within the single-cluster e2e's bound.
    const sawB = usersSaw(samplesB, GREEN);
    expect(sawB.plainFailed.length).toBeGreaterThan(0);
    expect(sawB.notGreen).toEqual([]);
    expect(sawB.plainFailed.length).toBeLessThanOrEqual(b1.bound);
    expect(sawB.lastGreen - crossed).toBeLessThan(30_000);
    // Region a: moved to 100% green, then back to blue by the saga; its users never saw a failure (rate 0).
    expect(changesA.map((c) => c.weight)).toEqual([0, 7, 33, 100, 0]);
    expect(changesA.find((c) => c.weight === 0 && c.at > crossed)).toBeDefined();
    const sawA = usersSaw(samplesA, GREEN);
    expect(sawA.failed).toEqual([]);
    expect(samplesA.filter((x) => x.namespace === GREEN).length).toBeGreaterThan(0);
    console.log(
      `[measure] multi-cluster sick in b: ${sawB.plainFailed.length} of ${sawB.plain.length} plain user requests ` +
        `failed in b (bound ${b1.bound}, exposure ${b1.exposureS} s), ${sawB.failed.length - sawB.plainFailed.length} ` +
        `with the canary header; 0% green in b ${b1.atZero - crossed} ms after the breach; a: 0 of ` +
        `${samplesA.length} failed; release ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }));

test("region b's worker killed (-9) at its first step, its apiserver down 60 s from its second: wave 2 waits and retries, never promotes meanwhile; region a untouched", () =>
  seededAfter(async () => {
    const started = Date.now();
    // Fresh users: this release's answers only.
    await Promise.all(users.map((u) => u.stop()));
    startAllUsers();
    const { id, from } = await startRelease();
    const [a, b] = regions;
    const bRow = (s: ReleaseStatus) => s.multiCluster?.rows.find((x) => x.cluster === 'b');
    await waitFor(id, "region b's canary live", (s) => (bRow(s)?.weight ?? 0) > 0);
    const aRoute = await routeWeights(a);
    const killedAt = new Date();
    await b.worker!.kill9();
    await sleep(3000);
    await b.worker!.start();
    // Region b's second step: its apiserver goes for 60 s, through the end of the step's watch and the move on.
    await waitFor(id, "region b's second step", (s) => bRow(s)?.weight === 41);
    const child = (await temporalClient()).workflow.getHandle(clusterWorkflowId(id, 'b'));
    const downAt = Date.now();
    await killStackProcess('kube-apiserver', 'SIGKILL', 'b');
    const seen = {
      weightsB: new Set<string>(),
      rowWeights: new Set<number>(),
      moveAttempts: 0,
      aRoutes: new Set<string>(),
    };
    while (Date.now() - downAt < 60_000) {
      seen.weightsB.add(JSON.stringify(await gatewayWeights('api-gateway', traefikApi(b))));
      seen.rowWeights.add(bRow(await status(id))!.weight);
      seen.aRoutes.add(JSON.stringify(await routeWeights(a)));
      const move = (await where(child)).activities.find((x) => x.type === 'setTrafficWeight');
      seen.moveAttempts = Math.max(seen.moveAttempts, move?.attempt ?? 0);
      await sleep(500);
    }
    startKubeProcess('kube-apiserver', 'b');
    const backAt = new Date();
    // Nothing moved in b while its apiserver was away: its gateway and the release both at 41%; the move to 100%
    // was tried and retried, not given up or taken as done.
    expect([...seen.weightsB]).toEqual([JSON.stringify({ 'hwayo-production': 59, [GREEN]: 41 })]);
    expect([...seen.rowWeights]).toEqual([41]);
    expect(seen.moveAttempts).toBeGreaterThanOrEqual(2);
    expect([...seen.aRoutes]).toEqual([JSON.stringify({ 'hwayo-production': 0, [GREEN]: 100 })]);
    const result = await finished(id);
    expect({ outcome: result.outcome, reason: result.reason }).toEqual({ outcome: 'succeeded', reason: result.reason });
    const report = JSON.parse(await cliOk('report', id, '--json')) as ReleaseReport;
    expect(report.clusters?.map((c) => [c.cluster, c.region, c.wave, c.outcome, c.weights])).toEqual([
      ['a', 'region-a', 1, 'succeeded', [7, 33, 100]],
      ['b', 'region-b', 2, 'succeeded', [23, 41, 100]],
    ]);
    expect(b.worker!.pids).toHaveLength(2); // its start in beforeAll, and the restart here
    // Every traffic move returned only once b's gateway ran it (its watch lags up to a minute after the outage), so
    // blue was retired only after b's Traefik had stopped sending it users: from the apiserver's return on, every
    // user in b was answered 200 by a pod (before that wait, some got Traefik's own 500/502 for 3-15 s).
    const [, samplesB] = await Promise.all(users.map((u) => u.stop()));
    startAllUsers();
    const afterReturn = samplesB.filter((x) => sentAt(x) >= backAt.getTime());
    expect(afterReturn.length).toBeGreaterThan(0);
    expect(
      afterReturn
        .filter((x) => !(x.status === 200 && ['hwayo-production', GREEN].includes(x.namespace)))
        .map(sampleLine),
    ).toEqual([]);
    await expectMovedEverywhere(report.version);
    const own = await expectEachWorkerOnlyInItsCluster(from, new Date());
    // Each cluster's own route went through its own steps, and wave 2 began only once wave 1 was at 100%.
    const routeWrites = (w: AuditWrite[]) => w.filter((x) => x.resource === 'httproutes' && x.code < 300);
    const steps = (w: AuditWrite[]) => [...new Set(routeWrites(w).map((x) => x.greenWeight))];
    expect(steps(own.a)).toEqual([0, 7, 33, 100].filter((x) => steps(own.a).includes(x)));
    expect(steps(own.a)).toEqual(expect.arrayContaining([7, 33, 100]));
    expect(steps(own.b)).toEqual([0, 23, 41, 100].filter((x) => steps(own.b).includes(x)));
    expect(steps(own.b)).toEqual(expect.arrayContaining([23, 41, 100]));
    const aAt100 = own.a.find((w) => w.greenWeight === 100)!.at;
    expect(own.b[0].at > aAt100).toBe(true);
    // The move to 100% in b landed once, after its apiserver was back.
    const to100 = routeWrites(own.b).filter((x) => x.greenWeight === 100);
    expect(to100).toHaveLength(1);
    expect(to100[0].at >= new Date(downAt + 60_000).toISOString()).toBe(true);
    // Region a, done before wave 2, took no write of any worker from b's worker kill to its apiserver's return.
    const workers = [mainJti, ...regions.map((r) => r.jti!)];
    const duringFaults = (await writesIn(a, killedAt, backAt)).filter((w) => workers.includes(w.credential));
    expect(duringFaults).toEqual([]);
    expect(aRoute).toEqual({ 'hwayo-production': 0, [GREEN]: 100 });
    console.log(
      `[measure] multi-cluster release with b's worker killed and its apiserver down: ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s (apiserver down ${(backAt.getTime() - downAt) / 1000} s ` +
        `incl. restart; the move to 100% tried ${seen.moveAttempts} times meanwhile)`,
    );
  }));
