// Runs whole releases for the chaos scenarios: the three kinds of release (healthy, sick canary, sick
// canary whose blue is also broken: the emergency path), each fault-free or with faults injected at
// named points, then the shared invariants (invariants.ts).
import { createServer, type Server } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { stackVar, startFromSeedState } from '../integration/stack';
import type { ReleaseResult } from '../../src/workflows/definitions';
import {
  approveAll,
  closeClient,
  ensureBuilt,
  greenRecovered,
  http,
  newVersion,
  resetApps,
  result,
  sleep,
  startRelease,
  temporalClient,
  until,
  waitHealthyBeforeApproval,
  where,
  WorkerProcess,
  type Where,
} from './harness';
import { checkInvariants, notificationsOf, rdsState, type Summary } from './invariants';
import { cliOk } from '../integration/cli-runner';

export type Kind = 'healthy' | 'sick' | 'emergency';

/** A moment to inject a fault at, recognised from the server's view of the release. */
export interface Point {
  name: string;
  when: (w: Where) => boolean;
  /** Runs just before the fault (e.g. make green sick at 5%). */
  before?: () => Promise<void>;
  /** Runs once the fault is over (e.g. approve, now that a worker answers updates again). */
  after?: (id: string) => Promise<void>;
  /** false: only drives the release (approves, makes green sick), injects nothing. */
  inject?: boolean;
}

export const started = (type: string) => (w: Where) => w.activities.some((a) => a.type === type && a.started);
export const idle = (w: Where) => !w.activities.some((a) => a.started);
export const inStage = (stage: string, weight?: number) => (w: Where) =>
  w.stage === stage && (weight === undefined || w.weight === weight);
export const all =
  (...ps: ((w: Where) => boolean)[]) =>
  (w: Where) =>
    ps.every((p) => p(w));
export const any =
  (...ps: ((w: Where) => boolean)[]) =>
  (w: Where) =>
    ps.some((p) => p(w));

/** Green fails half its requests: the real Prometheus sees it within seconds. */
export const makeGreenSick = async (): Promise<void> =>
  void (await http('POST', `${stackVar('METRICS_APP_GREEN_URL')}/control`, { errorRate: 0.5 }));
/** Blue's health paths answer a second late: a verification of blue stays in flight long enough to be seen. */
export const slowBlueHealth = async (): Promise<void> =>
  void (await http('POST', `${stackVar('METRICS_APP_BLUE_URL')}/control`, { healthDelaySeconds: 1 }));
/** Blue answers 503 on every health path: verifying blue after the rollback fails, so the emergency path runs. */
export const breakBlue = async (): Promise<void> =>
  void (await http('POST', `${stackVar('METRICS_APP_BLUE_URL')}/control`, { healthStatus: 503 }));

/**
 * Back to the seed state: no release of the app running, blue as seeded, route out of maintenance, apps reset.
 * Green's error rate falling back below 1% (up to its 30 s window after a sick release) is awaited by the next
 * approval (harness.ts, `waitHealthyBeforeApproval`), so that wait overlaps the next release's preflight.
 */
export async function seedState(next: 'release' | 'end' = 'release'): Promise<void> {
  await startFromSeedState('hwayo', 'chaos suite starts from the seed state');
  // The re-seed (kube-fixtures.sh) also takes the routes out of the maintenance mode an emergency leaves.
  await resetApps();
  // At the end of a file nothing would await it (the next file's seed state starts its own).
  if (next === 'release') waitHealthyBeforeApproval(greenRecovered());
}

/**
 * A scenario file's last step: the seed state back. The next file's worker installs its identity
 * (worker-kubeconfig.sh) before its first release re-seeds, and that needs blue hwayo-production, which a
 * successful release here retired.
 */
export async function seedStateAtEnd(): Promise<void> {
  const t0 = Date.now();
  await seedState('end').catch(() => undefined);
  timing('seed state at the end (afterAll)', Date.now() - t0);
}

/** Where the suite's time goes: each release's seed, run and checks, printed per file (`printTimings`). */
const timings: string[] = [];
export function timing(what: string, ms: number): void {
  timings.push(`${new Date().toISOString().slice(11, 19)} ${what}: ${(ms / 1000).toFixed(1)} s`);
}
export function printTimings(file: string): void {
  if (timings.length) console.log(`chaos timings (${file}):\n  ${timings.join('\n  ')}`);
}

/** A release in flight with its bookkeeping for the invariants. */
export interface Run {
  id: string;
  kind: Kind;
  version: string;
  from: Date;
  /** When `start` returned. */
  startedAt: number;
  rdsBefore: Awaited<ReturnType<typeof rdsState>>;
}

export async function begin(kind: Kind, planFile: string, taskQueue: string): Promise<Run> {
  const t0 = Date.now();
  await seedState();
  const rdsBefore = await rdsState();
  const from = new Date(Date.now() - 1000);
  const version = newVersion(kind);
  const id = await startRelease(planFile, version, taskQueue);
  timing(`${kind} ${id}: seed state and start`, Date.now() - t0);
  return { id, kind, version, from, startedAt: Date.now(), rdsBefore };
}

/** The fault-free driving of a release: approve, make it sick at 5% (by kind). */
export function defaultPoints(kind: Kind): Point[] {
  const points: Point[] = [{ name: 'approval', when: inStage('awaiting-approval'), after: approveAll, inject: false }];
  if (kind !== 'healthy') {
    points.push({
      name: 'sick at 5%',
      when: inStage('canary', 5),
      after: async () => {
        await makeGreenSick();
        if (kind === 'emergency') await breakBlue();
      },
      inject: false,
    });
  }
  return points;
}

export interface Injection {
  point: string;
  stage?: string;
  weight?: number;
  inFlight: string;
  atMs: number;
  downMs: number;
  /** From starting the process again until it polled its task queue (on a loaded machine, seconds). */
  startMs?: number;
  restartedAt: number;
}

/**
 * Walks the points in order: waits until each holds, runs `fault` (which returns once the fault is over
 * and what it did), then the point's `after`. A point the release passed without being seen is "missed".
 */
export async function drive(
  run: Run,
  points: Point[],
  fault?: (p: Point, w: Where) => Promise<{ downMs: number; startMs?: number; restartedAt: number }>,
): Promise<Injection[]> {
  const handle = (await temporalClient()).workflow.getHandle(run.id);
  const done: Injection[] = [];
  for (const p of points) {
    const w = await until(
      `point "${p.name}" of ${run.id}`,
      async () => {
        const now = await where(handle);
        if (!now.running) return now;
        return p.when(now) ? now : undefined;
      },
      180_000,
      40,
    );
    if (!w.running) {
      done.push({
        point: p.name,
        inFlight: '-',
        atMs: Date.now() - run.from.getTime(),
        downMs: 0,
        restartedAt: 0,
        stage: 'finished (missed)',
      });
      continue;
    }
    await p.before?.();
    const injecting = fault && p.inject !== false;
    const f = injecting ? await fault(p, w) : { downMs: 0, restartedAt: 0 };
    if (injecting) {
      done.push({
        point: p.name,
        stage: w.stage,
        weight: w.weight,
        inFlight:
          w.activities
            .filter((a) => a.started)
            .map((a) => a.type)
            .join('+') || 'none (timer/condition)',
        atMs: Date.now() - run.from.getTime(),
        ...f,
      });
    }
    await p.after?.(run.id);
  }
  return done;
}

/** Waits for the result and checks the invariants (against the fault-free summary when given). */
export async function finish(
  run: Run,
  baseline?: Summary,
): Promise<{ result: ReleaseResult; problems: string[]; summary: Summary }> {
  const r = await result(run.id);
  const t0 = Date.now();
  timing(`${run.kind} ${run.id}: release (start to result, faults included)`, t0 - run.startedAt);
  // Notifications are sent in parallel and may land just after the result: count them once two reads a
  // second apart agree (the sinks are quiet), or fail after 30 s.
  let last: string | undefined;
  await until(
    `the notifications of ${run.id} to settle`,
    async () => {
      const now = JSON.stringify(await notificationsOf(run.version));
      const settled = now === last;
      last = now;
      return settled;
    },
    30_000,
    1_000,
  );
  const { problems, summary } = await checkInvariants(
    { id: run.id, version: run.version, result: r, from: run.from, to: new Date(), rdsBefore: run.rdsBefore },
    baseline,
  );
  timing(`${run.kind} ${run.id}: invariants`, Date.now() - t0);
  return { result: r, problems, summary };
}

/** A fault-free release of `kind`: the summary faulty runs must equal. */
export async function baseline(kind: Kind, planFile: string, taskQueue: string): Promise<Summary> {
  const run = await begin(kind, planFile, taskQueue);
  await drive(run, defaultPoints(kind));
  const f = await finish(run);
  if (f.problems.length)
    throw new Error(`the fault-free ${kind} release broke the invariants:\n${f.problems.join('\n')}`);
  return f.summary;
}

/**
 * The fault-free runs' summaries, recorded (fault-free.json) rather than run in every suite: three whole
 * releases, ~3 of the suite's minutes. Recorded for the short plan whose YAML hashes to `plan`; another plan
 * (the example or shortPlan changed) refuses them until they are recorded again with `RECORD_FAULT_FREE`.
 */
export const FAULT_FREE_FILE = join(__dirname, 'fault-free.json');
export const RECORD_FAULT_FREE = 'HWAYO_CHAOS_FAULT_FREE=record npm run test:chaos -- test/chaos/worker-kill.test.ts';
interface FaultFreeRecord {
  recorded: string;
  command: string;
  plan: string;
  releases: Record<Kind, Omit<Summary, 'id'>>;
}
const planHash = (planFile: string) => createHash('sha256').update(readFileSync(planFile)).digest('hex');

/** Runs the three fault-free releases and writes their summaries to fault-free.json. */
export async function recordFaultFree(planFile: string, taskQueue: string): Promise<Record<Kind, Summary>> {
  const out = {} as Record<Kind, Summary>;
  for (const kind of ['healthy', 'sick', 'emergency'] as const) out[kind] = await baseline(kind, planFile, taskQueue);
  const record: FaultFreeRecord = {
    recorded: new Date().toISOString(),
    command: RECORD_FAULT_FREE,
    plan: planHash(planFile),
    releases: Object.fromEntries(
      Object.entries(out).map(([k, { id: _id, ...rest }]) => [
        k,
        {
          ...rest,
          newSnapshots: rest.newSnapshots.map(() => '(id)'),
          newInstances: rest.newInstances.map(() => '(id)'),
        },
      ]),
    ) as FaultFreeRecord['releases'],
  };
  writeFileSync(FAULT_FREE_FILE, `${JSON.stringify(record, null, 2)}\n`);
  return out;
}

/** The recorded fault-free summaries, refused when recorded for another plan. */
export function recordedFaultFree(planFile: string): Record<Kind, Summary> {
  const record = JSON.parse(readFileSync(FAULT_FREE_FILE, 'utf8')) as FaultFreeRecord;
  if (record.plan !== planHash(planFile))
    throw new Error(
      `${FAULT_FREE_FILE} was recorded ${record.recorded} for another plan (sha256 ${record.plan}, now ${planHash(planFile)}): record it again with ${RECORD_FAULT_FREE}`,
    );
  return Object.fromEntries(
    Object.entries(record.releases).map(([k, v]) => [k, { ...v, id: `fault-free ${k} (recorded ${record.recorded})` }]),
  ) as Record<Kind, Summary>;
}

/** Restart-to-resume: from each restart to the first task the new worker completed (workflow or activity). */
export async function resumeTimes(
  id: string,
  restarts: number[],
  runIds: (string | undefined)[] = [undefined],
): Promise<number[]> {
  const client = await temporalClient();
  // A release that continued as new: the restarted worker's first task may be in the run before the last.
  const events = (
    await Promise.all(runIds.map(async (run) => (await client.workflow.getHandle(id, run).fetchHistory()).events ?? []))
  ).flat();
  const done = events
    .filter((e) => e.workflowTaskCompletedEventAttributes || e.activityTaskCompletedEventAttributes)
    .map((e) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6))
    .sort((a, b) => a - b);
  return restarts.map((t) => {
    const next = done.find((d) => d >= t);
    return next === undefined ? -1 : next - t;
  });
}

/**
 * The worker's Prometheus behind a proxy that answers each query `delayMs` late: analyses last long enough to be caught
 * mid-way.
 */
export async function slowPrometheus(delayMs: number): Promise<{ url: string; server: Server }> {
  const target = stackVar('PROMETHEUS_URL');
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        await sleep(delayMs);
        try {
          const up = await fetch(`${target}${req.url}`, {
            method: req.method,
            headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
            body: chunks.length ? Buffer.concat(chunks) : undefined,
          });
          res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
          res.end(Buffer.from(await up.arrayBuffer()));
        } catch {
          res.writeHead(502).end();
        }
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Kills the worker with SIGKILL and restarts it after a seeded 1-5 s. */
export function killAndRestart(worker: WorkerProcess, rand: () => number) {
  return async (): Promise<{ downMs: number; startMs: number; restartedAt: number }> => {
    await worker.kill9();
    const downMs = 1000 + Math.floor(rand() * 4000);
    await sleep(downMs);
    const t0 = Date.now();
    await worker.start();
    return { downMs, startMs: Date.now() - t0, restartedAt: Date.now() };
  };
}

export function table(rows: Injection[], resumes: number[], outcomes: Record<string, string>): string {
  const head = [
    '#',
    'point',
    'stage',
    'weight',
    'in flight when killed',
    'down ms',
    'start ms',
    'resumed after ms',
    'release outcome',
  ];
  const body = rows.map((r, i) => [
    String(i + 1),
    r.point,
    r.stage ?? '',
    r.weight === undefined ? '' : String(r.weight),
    r.inFlight,
    String(r.downMs),
    r.startMs === undefined ? '' : String(r.startMs),
    resumes[i] === undefined ? '' : String(resumes[i]),
    outcomes[r.point] ?? '',
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => `| ${cells.map((x, c) => x.padEnd(widths[c])).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export { cliOk };

/**
 * A scenario file's setup: a directory, a task queue, the built worker process started before the
 * tests; afterwards `restore` (the component the scenario broke, started again), the worker killed, the
 * seed state back, the client closed.
 */
export function useChaosWorker(
  name: string,
  restore: () => void | Promise<void> = () => undefined,
  o: {
    /** A range of 1,000 ports of the file's own: no stack port, no other chaos file's range. */
    portBase?: number;
    /** Before the worker starts: what its environment overrides (a proxied kubeconfig, its evidence). */
    env?: (dir: string) => Promise<Record<string, string>>;
  } = {},
): { dir: string; taskQueue: string; worker: () => WorkerProcess } {
  const dir = mkdtempSync(join(tmpdir(), `hwayo-chaos-${name}-`));
  const taskQueue = `chaos-${name}-${randomBytes(4).toString('hex')}`;
  let worker: WorkerProcess | undefined;
  beforeAll(async () => {
    const t0 = Date.now();
    ensureBuilt();
    const env = (await o.env?.(dir)) ?? {};
    // 25000-25999 by default: no stack port (region b holds 22379-22380, 26443, 28000-28082).
    worker = new WorkerProcess('worker', dir, taskQueue, (o.portBase ?? 25000) + Math.floor(Math.random() * 1000), env);
    await worker.start();
    timing('worker started (beforeAll)', Date.now() - t0);
  }, 600_000);
  afterAll(async () => {
    const t0 = Date.now();
    await restore();
    timing('component restored (afterAll)', Date.now() - t0);
    await worker?.kill9();
    await seedStateAtEnd();
    printTimings(name);
    await closeClient();
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);
  return { dir, taskQueue, worker: () => worker! };
}
