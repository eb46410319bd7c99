// The org-wide stop-the-line's state, read by the CLI (`start` refuses while frozen) and by the release's
// activity (the workflow holds while frozen): one reading for both.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { STOP_THE_LINE_ID, stopTheLineQuery, type StopTheLineState } from './workflows/stop-the-line-defs';

/**
 * Not frozen when nobody ever started the singleton, or when its last run is closed (only a platform admin
 * may terminate it; `freeze` starts a new one): a closed run answers queries only while a worker of its task
 * queue polls, so it is not asked. A running singleton that cannot answer is an error: callers fail closed.
 */
export async function stopTheLineState(client: Client): Promise<StopTheLineState> {
  const handle = client.workflow.getHandle(STOP_THE_LINE_ID);
  try {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') return { frozen: false, seq: 0 };
    return await handle.query(stopTheLineQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { frozen: false, seq: 0 };
    throw err;
  }
}
