// A multi-cluster child asks its parent what the parent's saga asked of it: a parentRollback signal could come
// from anyone, the parent's own record cannot. Uses the worker's own Temporal client.
import { Context } from '@temporalio/activity';
import type { ControlRequest } from '../../workflows/definitions';
import { parentRollbackQuery } from '../../workflows/multi-cluster-definitions';
import { nonRetryable } from '../errors';

export interface ReadParentRollbackInput {
  /** The child asking (its own workflow id). */
  workflowId: string;
  /** Its parent: must be the workflow that started it. */
  parentId: string;
  cluster: string;
}

export const parentRollbackActivities = {
  /** The parent's request for `cluster`, or null when the parent asked nothing. */
  async readParentRollback(input: ReadParentRollbackInput): Promise<ControlRequest | null> {
    const client = Context.current().client;
    const { parentExecution } = await client.workflow.getHandle(input.workflowId).describe();
    if (parentExecution?.workflowId !== input.parentId)
      throw nonRetryable('InvalidInput', `${input.workflowId} is not a child of ${input.parentId}`);
    return (await client.workflow.getHandle(input.parentId).query(parentRollbackQuery, input.cluster)) ?? null;
  },
};
