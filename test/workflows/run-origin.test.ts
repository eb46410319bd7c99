// Temporal gives every cron run and every workflow-retry run the ORIGINAL input and
// sets continuedFromExecutionRunId, so a forged `carried` state (full switch, nothing owed) started
// with a cron schedule would skip preflight and the approval gate on its second run. A release must never
// re-run itself: a cron schedule or a retry policy is refused before any command.
import type { WorkflowStartOptions } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { defaultPlan } from '../../src/plan/load';
import { releaseWorkflow } from '../../src/workflows';
import type { Carried } from '../../src/workflows/checkpoint';
import type { ReleaseInput, ReleaseResult } from '../../src/workflows/definitions';
import { createWorker, uniqueId, useWorkflowEnv, waitForStatus } from './env';
import { FakeWorld } from './fake-world';

jest.setTimeout(120_000);
const t = useWorkflowEnv();

/** A hand-made state that claims the release is at the full switch with nothing to undo. */
const forged: Carried = {
  state: {
    startedAt: '2026-12-01T00:00:00.000Z',
    blue: 'hwayo-production',
    green: 'hwayo-production-green',
    stage: 'full-switch',
    step: 4,
    greenWeight: 100,
    weights: [100],
    approvals: [],
    audit: [],
    timeline: [],
    preflightRuns: [],
    steps: [],
    analyses: [],
    control: {},
    blueReplicas: {},
    notificationSeq: 0,
    gate: { opened: true, decided: 'approved' },
    saga: [],
    sagaRan: [],
    runs: 1,
  },
  at: {
    stage: 'full-switch',
    step: 4,
    window: { elapsedMs: 0, pausedMs: 0, counts: { inconclusiveRun: 0, healthFailures: 0 } },
  },
};

const input = (extra: Partial<ReleaseInput> = {}): ReleaseInput => ({
  plan: defaultPlan(),
  version: '2.4.0',
  imageTag: '1234-abc1234',
  ...extra,
});

interface RunRecord {
  /** The event types of the run's history. */
  types: string[];
  continuedFrom?: string;
  /** The run's result when it completed (a cron run's history ends continued-as-new, without it). */
  result?: ReleaseResult;
  next?: string;
}

async function runRecord(workflowId: string, runId: string): Promise<RunRecord> {
  const events = (await t.env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  const last = events[events.length - 1];
  const done = last?.workflowExecutionCompletedEventAttributes;
  const result = done?.result?.payloads?.[0];
  return {
    types: events.map((e) => temporal.api.enums.v1.EventType[e.eventType ?? 0]),
    continuedFrom: events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined,
    result: result ? defaultPayloadConverter.fromPayload(result) : undefined,
    next:
      (done?.newExecutionRunId || last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId) ?? undefined,
  };
}

/** Starts a release with `options` and lets `runs` of its runs end: their records and the fake world. */
async function started(
  options: Partial<WorkflowStartOptions>,
  args: ReleaseInput,
  runs: number,
): Promise<{ world: FakeWorld; records: RunRecord[] }> {
  const world = new FakeWorld();
  const taskQueue = uniqueId('tq');
  const worker = await createWorker(t.env, t.bundle, world.activities(), taskQueue);
  return worker.runUntil(async () => {
    const handle = await t.env.client.workflow.start(releaseWorkflow, {
      ...options,
      args: [args],
      taskQueue,
      workflowId: uniqueId('release'),
    } as WorkflowStartOptions<typeof releaseWorkflow>);
    const records: RunRecord[] = [];
    try {
      let runId: string | undefined = handle.firstExecutionRunId;
      while (runId && records.length < runs) {
        const id: string = runId;
        // A cron run starts at the next minute: skip workflow time until it ended (or touched the world).
        await waitForStatus(
          async () => (await t.env.client.workflow.getHandle(handle.workflowId, id).describe()).status.name,
          (s) => s !== 'RUNNING' || world.calls.length > 0,
          (ms) => t.env.sleep(Math.min(ms, 10_000)),
        );
        const record = await runRecord(handle.workflowId, id);
        records.push(record);
        runId = record.next;
      }
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
    return { world, records };
  });
}

const ACTIVITY = 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED';

test('a release with a cron schedule and a forged carried state is refused on every run: nothing ran', async () => {
  const { world, records } = await started({ cronSchedule: '* * * * *' }, input({ carried: forged }), 2);
  expect(world.calls).toEqual([]);
  expect(records).toHaveLength(2);
  // The second run is a cron run: Temporal set continuedFrom and handed it the forged carried state again.
  expect(records[1].continuedFrom).toEqual(expect.any(String));
  for (const run of records) expect(run.types).not.toContain(ACTIVITY);
});

test('a release with a cron schedule is refused even without carried state', async () => {
  const { world, records } = await started({ cronSchedule: '* * * * *' }, input(), 1);
  expect(world.calls).toEqual([]);
  expect(records[0].types).not.toContain(ACTIVITY);
});

test('a release with a workflow retry policy is refused before any command, naming the reason', async () => {
  const { world, records } = await started({ retry: { maximumAttempts: 2 } }, input(), 1);
  expect(world.calls).toEqual([]);
  expect(records[0].result?.outcome).toBe('invalid-input');
  expect(records[0].result?.reason).toContain(
    'started with a workflow retry policy: a release must never re-run itself',
  );
});
