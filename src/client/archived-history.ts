// A release's history after the namespace's retention deleted it: the cluster archives every closed run to S3
// (s3store; scripts/stack/components/temporal-cluster.sh) and its frontend reads an archived run back by id.
// The runs are found through the archived visibility records; a server without archival has none.
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;

export type ArchivedChain = { runs: Event[][]; uri: string } | { runs: undefined; why: string };

/** Every archived run of WORKFLOW-ID, first run first (followed through continue-as-new), or why there is none. */
export async function archivedChain(client: Client, namespace: string, workflowId: string): Promise<ArchivedChain> {
  const ns = await client.workflowService.describeNamespace({ namespace });
  const uri = ns.config?.historyArchivalUri;
  const enabled = ns.config?.historyArchivalState === temporal.api.enums.v1.ArchivalState.ARCHIVAL_STATE_ENABLED;
  if (!uri || !enabled) return { runs: undefined, why: `namespace ${namespace} does not archive histories` };
  const records = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listArchivedWorkflowExecutions({
      namespace,
      query: `WorkflowId = '${workflowId.replace(/'/g, "\\'")}'`,
      nextPageToken,
    });
    records.push(...(page.executions ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  if (!records.length) return { runs: undefined, why: `no archived run of ${workflowId} in ${uri}` };
  const runIds = new Set(records.map((r) => r.execution?.runId).filter((r): r is string => !!r));
  const histories = new Map<string, Event[]>();
  for (const runId of runIds)
    histories.set(runId, (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? []);
  return { runs: chainOf(histories), uri };
}

/** The run a run continued as new into, if it did. */
export const continuedInto = (events: Event[]): string | undefined =>
  events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;

/**
 * The runs by run id, as one chain: from the run no other continued into, along continue-as-new. Several such
 * first runs (the id reused by a later release): the newest chain.
 */
export function chainOf(histories: Map<string, Event[]>): Event[][] {
  const successors = new Set([...histories.values()].map(continuedInto).filter((r): r is string => !!r));
  const started = (r: string) => Number(histories.get(r)?.[0]?.eventTime?.seconds ?? 0);
  const firsts = [...histories.keys()].filter((r) => !successors.has(r)).sort((a, b) => started(b) - started(a));
  const runs: Event[][] = [];
  const seen = new Set<string>();
  for (let runId = firsts[0]; runId && histories.has(runId) && !seen.has(runId); runId = continuedInto(runs.at(-1)!)!) {
    seen.add(runId);
    runs.push(histories.get(runId)!);
  }
  return runs;
}
