// One release in the time-skipping environment: a fresh fake world, a worker on its own task queue,
// the workflow started and (unless told otherwise) approved by every role.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { releaseWorkflow } from '../../src/workflows';
import {
  abortSignal,
  approveSignal,
  statusQuery,
  type ReleaseInput,
  type ReleaseStatus,
} from '../../src/workflows/definitions';
import { incidentIdOf, incidentStatusQuery } from '../../src/workflows/incident-definitions';
import { defaultPlan } from '../../src/plan/load';
import type { ReleasePlan } from '../../src/plan/types';
import { createWorker, ROLES, uniqueId, waitForStatus } from './env';
import { FakeWorld, type Scripts } from './fake-world';

export type Handle = WorkflowHandleWithFirstExecutionRunId<typeof releaseWorkflow>;

export interface Run {
  world: FakeWorld;
  handle: Handle;
  status: () => Promise<ReleaseStatus>;
  waitFor: (predicate: (s: ReleaseStatus) => boolean) => Promise<ReleaseStatus>;
}

export interface RunOptions {
  scripts?: Scripts;
  plan?: (plan: ReleasePlan) => void;
  input?: Partial<ReleaseInput>;
  approve?: boolean;
}

/** Runs `body` with a worker serving one release; returns what body returns. */
export async function withRelease<T>(
  env: TestWorkflowEnvironment,
  workflowBundle: WorkflowBundleWithSourceMap,
  opts: RunOptions,
  body: (run: Run) => Promise<T>,
): Promise<T> {
  const world = new FakeWorld(opts.scripts);
  const taskQueue = uniqueId('tq');
  const plan = defaultPlan();
  opts.plan?.(plan);
  const worker = await createWorker(env, workflowBundle, world.activities(), taskQueue);
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start(releaseWorkflow, {
      // Without a policy the tests ask for no incidents unless they test them; a policy decides for itself
      // (src/policy/incidents.ts), and an incident it opens is terminated below.
      args: [
        {
          plan,
          version: '2.4.0',
          imageTag: '1234-abc1234',
          lastKnownGoodTag: '1200-0ld600d',
          ...(opts.scripts?.policy ? {} : { incidents: false }),
          ...opts.input,
        },
      ],
      taskQueue,
      workflowId: uniqueId('release'),
    });
    const status = () => handle.query(statusQuery);
    if (opts.approve !== false) {
      // The gate takes decisions only once preflight has passed (a decision during preflight is refused).
      const s = await waitForStatus(
        status,
        (x) => x.stage !== 'preflight',
        () => env.sleep(1_000),
      );
      if (s.stage === 'awaiting-approval') {
        for (const role of ROLES)
          await handle.signal(approveSignal, { approverId: role, role, decision: 'approve', comment: `${role} ok` });
      }
    }
    try {
      // Workflow time is skipped between polls only while no activity runs: a held fake activity would
      // outlive its 10 s heartbeat timeout (patch fast-recovery) in skipped time and be retried.
      const skip = (ms: number) => (world.inFlight > 0 ? Promise.resolve() : env.sleep(ms));
      return await body({ world, handle, status, waitFor: (p) => waitForStatus(status, p, skip) });
    } finally {
      // A release left open (or terminated mid-activity) holds the test server's clock: it does not
      // skip time while a task is outstanding. Cancel it while the worker still runs and let it finish.
      // (The test server also rejects cancelling an activity that just completed, so the harness
      // ends a release with an abort, and cancels only while the release waits in retention.)
      if ((await handle.describe()).status.name === 'RUNNING') {
        const { stage } = await status();
        if (stage === 'retention') await handle.cancel();
        else await handle.signal(abortSignal, { by: 'test-harness', reason: 'test finished' });
        await handle.result().catch(() => undefined);
      }
      await endIncident(env, handle.workflowId);
    }
  });
}

/**
 * Terminates the release's incident (a child it abandons) while the worker still runs: left open, its
 * timers fire with no worker once the test's worker stops, and the test server stops skipping time.
 */
async function endIncident(env: TestWorkflowEnvironment, releaseId: string): Promise<void> {
  const incident = env.client.workflow.getHandle(incidentIdOf(releaseId));
  const running = await incident
    .describe()
    .then((d) => d.status.name === 'RUNNING')
    .catch(() => false);
  if (!running) return;
  // Ended while a task or an activity of it is outstanding, it would leave the test server's clock locked: let its
  // first task run (the query waits for it) and its activities finish (no time is skipped meanwhile, so none starts).
  for (let i = 0; ; i++) {
    await incident.query(incidentStatusQuery);
    if (!(await incident.describe()).raw.pendingActivities?.length) break;
    if (i >= 300) throw new Error(`incident ${incident.workflowId}: an activity still pending after 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await incident.terminate('test finished');
}

export const MIN = 60_000;
export const HOUR = 60 * MIN;

/** A duration of a history event (e.g. an activity's start-to-close) in seconds. */
export const durationSeconds = (d?: { seconds?: unknown; nanos?: number | null } | null): number =>
  Number(d?.seconds ?? 0) + (d?.nanos ?? 0) / 1e9;

/** The names of the `patched()` markers in `events`, in order (each marker's payload is `{"id": name, ...}`). */
export const patchIds = (events: temporal.api.history.v1.IHistoryEvent[]): string[] =>
  events
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
    .flatMap((e) => Object.values(e.markerRecordedEventAttributes!.details ?? {}))
    .flatMap((p) => p.payloads ?? [])
    .map((p) => (JSON.parse(Buffer.from(p.data ?? []).toString('utf8')) as { id: string }).id);

/** The history of every run of a release, first run first (a release continues as new; checkpoint.ts). */
export async function runHistories(
  env: TestWorkflowEnvironment,
  handle: Handle,
): Promise<temporal.api.history.v1.IHistoryEvent[][]> {
  const runs: temporal.api.history.v1.IHistoryEvent[][] = [];
  for (let runId: string | undefined = handle.firstExecutionRunId; runId;) {
    const events: temporal.api.history.v1.IHistoryEvent[] =
      (await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory()).events ?? [];
    runs.push(events);
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}
