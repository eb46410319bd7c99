// The chaos suite's machinery: the real worker process (`node dist/src/worker.js`, as in production)
// that a scenario kills with SIGKILL and restarts, short release plans, the CLI driving a release,
// a seeded random source, and where a release is (read from the server, so it works with no worker).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { parse as parseYaml, stringify } from 'yaml';
import { cliOk, startArgv } from '../integration/cli-runner';
import { stackEnv, stackVar } from '../integration/stack';
import type { ReleaseResult } from '../../src/workflows/definitions';

export const ROOT = join(__dirname, '..', '..');
export const EVIDENCE = join(ROOT, 'test', 'fixtures', 'evidence');
export const WORKER_SA = 'system:serviceaccount:hwayo-release:hwayo-release-worker';
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `npm run build` unless dist/ is newer than every source file (the suite's files share one build). */
export function ensureBuilt(): void {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce(
      (m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs),
      0,
    );
  const built = join(ROOT, 'dist', 'src', 'worker.js');
  const bundle = join(ROOT, 'dist', 'workflow-bundle.js');
  if (existsSync(built) && existsSync(bundle) && statSync(bundle).mtimeMs > newest(join(ROOT, 'src'))) return;
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
}

/** A seeded random source (mulberry32): a failing run is repeated with HWAYO_CHAOS_SEED=<printed seed>. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const chaosSeed = (): number => Number(process.env.HWAYO_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** The worker's least-privilege kubeconfig (scripts/worker-kubeconfig.sh), made once per directory. */
export function workerKubeconfig(dir: string): string {
  const file = join(dir, 'worker.kubeconfig');
  if (!existsSync(file))
    execFileSync('bash', [join(ROOT, 'scripts', 'worker-kubeconfig.sh'), file], {
      env: stackEnv(),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  return file;
}

/**
 * The real worker process on a task queue. `kill9()` is an unclean death (SIGKILL: no drain, no
 * goodbye to the server); `start()` again is the restart a process supervisor would do.
 */
export class WorkerProcess {
  child?: ChildProcess;
  readonly pids: number[] = [];
  log = '';
  private readonly configFile: string;

  constructor(
    readonly name: string,
    dir: string,
    readonly taskQueue: string,
    readonly httpPort: number,
    overrides: Record<string, string> = {},
  ) {
    const env = stackEnv();
    const pick = (...names: string[]) => Object.fromEntries(names.filter((n) => env[n]).map((n) => [n, env[n]]));
    this.configFile = join(dir, `${name}.yaml`);
    writeFileSync(
      this.configFile,
      stringify({
        ...pick(
          'TEMPORAL_ADDRESS',
          'TEMPORAL_NAMESPACE',
          'PROMETHEUS_URL',
          'AWS_REGION',
          'AWS_ENDPOINT_URL',
          'AWS_ACCESS_KEY_ID',
          'AWS_SECRET_ACCESS_KEY',
          'DATABASE_URL',
          'REDIS_URL',
          'PAGERDUTY_EVENTS_URL',
          'PAGERDUTY_ROUTING_KEY',
          'SMTP_URL',
          'HWAYO_TLS_CA_FILE',
          'SLACK_WEBHOOK_URL_HWAYO_CRITICAL',
          'SLACK_WEBHOOK_URL_HWAYO_ALERTS',
          'SLACK_WEBHOOK_URL_HWAYO_RELEASES',
          // The stack's HWAYO_POLICY=none: without it the worker reads the platform's ConfigMap and refuses.
          'HWAYO_POLICY',
          // The stack's HWAYO_CODEC=off: this harness's client writes plaintext, which a keyed worker refuses.
          'HWAYO_CODEC',
        ),
        KUBECONFIG: workerKubeconfig(dir),
        HWAYO_EVIDENCE_ROOT: EVIDENCE,
        HWAYO_TASK_QUEUE: taskQueue,
        HWAYO_WORKER_HTTP_PORT: httpPort,
        HWAYO_SDK_METRICS_PORT: 0,
        HWAYO_SHUTDOWN_GRACE_MS: 2000,
        HWAYO_LOG_LEVEL: 'WARN',
        ...overrides,
      }),
    );
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and waits until it polls its task queue (/readyz). */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'worker.js')], {
      env: { PATH: process.env.PATH, HWAYO_WORKER_CONFIG: this.configFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.pids.push(child.pid!);
    const keep = (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    // Generous: on the shared 2-core machine a cold start has taken over 60 s (load average 24).
    const deadline = Date.now() + 150_000;
    for (;;) {
      if (!this.running) throw new Error(`worker ${this.name} exited at start:\n${this.log}`);
      const ok = await fetch(`http://127.0.0.1:${this.httpPort}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`worker ${this.name} not ready in 150 s:\n${this.log}`);
      await sleep(100);
    }
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([gone, sleep(15_000)]);
    if (this.running) await this.kill9();
  }
}

export interface PlanOptions {
  steps?: { weight: number; watch: string }[];
  analysisInterval?: string;
  fullSwitch?: string;
  blueKeep?: string;
  inconclusiveLimit?: number;
  onInconclusive?: 'pause' | 'rollback';
  /** Fewer checks keep the preflight short; the release-baseline check is always there. */
  checks?: 'all' | 'few';
  greenReadyTimeout?: string;
}

/** The preflight checks a chaos plan keeps (`checks: 'few'`): the release-baseline check and a quick few. */
export const FEW_CHECKS: ReadonlySet<string> = new Set([
  'kubernetes-nodes-ready',
  'release-baseline',
  'database-accepting-connections',
  'redis-ping',
  'security-evidence',
  'monitoring-health',
  'prometheus-targets-up',
]);

/** A copy of the local plan (examples/local-metrics-app-plan.yaml) with seconds-long windows. */
export function shortPlan(dir: string, name: string, o: PlanOptions = {}): string {
  const local = readFileSync(join(ROOT, 'examples', 'local-metrics-app-plan.yaml'), 'utf8');
  const doc = parseYaml(local) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  doc.canary.steps = o.steps ?? [
    { weight: 5, watch: '6s' },
    { weight: 25, watch: '6s' },
    { weight: 50, watch: '6s' },
  ];
  doc.canary.analysisInterval = o.analysisInterval ?? '2s';
  doc.canary.inconclusiveLimit = o.inconclusiveLimit ?? 3;
  doc.canary.onInconclusive = o.onInconclusive ?? 'pause';
  doc.fullSwitch.watch = o.fullSwitch ?? '5s';
  doc.retention.blueKeep = o.blueKeep ?? '8s';
  doc.rollback = { blueReadyTimeout: '20s' };
  doc.green = { readyTimeout: o.greenReadyTimeout ?? '60s' };
  doc.database = { snapshotTimeout: '2m', restoreTimeout: '2m' };
  if ((o.checks ?? 'few') === 'few') {
    doc.preflight.checks = (doc.preflight.checks as { name: string }[]).filter((c) => FEW_CHECKS.has(c.name));
  }
  const file = join(dir, `${name}.yaml`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, stringify(doc));
  return file;
}

export const newVersion = (what: string) => `3.0.0-chaos.${what}.${randomBytes(3).toString('hex')}`;

/** `hwayo-release start` as CI runs it; returns the release id. */
export async function startRelease(planFile: string, version: string, taskQueue: string): Promise<string> {
  const out = await cliOk(...startArgv(planFile, version, taskQueue, 'chaos-suite'));
  return out.trim();
}

/** The three roles approve through the CLI (the local plan allows unsigned decisions). */
export async function approveAll(id: string): Promise<void> {
  await approveSome(id, 0, 3);
}

/** Approvers `from`..`to` (of alice, bob, carol) approve, once the apps are healthy (see `appsHealthy`). */
export async function approveSome(id: string, from: number, to: number): Promise<void> {
  await appsHealthy;
  for (const [who, role] of APPROVERS.slice(from, to)) {
    await cliOk('approve', id, '--as', who, '--comment', `${role} ok (chaos)`);
  }
}
const APPROVERS = [
  ['alice', 'tech-lead'],
  ['bob', 'product-manager'],
  ['carol', 'qa-lead'],
];

/**
 * Green's recent error rate falling below 1% after a sick release takes up to its 30 s window. The wait runs
 * beside the next release's preflight and is awaited before its approval (the canary, which would see the
 * errors, starts only after it), so that half minute overlaps work the next release does anyway.
 */
let appsHealthy: Promise<void> = Promise.resolve();
export function waitHealthyBeforeApproval(wait: Promise<void>): void {
  appsHealthy = wait;
  appsHealthy.catch(() => undefined); // awaited (and thrown) by the approval
}

let clientPromise: Promise<Client> | undefined;
export function temporalClient(): Promise<Client> {
  clientPromise ??= Connection.connect({ address: stackVar('TEMPORAL_ADDRESS') }).then(
    (connection) => new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' }),
  );
  return clientPromise;
}
export async function closeClient(): Promise<void> {
  if (clientPromise) await (await clientPromise).connection.close();
  clientPromise = undefined;
}

/**
 * Where a release is, from the server alone (no worker needed): stage and weight search attributes, activities in
 * flight.
 */
export interface Where {
  running: boolean;
  /** The run being described: a continue-as-new changes it (same workflow id). */
  runId: string;
  historyLength: number;
  stage?: string;
  weight?: number;
  activities: { type: string; started: boolean; attempt: number }[];
}
export async function where(handle: WorkflowHandle): Promise<Where> {
  const d = await handle.describe();
  const sa = d.searchAttributes as Record<string, unknown[]>;
  return {
    running: d.status.name === 'RUNNING',
    runId: d.runId,
    historyLength: d.historyLength,
    stage: sa.HwayoStage?.[0] as string | undefined,
    weight: sa.HwayoCanaryWeight?.[0] as number | undefined,
    activities: (d.raw.pendingActivities ?? []).map((a) => ({
      type: a.activityType?.name ?? '?',
      started: Number(a.state) === 2,
      attempt: a.attempt ?? 1,
    })),
  };
}

/** Polls `probe` (a throw counts as "not yet") until it returns a value. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 120_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export async function result(id: string): Promise<ReleaseResult> {
  return (await temporalClient()).workflow.getHandle(id).result() as Promise<ReleaseResult>;
}

export async function http<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Green's error rate over 30 s (the plan's window): a sick spell of an earlier scenario lingers in it. */
export async function greenErrorRate(namespace = 'hwayo-production-green'): Promise<number> {
  const q = `sum(rate(http_requests_total{namespace="${namespace}",status=~"5.."}[30s])) / sum(rate(http_requests_total{namespace="${namespace}"}[30s])) * 100`;
  const r = await http<{ data: { result: { value: [number, string] }[] } }>(
    'GET',
    `${stackVar('PROMETHEUS_URL')}/api/v1/query?query=${encodeURIComponent(q)}`,
  );
  return r.data.result.length ? Number(r.data.result[0].value[1]) : 0;
}

/**
 * Prometheus answers green's request rate over the plan's 30 s window again: after a restart it needs two fresh
 * scrapes, and an analysis before them is (rightly) inconclusive.
 */
export async function greenRateReadable(namespace = 'hwayo-production-green'): Promise<void> {
  const q = `sum(rate(http_requests_total{namespace="${namespace}"}[30s]))`;
  const url = `${stackVar('PROMETHEUS_URL')}/api/v1/query?query=${encodeURIComponent(q)}`;
  await until(
    `Prometheus answers ${q}`,
    async () => (await http<{ data: { result: unknown[] } }>('GET', url)).data.result.length > 0,
    60_000,
    250,
  );
}

/** The metrics apps healthy and green's recent error rate low: the state every scenario starts from. */
export async function healthyApps(): Promise<void> {
  await resetApps();
  await greenRecovered();
}
export async function resetApps(): Promise<void> {
  await http('POST', `${stackVar('METRICS_APP_GREEN_URL')}/control/reset`, {});
  await http('POST', `${stackVar('METRICS_APP_BLUE_URL')}/control/reset`, {});
}
export async function greenRecovered(): Promise<void> {
  await until('green error rate below 1%', async () => (await greenErrorRate()) < 1, 90_000, 1000);
}

const STACK_DIR = process.env.HWAYO_STACK_DIR ?? join(ROOT, '.stack');

/**
 * Kills a stack process (its process group, by the pid in .stack/pids/NAME.pid, or region b's under
 * .stack/region-b) with `signal`, and waits until it is gone.
 */
export async function killStackProcess(name: string, signal: NodeJS.Signals = 'SIGKILL', region?: 'b'): Promise<void> {
  const dir = region ? join(STACK_DIR, `region-${region}`) : STACK_DIR;
  const pid = Number(readFileSync(join(dir, 'pids', `${name}.pid`), 'utf8').trim());
  try {
    process.kill(-pid, signal);
  } catch {
    process.kill(pid, signal);
  }
  await until(
    `${name} (pid ${pid}) gone`,
    async () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    },
    30_000,
    50,
  );
}

/** `scripts/stack/components/COMPONENT.sh start`: starts what of it is not running, waits until it is ready. */
export function startComponent(component: string): void {
  execFileSync('bash', [join(ROOT, 'scripts', 'stack', 'components', `${component}.sh`), 'start'], {
    env: process.env,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 240_000,
  });
}

/**
 * `kube.sh start-process NAME`: one control-plane process (kube-etcd, kube-apiserver) started again alone; in
 * region b through `region-b.sh start-process NAME`.
 */
export function startKubeProcess(name: 'kube-etcd' | 'kube-apiserver', region?: 'b'): void {
  const script = region ? `region-${region}.sh` : 'kube.sh';
  execFileSync('bash', [join(ROOT, 'scripts', 'stack', 'components', script), 'start-process', name], {
    env: process.env,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 180_000,
  });
}
