// Chaos 2: two worker processes on one task queue; the one running green's rollout wait (a heartbeating
// activity) is SIGKILLed and not restarted. The other worker takes the activity over once its heartbeat
// times out and finishes the release; nothing is written twice (green's Deployments created once, the
// route once per move: kube-apiserver audit log).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stackEnv } from '../integration/stack';
import { approveAll, closeClient, ensureBuilt, shortPlan, temporalClient, until, WorkerProcess } from './harness';
import { begin, finish, seedState } from './releases';
import { workerWrites } from './invariants';

jest.setTimeout(10 * 60_000);
const dir = mkdtempSync(join(tmpdir(), 'hwayo-chaos-two-'));
const taskQueue = `chaos-two-${randomBytes(4).toString('hex')}`;
const port = 24000 + Math.floor(Math.random() * 1000);
const workers: WorkerProcess[] = [];
const NODES = ['kwok-node-1', 'kwok-node-2', 'kwok-node-3'];
const kubectl = (...args: string[]) => {
  const env = stackEnv();
  execFileSync(env.HWAYO_KUBECTL!, ['--kubeconfig', env.KUBECONFIG!, ...args], { stdio: 'ignore' });
};

beforeAll(async () => {
  ensureBuilt();
  workers.push(new WorkerProcess('a', dir, taskQueue, port), new WorkerProcess('b', dir, taskQueue, port + 1));
  for (const w of workers) await w.start();
}, 600_000);

afterAll(async () => {
  kubectl('uncordon', ...NODES);
  for (const w of workers) await w.kill9();
  await seedState().catch(() => undefined);
  await closeClient();
  rmSync(dir, { recursive: true, force: true });
}, 300_000);

test('chaos 2: the worker running the rollout wait dies; the other takes it over after the heartbeat timeout and finishes, nothing written twice', async () => {
  const run = await begin('healthy', shortPlan(dir, 'plan', { greenReadyTimeout: '180s' }), taskQueue);
  const handle = (await temporalClient()).workflow.getHandle(run.id);
  await until(
    'awaiting approval',
    async () => (await handle.describe()).searchAttributes.HwayoStage?.[0] === 'awaiting-approval',
  );
  // No node takes pods: green's rollout waits (and heartbeats) until the nodes come back.
  kubectl('cordon', ...NODES);
  await approveAll(run.id);
  const pending = await until('waitForRollout running', async () => {
    const d = await handle.describe();
    return (d.raw.pendingActivities ?? []).find(
      (a) => a.activityType?.name === 'waitForRollout' && Number(a.state) === 2,
    );
  });
  // Let it heartbeat once, then kill the worker that runs it.
  await new Promise((r) => setTimeout(r, 3000));
  const identity = pending.lastWorkerIdentity ?? '';
  const victim = workers.find((w) => w.pids.some((p) => identity.startsWith(`${p}@`)));
  expect(victim).toBeDefined();
  const survivor = workers.find((w) => w !== victim)!;
  const killedAt = Date.now();
  await victim!.kill9();
  kubectl('uncordon', ...NODES);
  // The scheduler may back off from pods it found unschedulable: their ReplicaSets make new ones at once.
  kubectl('-n', 'hwayo-production-green', 'delete', 'pods', '--all', '--wait=false');

  const f = await finish(run);
  expect(f.problems).toEqual([]);
  expect(f.result.outcome).toBe('succeeded');

  // The retry ran on the survivor, after the 10 s heartbeat timeout (patch fast-recovery; 30 s before), and completed.
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'waitForRollout')
    .map((e) => String(e.eventId));
  const rollout = events.filter(
    (e) =>
      e.activityTaskStartedEventAttributes &&
      scheduled.includes(String(e.activityTaskStartedEventAttributes.scheduledEventId)),
  );
  const first = rollout.find((e) => String(e.activityTaskStartedEventAttributes!.scheduledEventId) === scheduled[0])!;
  const attrs = first.activityTaskStartedEventAttributes!;
  // Temporal writes the started event of a retried activity once it ends: the last attempt and who ran it.
  expect(attrs.attempt).toBeGreaterThanOrEqual(2);
  expect(survivor.pids.some((p) => attrs.identity?.startsWith(`${p}@`))).toBe(true);
  const completed = events.find(
    (e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === scheduled[0],
  )!;
  const takeoverMs = Number(completed.eventTime!.seconds) * 1000 - killedAt;
  console.log(
    `rollout wait taken over by the other worker and completed ${takeoverMs} ms after the kill (heartbeat timeout 10 s)`,
  );
  // Not before the last heartbeat (at most 3 s before the kill) has timed out; well before the old 30 s.
  expect(takeoverMs).toBeGreaterThan(6_000);
  expect(takeoverMs).toBeLessThan(30_000);

  // Green's six Deployments were applied (server-side apply: a patch) once each: no double write.
  const deployments = (await workerWrites('deployments', 'hwayo-production-green', run.from, new Date())).filter(
    (w) => w.verb === 'create' || w.verb === 'patch',
  );
  expect(deployments.map((d) => d.name).sort()).toEqual([...new Set(deployments.map((d) => d.name))].sort());
  expect(deployments).toHaveLength(6);
});
