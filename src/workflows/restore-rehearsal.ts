// The restore rehearsal (SEED 9 "rollback script tested"), run by a Temporal Schedule (`hwayo-release rehearsal`):
// restore the latest backup into a scratch instance, check it, delete it whatever happened, record the outcome
// for the `restore-rehearsal` preflight check. A failed rehearsal is a record with ok: false, not a failed run.
import { CancellationScope, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RehearsalRecord, ScratchInput } from '../activities/aws/rehearsal';
import { DEFAULT_OPTIONS, longOptions } from './proxies';
import { DEFAULT_BACKUP_SNAPSHOT, DEFAULT_REHEARSAL_DATABASE, type RehearsalInput } from './rehearsal-defs';

/** A real restore takes tens of minutes. */
const RESTORE_BUDGET_MS = 2 * 3_600_000;

const { restoreRehearsalInstance } = proxyActivities<Activities>(longOptions(RESTORE_BUDGET_MS));
const { checkRehearsalInstance, deleteRehearsalInstance, recordRehearsal } =
  proxyActivities<Activities>(DEFAULT_OPTIONS);

const message = (err: unknown) => {
  const e = err as { cause?: { message?: string }; message?: string };
  return e?.cause?.message ?? e?.message ?? String(err);
};

export async function restoreRehearsalWorkflow(input: RehearsalInput = {}): Promise<RehearsalRecord> {
  const { workflowId } = workflowInfo();
  const scratch: ScratchInput = {
    database: input.database ?? DEFAULT_REHEARSAL_DATABASE,
    snapshot: input.snapshot ?? DEFAULT_BACKUP_SNAPSHOT,
    // Unique per run and a valid RDS identifier (a letter first, at most 63 characters).
    scratch: `hwayo-rehearsal-${uuid4().slice(0, 8)}`,
    owner: workflowId,
  };
  let ok = false;
  let detail: string;
  try {
    await restoreRehearsalInstance(scratch);
    ({ ok, detail } = await checkRehearsalInstance(scratch));
  } catch (err) {
    detail = `restoring ${scratch.snapshot} into ${scratch.scratch} failed: ${message(err)}`;
  } finally {
    // Also when cancelled: a scratch copy of production data must not outlive its rehearsal.
    await CancellationScope.nonCancellable(async () => {
      try {
        await deleteRehearsalInstance(scratch);
      } catch (err) {
        ok = false;
        detail = `${detail}; deleting scratch instance ${scratch.scratch} failed: ${message(err)}`;
      }
    });
  }
  const record: RehearsalRecord = {
    ok,
    at: new Date(Date.now()).toISOString(),
    database: scratch.database,
    snapshot: scratch.snapshot,
    scratch: scratch.scratch,
    detail,
    workflowId,
  };
  await CancellationScope.nonCancellable(() => recordRehearsal(record));
  return record;
}
