// A multi-cluster release's parent reads a child's progress from the child itself: a signal claiming it could come
// from anyone, the child workflow the parent started cannot. Uses the worker's own Temporal client.
import { Context } from '@temporalio/activity';
import { clusterProgressQuery, type ClusterProgress } from '../../workflows/multi-cluster-definitions';
import { nonRetryable } from '../errors';

export interface ReadClusterProgressInput {
  /** The child's workflow id (clusterWorkflowId). */
  workflowId: string;
  /** The parent asking: the child must be its own. */
  parentId: string;
}

export const clusterProgressActivities = {
  async readClusterProgress(input: ReadClusterProgressInput): Promise<ClusterProgress> {
    const handle = Context.current().client.workflow.getHandle(input.workflowId);
    const { parentExecution } = await handle.describe();
    if (parentExecution?.workflowId !== input.parentId)
      throw nonRetryable('InvalidInput', `${input.workflowId} is not a child of ${input.parentId}`);
    return handle.query(clusterProgressQuery);
  },
};
