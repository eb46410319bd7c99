// Reading a release: its input (the plan it runs with, from the first history event), its live
// status (the status query) or its result, with clear errors for unknown and finished releases.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { ReleaseInput, ReleaseResult, ReleaseStatus } from '../workflows/definitions';
import { statusQuery } from '../workflows/definitions';
import { CliError, EXIT } from './cli';
import { releaseHandle } from './connection';

/** The workflow input, decoded with the client's data converter (and so its codec). */
export async function releaseInput(client: Client, workflowId: string): Promise<ReleaseInput> {
  const res = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId },
    maximumPageSize: 1,
  });
  const started = res.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new CliError(`release "${workflowId}" has no start event`, EXIT.refused);
  return decodeFromPayloadsAtIndex<ReleaseInput>(client.options.loadedDataConverter, 0, started.input?.payloads);
}

export type ReleaseView =
  | { running: true; handle: WorkflowHandle; firstRunId: string; status: ReleaseStatus }
  | {
      running: false;
      handle: WorkflowHandle;
      firstRunId: string;
      closedAs: string;
      result?: ReleaseResult;
      failure?: string;
    };

/** The live status of a running release, or the result of a finished one. */
export async function viewRelease(client: Client, workflowId: string): Promise<ReleaseView> {
  const { handle, running, firstRunId, status } = await releaseHandle(client, workflowId);
  if (running) {
    const live = await handle.query(statusQuery);
    // Stage "done" while running: the outcome is decided and only the report is being stored. Wait for
    // the result so that watch, status and report agree on a finished release.
    if (live.stage !== 'done' || !(await closesWithin(handle, DONE_SETTLE_MS)))
      return { running, handle, firstRunId, status: live };
    return viewRelease(client, workflowId);
  }
  try {
    const result = (await handle.result()) as ReleaseResult;
    return { running: false, handle, firstRunId, closedAs: status, result };
  } catch (err) {
    const cause = (err as { cause?: Error }).cause;
    return {
      running: false,
      handle,
      firstRunId,
      closedAs: status,
      failure: `${(err as Error).message}${cause ? `: ${cause.message}` : ''}`,
    };
  }
}

const DONE_SETTLE_MS = 60_000;

async function closesWithin(handle: WorkflowHandle, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const closed = handle.result().then(
    () => true,
    () => true,
  );
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([closed, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Fails with exit 7 unless the release still runs. */
export async function requireRunning(client: Client, workflowId: string) {
  const h = await releaseHandle(client, workflowId);
  if (!h.running) {
    let outcome = '';
    try {
      const r = (await h.handle.result()) as ReleaseResult;
      outcome = `, outcome ${r.outcome}${r.reason ? ` (${r.reason})` : ''}`;
    } catch {
      outcome = '';
    }
    throw new CliError(
      `release "${workflowId}" has already finished (${h.status.toLowerCase()}${outcome})`,
      EXIT.refused,
    );
  }
  return h;
}
