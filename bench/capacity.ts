// Capacity bench (`npm run bench -- capacity`, bench/capacity.sh): how many live releases one worker
// carries on the two-node Temporal cluster. Releases of the seed plan (analysis every 60 s, canary
// 15 min at 5 %) with one approver, on bench/capacity-worker.ts (production worker options, activities
// that return at once). Ramps N; per step: worker CPU and RSS, workflow task latency and
// schedule-to-start from the SDK's Prometheus endpoint, server and PostgreSQL CPU, load average.
// Then two workers share the releases, and one is killed (SIGKILL): the time until every release
// progresses again on the other. Writes a Markdown section to CAPACITY_OUT.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defaultPlan } from '../src/plan/load';
import { approveSignal, RELEASE_WORKFLOW } from '../src/workflows/definitions';

const ROOT = join(__dirname, '..', '..');
const STACK = process.env.HWAYO_STACK_DIR ?? join(ROOT, '.stack');
const STEPS = (process.env.CAPACITY_STEPS ?? '100,300,1000,3000').split(',').map(Number);
const TWO_WORKERS_AT = Number(process.env.CAPACITY_TWO_WORKERS_AT ?? 1000);
const WINDOW_MS = Number(process.env.CAPACITY_WINDOW_S ?? 120) * 1000;
const WARMUP_MS = Number(process.env.CAPACITY_WARMUP_S ?? 30) * 1000;
/** A step whose releases are not all started and approved within this is stopped as degraded. */
const START_BUDGET_MS = Number(process.env.CAPACITY_START_BUDGET_S ?? 240) * 1000;
/** A step whose workflow-task p99 is above this is degraded (the ramp stops after it); 0: progress alone decides. */
const P99_LIMIT_MS = Number(process.env.CAPACITY_P99_LIMIT_MS ?? 1000);
const OUT = process.env.CAPACITY_OUT ?? join(ROOT, 'bench', '.capacity.md');
const TICK = 100; // USER_HZ
const taskQueue = process.env.CAPACITY_TASK_QUEUE ?? `capacity-${randomBytes(3).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (...a: unknown[]) => console.error(new Date().toISOString().slice(11, 19), ...a);

// ---- process figures from /proc ----
function cpuTicks(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
  } catch {
    return 0;
  }
}
/** CPU ticks of `parent` and its children (PostgreSQL's backends, which each start their own session). */
function treeTicks(parent: number): number {
  let sum = cpuTicks(parent);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === parent) sum += Number(f[11]) + Number(f[12]);
    } catch {
      /* exited */
    }
  }
  return sum;
}
const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const stackPid = (name: string) => Number(readFileSync(join(STACK, 'pids', `${name}.pid`), 'utf8').trim());
/** CAPACITY_SERVER=dev: a private Temporal dev server (SQLite, in-process) instead of the cluster. */
const DEV = process.env.CAPACITY_SERVER === 'dev';
const PORT_BASE = Number(process.env.CAPACITY_WORKER_PORT ?? 19460);

// ---- the SDK's Prometheus metrics ----
type Scrape = Map<string, number>; // series (name + labels) -> value
async function scrape(port: number): Promise<Scrape> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}
/** Bucket counts of histogram `name` (summed over its other labels) between two scrapes. */
function bucketDelta(a: Scrape, b: Scrape, name: string, filter = ''): [number, number][] {
  const by = new Map<number, number>();
  for (const [k, v] of b) {
    if (!k.startsWith(`${name}_bucket{`) || !k.includes(filter)) continue;
    const le = /le="([^"]+)"/.exec(k)?.[1] ?? '+Inf';
    const bound = le === '+Inf' ? Infinity : Number(le);
    by.set(bound, (by.get(bound) ?? 0) + v - (a.get(k) ?? 0));
  }
  return [...by].sort((x, y) => x[0] - y[0]);
}
/** Quantile q from cumulative buckets, interpolated inside the bucket (as PromQL's histogram_quantile). */
function quantile(buckets: [number, number][], q: number): number | undefined {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (!total) return undefined;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (bound === Infinity) return Infinity; // above the highest bucket: printed as "> bound"
      return prevBound + ((bound - prevBound) * (rank - prevCount)) / Math.max(count - prevCount, 1e-9);
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}
const count = (a: Scrape, b: Scrape, name: string) => bucketDelta(a, b, name).at(-1)?.[1] ?? 0;
const gauge = (s: Scrape, name: string) =>
  [...s].filter(([k]) => k === name || k.startsWith(`${name}{`)).reduce((x, [, v]) => x + v, 0);

// ---- workers ----
interface BenchWorker {
  name: string;
  proc: ChildProcess;
  sdkPort: number;
  progressPort: number;
}
function startWorker(name: string, base: number): BenchWorker {
  const out = openSync(join(STACK, 'logs', `capacity-${name}.log`), 'a');
  const proc = spawn(process.execPath, [join(__dirname, 'capacity-worker.js')], {
    env: {
      ...process.env,
      HWAYO_TASK_QUEUE: taskQueue,
      HWAYO_WORKER_HTTP_PORT: String(base),
      HWAYO_SDK_METRICS_PORT: String(base + 1),
      HWAYO_BENCH_PROGRESS_PORT: String(base + 2),
      HWAYO_KUBE_IN_CLUSTER: 'true',
      // CAPACITY_BUNDLE: another prebuilt bundle to compare (the worker options stay the same).
      HWAYO_WORKFLOW_BUNDLE: process.env.CAPACITY_BUNDLE ?? join(ROOT, 'dist', 'workflow-bundle.js'),
    },
    stdio: ['ignore', out, out],
  });
  // Stopping the bench stops its workers (an orphaned worker would keep the ports).
  process.once('SIGTERM', () => proc.kill('SIGTERM'));
  return { name, proc, sdkPort: base + 1, progressPort: base + 2 };
}
async function progress(w: BenchWorker): Promise<Record<string, number>> {
  return (await (await fetch(`http://127.0.0.1:${w.progressPort}/progress`)).json()) as Record<string, number>;
}
async function waitReady(w: BenchWorker): Promise<void> {
  for (let i = 0; i < 120; i++) {
    // A worker that exited (e.g. its ports taken) must not pass for ready through another's ports.
    if (w.proc.exitCode !== null) break;
    if (
      await scrape(w.sdkPort)
        .then(() => progress(w))
        .then(
          () => true,
          () => false,
        )
    )
      return;
    await sleep(1000);
  }
  throw new Error(`worker ${w.name} did not start (see .stack/logs/capacity-${w.name}.log)`);
}

// ---- releases ----
const started: string[] = [];
const approved = new Set<string>();
async function startReleases(client: Client, n: number, deadline: number): Promise<void> {
  const plan = defaultPlan();
  // One approver: the bench measures the workflow, not three people signing.
  plan.approval.requiredRoles = ['tech-lead'];
  let next = started.length;
  const target = n;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < target && Date.now() < deadline) {
        const id = `${taskQueue}-${next++}`;
        await client.workflow.start(RELEASE_WORKFLOW, {
          taskQueue,
          workflowId: id,
          args: [
            {
              plan,
              version: '2.4.0',
              imageTag: '1234-abc1234',
              lastKnownGoodTag: '1200-0ld600d',
              searchAttributes: true,
            },
          ],
        });
        started.push(id);
      }
    }),
  );
  // Approve each release once it waits at the gate (a decision during preflight is refused).
  while (approved.size < started.length && Date.now() < deadline) {
    const waiting: string[] = [];
    for await (const w of client.workflow.list({
      query: `TaskQueue='${taskQueue}' AND HwayoStage='awaiting-approval' AND ExecutionStatus='Running'`,
    }))
      if (!approved.has(w.workflowId)) waiting.push(w.workflowId);
    for (let i = 0; i < waiting.length; i += 32)
      await Promise.all(
        waiting.slice(i, i + 32).map(async (id) => {
          await client.workflow.getHandle(id).signal(approveSignal, {
            approverId: 'tech-lead',
            role: 'tech-lead',
            decision: 'approve',
            comment: 'bench',
          });
          approved.add(id);
        }),
      );
    if (approved.size < started.length) await sleep(3000);
  }
}

interface Sample {
  at: number;
  ticks: Map<string, number>;
  sdk: Map<string, Scrape>;
}
async function sample(workers: BenchWorker[]): Promise<Sample> {
  const ticks = new Map<string, number>();
  for (const w of workers) ticks.set(w.name, cpuTicks(w.proc.pid!));
  if (DEV) ticks.set('server', cpuTicks(stackPid('temporal')));
  else {
    ticks.set('server', cpuTicks(stackPid('temporal-node-1')) + cpuTicks(stackPid('temporal-node-2')));
    ticks.set('postgres', treeTicks(stackPid('postgres')));
  }
  const sdk = new Map<string, Scrape>();
  for (const w of workers) sdk.set(w.name, await scrape(w.sdkPort));
  return { at: Date.now(), ticks, sdk };
}
const cpuPct = (a: Sample, b: Sample, k: string) =>
  (((b.ticks.get(k) ?? 0) - (a.ticks.get(k) ?? 0)) / TICK / ((b.at - a.at) / 1000)) * 100;
/** The SDK's workflow task histograms top out at 1,000 ms (activity schedule-to-start: 10,000). */
const ms = (v: number | undefined, top = 1000) =>
  v === undefined ? '-' : v === Infinity ? `>${top}` : v < 10 ? v.toFixed(1) : Math.round(v).toString();

/** Latency figures of one worker over a window; SDK histograms are in milliseconds. */
function latencies(a: Scrape, b: Scrape) {
  const exec = bucketDelta(a, b, 'temporal_workflow_task_execution_latency');
  const s2s = bucketDelta(a, b, 'temporal_workflow_task_schedule_to_start_latency');
  const act = bucketDelta(a, b, 'temporal_activity_schedule_to_start_latency');
  return {
    tasks: count(a, b, 'temporal_workflow_task_execution_latency'),
    activities: count(a, b, 'temporal_activity_schedule_to_start_latency'),
    execP50: quantile(exec, 0.5),
    execP99: quantile(exec, 0.99),
    s2sP50: quantile(s2s, 0.5),
    s2sP99: quantile(s2s, 0.99),
    actS2sP99: quantile(act, 0.99),
    cached: gauge(b, 'temporal_sticky_cache_size'),
  };
}

const rows: string[] = [];
const benchStart = Date.now();
const notes: string[] = [];

async function measure(label: string, n: number, workers: BenchWorker[]): Promise<{ degraded: string | undefined }> {
  const windowStart = Date.now();
  const a = await sample(workers);
  await sleep(WINDOW_MS);
  const b = await sample(workers);
  const load = loadavg();
  const seen = new Map<string, number>();
  for (const w of workers)
    for (const [id, t] of Object.entries(await progress(w))) seen.set(id, Math.max(seen.get(id) ?? 0, t));
  // Approved releases only: one still at the gate (not approved within the step's budget) has nothing to run.
  const progressed = [...approved].filter((id) => (seen.get(id) ?? 0) >= windowStart).length;
  let degraded: string | undefined;
  for (const w of workers) {
    const l = latencies(a.sdk.get(w.name)!, b.sdk.get(w.name)!);
    const rss = rssMiB(w.proc.pid!);
    rows.push(
      `| ${label} | ${n} | ${w.name} | ${progressed}/${approved.size} | ${cpuPct(a, b, w.name).toFixed(0)} % | ${Math.round(rss)} MiB | ${l.cached} | ${l.tasks} | ${ms(l.execP50)} / ${ms(l.execP99)} | ${ms(l.s2sP50)} / ${ms(l.s2sP99)} | ${ms(l.actS2sP99, 10_000)} | ${cpuPct(a, b, 'server').toFixed(0)} % | ${DEV ? '-' : `${cpuPct(a, b, 'postgres').toFixed(1)} %`} | ${load} |`,
    );
    log(rows.at(-1));
    if (P99_LIMIT_MS > 0 && ((l.execP99 ?? 0) > P99_LIMIT_MS || (l.s2sP99 ?? 0) > 5000))
      degraded = `workflow task p99 ${ms(l.execP99)} ms, schedule-to-start p99 ${ms(l.s2sP99)} ms`;
    if (rss > 1536) degraded = `RSS ${Math.round(rss)} MiB`;
  }
  if (progressed < approved.size * 0.95)
    degraded = `only ${progressed} of ${approved.size} approved releases progressed in ${WINDOW_MS / 1000} s`;
  writeResults(null, benchStart); // null: the bench is still running
  return { degraded };
}

/** Writes the section so far (after every window, so a bench stopped early still leaves its figures). */
function writeResults(stoppedAt: string | undefined | null, tBench: number): void {
  const plan = defaultPlan();
  writeFileSync(
    OUT,
    [
      `## Capacity: live releases on ${DEV ? 'the Temporal dev server' : 'the two-node Temporal cluster'} (${new Date().toISOString().slice(0, 16)}Z)`,
      '',
      `\`npm run bench -- capacity\` (bench/capacity.sh, bench/capacity.ts). Machine: ${process.env.CAPACITY_MACHINE ?? 'unknown'}; the cores are shared with other work, so the load average (1/5/15 min, at the end of each window) is next to every figure. ${DEV ? 'Server: the Temporal CLI dev server (SQLite), on the same cores.' : `Server v1.32.2, two nodes (all services each) on PostgreSQL 16, ${process.env.NUM_HISTORY_SHARDS ?? 16} shards, behind the TCP balancer.`} Releases: the seed plan (analysis every ${plan.canary.analysisIntervalMs / 1000} s, canary watch ${plan.canary.steps[0].watchMs / 60_000} min at ${plan.canary.steps[0].weight} %), one approver, approved as soon as each waits at the gate; so at measurement time each release is in its canary, running one analysis (metrics + health activities) a minute. Activities are the test fakes (test/workflows/fake-world.ts), returning at once: the figures are the workflow side (Temporal, workflow tasks, worker cache), not Kubernetes or Prometheus. Worker: bench/capacity-worker.ts = src/worker/start.ts's Worker options, worker tuning ${['HWAYO_MAX_CACHED_WORKFLOWS', 'HWAYO_MAX_CONCURRENT_WORKFLOW_TASKS', 'HWAYO_STICKY_QUEUE_TIMEOUT_MS'].map((k) => `${k}=${process.env[k] ?? 'default'}`).join(', ')}. Window ${WINDOW_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up; latencies from the SDK's Prometheus histograms (ms, interpolated in buckets); CPU from /proc (100 % = one core); whole bench ${((Date.now() - tBench) / 60_000).toFixed(0)} min.`,
      '',
      '| phase | N | worker | approved releases progressing in window | worker CPU | worker RSS | cached workflows | workflow tasks | WFT execution p50 / p99 (ms) | WFT schedule-to-start p50 / p99 (ms) | activity schedule-to-start p99 (ms) | server CPU (2 nodes) | PostgreSQL CPU | load avg |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      ...notes.map((n) => `- ${n}`),
      stoppedAt === null
        ? '- (Written mid-run: the bench did not finish.)'
        : stoppedAt
          ? `- Ramp stopped at N=${stoppedAt}.`
          : '- Every step completed.',
      '',
    ].join('\n'),
  );
}

/** A second worker joins, the first restarts, both share the releases; then the second is killed. */
async function twoWorkers(first: BenchWorker): Promise<[BenchWorker, BenchWorker[]]> {
  let a = first;
  let workers: BenchWorker[];
  // Two workers: a second joins, then the first restarts (a rolling deploy), so every cached
  // release is re-placed on whichever worker polls its next task first.
  const b = startWorker('worker-2', PORT_BASE + 10);
  await waitReady(b);
  a.proc.kill('SIGTERM');
  await new Promise((r) => a.proc.once('exit', r));
  a = startWorker('worker-1', PORT_BASE);
  await waitReady(a);
  workers = [a, b];
  await sleep(WARMUP_MS + 60_000);
  await measure('two workers', started.length, workers);
  // kill -9 worker-2: its sticky queue stops being polled; the server hands its releases' tasks
  // to the normal queue after the sticky schedule-to-start timeout; in-flight activities time out.
  const before = await progress(b);
  const onB = [...approved].filter((id) => before[id] !== undefined);
  const tKill = Date.now();
  b.proc.kill('SIGKILL');
  workers = [a];
  let lastMoved = 0;
  const moved = new Set<string>();
  const allIds = new Set(approved);
  while (Date.now() - tKill < 180_000) {
    const p = await progress(a);
    for (const id of allIds)
      if ((p[id] ?? 0) > tKill && !moved.has(id)) {
        moved.add(id);
        lastMoved = Math.max(lastMoved, p[id] - tKill);
      }
    if (moved.size === allIds.size) break;
    await sleep(1000);
  }
  const movedB = onB.filter((id) => moved.has(id)).length;
  notes.push(
    `Two workers, kill -9 of worker-2 (it had served ${onB.length} of the ${approved.size} approved releases): ${moved.size}/${allIds.size} approved releases progressed on worker-1 within ${(lastMoved / 1000).toFixed(0)} s of the kill (${movedB}/${onB.length} of worker-2's); with analysis every 60 s, 60 s is the no-failure bound (load ${loadavg()}).`,
  );
  log(notes.at(-1));
  await sleep(WARMUP_MS);
  await measure('one worker after kill', started.length, workers);
  return [a, workers];
}

async function main(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:17240';
  const client = new Client({ connection: await Connection.connect({ address }), namespace: 'default' });
  log(`task queue ${taskQueue}, steps ${STEPS.join(',')}`);
  let a = startWorker('worker-1', PORT_BASE);
  await waitReady(a);
  let workers = [a];
  const tBench = Date.now();
  let stoppedAt: string | undefined;
  let twoDone = false;
  try {
    for (const n of STEPS) {
      const t0 = Date.now();
      await startReleases(client, n, t0 + START_BUDGET_MS);
      const startMs = Date.now() - t0;
      log(`N=${n}: ${started.length} started, ${approved.size} approved in ${startMs} ms`);
      if (approved.size < n) {
        notes.push(
          `N=${n}: only ${started.length} started and ${approved.size} approved within the ${START_BUDGET_MS / 1000} s budget (load ${loadavg()}); measured as is, ramp stopped.`,
        );
        stoppedAt = `${n} (start budget)`;
      } else
        notes.push(
          `N=${n}: started and approved ${n - (STEPS[STEPS.indexOf(n) - 1] ?? 0)} releases in ${(startMs / 1000).toFixed(0)} s.`,
        );
      await sleep(WARMUP_MS);
      const { degraded } = await measure('one worker', started.length, workers);
      if (degraded) {
        notes.push(`N=${n}: degraded: ${degraded}.`);
        stoppedAt ??= `${n} (${degraded})`;
      }
      // Two workers at TWO_WORKERS_AT, or at the last step the ramp reached (CAPACITY_TWO_WORKERS_AT=0: never).
      if ((n === TWO_WORKERS_AT || (stoppedAt && TWO_WORKERS_AT > 0)) && !twoDone) {
        twoDone = true;
        [a, workers] = await twoWorkers(a);
      }
      if (stoppedAt) break;
    }
  } finally {
    for (const w of workers) w.proc.kill('SIGTERM');
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.proc.exitCode !== null ? r(0) : w.proc.once('exit', r)))),
    );
  }
  writeResults(stoppedAt, tBench);
  log(`wrote ${OUT}`);
  await client.connection.close();
}

process.once('SIGTERM', () => setTimeout(() => process.exit(143), 100));
main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(err);
    process.exit(1);
  },
);
