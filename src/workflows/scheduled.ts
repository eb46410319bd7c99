// What a Temporal Schedule starts (`hwayo-release schedule`): a one-shot launcher that starts the release as an
// abandoned child under its own release id. The Schedule cannot start the release itself: it appends the
// scheduled time (with colons) to the workflow id, which is then no Kubernetes label value and no release id.
import { ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import type { ReleaseInput } from './definitions';
import { releaseWorkflow } from './release';

export interface ScheduledRelease {
  releaseId: string;
  input: ReleaseInput;
}

/** Starts the release and returns its id; the release checks its input, the policy and the stop-the-line. */
export async function scheduledReleaseWorkflow(s: ScheduledRelease): Promise<string> {
  await startChild(releaseWorkflow, {
    workflowId: s.releaseId,
    args: [s.input],
    taskQueue: workflowInfo().taskQueue,
    parentClosePolicy: ParentClosePolicy.ABANDON,
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
  });
  return s.releaseId;
}
