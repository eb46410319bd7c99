// After the full switch: blue backed up and kept small for the retention window. A rollback within
// the window brings it back; the window's end (or a promote) deletes it and the release is final.
import { condition, patched } from '@temporalio/workflow';
import { auditRollback } from '../audit-log';
import type { ControlRequest } from '../definitions';
import { errorText } from '../exits';
import { call, DEFAULT_OPTIONS } from '../proxies';
import { iso, type ReleaseState } from '../release-state';
import { timedRollback } from '../rollback-budget';
import { releaseMetrics, rollbackTriggerLabel } from '../sinks';
import { deleteNamespace, notify, setWeight, storeReport, waitForRollout } from '../steps';
import { deleteGreen, verifyBlue } from './rollback';

export async function retention(r: ReleaseState): Promise<void> {
  const { plan, blue, releaseId, control } = r;
  r.enter('promoting', 'release verified at 100%; retiring blue');
  const backup = await call(DEFAULT_OPTIONS, `back up ${blue}`, 'backupNamespace', {
    namespace: blue,
    bucket: plan.artifactsBucket,
    key: `backups/${releaseId}/${blue}.yaml`,
  });
  r.event(`backed up ${backup.objects} objects of ${blue} to ${backup.location}`);
  Object.assign(
    r.blueReplicas,
    await call(DEFAULT_OPTIONS, `scale ${blue} to 1`, 'scaleDeployments', { namespace: blue, replicas: 1 }),
  );
  r.event(`scaled ${blue} to 1 replica per deployment`);
  r.outcome = 'succeeded';
  r.saga.clear();
  const endsMs = Date.now() + plan.retention.blueKeepMs;
  r.rollbackWindowEndsMs = endsMs;
  r.enter('retention', `blue kept until ${iso(endsMs)} for emergency rollback`);
  r.pending = { kind: 'rollback-window', since: iso(), detail: `rollback possible until ${iso(endsMs)}` };
  await storeReport(r);
  await notify(r, 'info', 'succeeded', `Release succeeded; blue kept until ${iso(endsMs)} for rollback`);
  await condition(
    () => control.rollback !== undefined || control.retire !== undefined,
    Math.max(0, endsMs - Date.now()),
  );
  r.pending = undefined;
  const { rollback } = control;
  if (rollback)
    return timedRollback(r, { kind: 'manual-after-success', by: rollback.by }, () => rollBackAfterSuccess(r, rollback));
  await retireBlue(r, control.retire);
}

/**
 * Since this patch a rollback in retention needs a signature when the plan requires them, blue takes
 * traffic only once it is scaled back and ready, and green is kept unless blue serves again.
 */
export const retentionRollbackSafe = (): boolean => patched('retention-rollback-safe');

/** Blue runs one replica per deployment now: it is scaled up and ready before it takes traffic. */
async function rollBackAfterSuccess(r: ReleaseState, req: ControlRequest): Promise<void> {
  const { saga } = r;
  const why = `rollback after success by ${req.by}: ${req.reason}`;
  r.enter('rolling-back', why);
  r.reason = why;
  r.outcome = 'rolled-back-after-success';
  auditRollback(r, why, r.outcome);
  releaseMetrics.rollback(rollbackTriggerLabel({ kind: 'manual-after-success', by: req.by }));
  await notify(r, 'critical', 'rollback-started', `Rolling back a promoted release: ${why}`);
  if (!retentionRollbackSafe()) {
    saga.add('delete-green', () => deleteGreen(r));
    saga.add('verify-blue', () => verifyBlue(r));
    saga.add('traffic-to-blue', () => setWeight(r, 0, 'rollback after success'));
    saga.add('scale-blue-up', () => scaleBlueUp(r).then(() => undefined));
  } else {
    const ready = await scaleBlueUp(r).catch((err: unknown) => ({ ready: false, detail: errorText(err) }));
    if (!ready.ready) return stopWithGreen(r, `blue not ready: ${ready.detail}`);
    saga.add('delete-green', () => deleteGreenIfBlueServes(r));
    saga.add('verify-blue', () => verifyBlue(r));
    saga.add('traffic-to-blue', () => setWeight(r, 0, 'rollback after success'));
  }
  await saga.compensate();
  await notify(r, 'warning', 'rollback-finished', `Rollback after success finished (${r.outcome})`);
}

/** Blue back to the replicas recorded when it was scaled down, then its rollout wait. */
async function scaleBlueUp(r: ReleaseState): Promise<{ ready: boolean; detail: string }> {
  const { blue } = r;
  await call(DEFAULT_OPTIONS, `scale ${blue} back up`, 'scaleDeployments', {
    namespace: blue,
    replicas: r.blueReplicas,
  });
  r.event(`scaled ${blue} back to ${JSON.stringify(r.blueReplicas)}`);
  return waitForRollout(r, blue, r.plan.rollback.blueReadyTimeoutMs);
}

/** Blue cannot take the users: they stay on green, and both environments are kept for people to decide. */
async function stopWithGreen(r: ReleaseState, detail: string): Promise<void> {
  r.outcome = 'failed';
  r.reason = `${r.reason}; stopped before moving traffic (${detail}): users stay on ${r.green}, ${r.blue} and ${r.green} are kept`;
  r.event(r.reason);
  await notify(r, 'critical', 'rollback-stopped', `Rollback after success stopped: ${r.reason}`);
}

/**
 * Green is deleted only once blue serves again (traffic moved, blue verified or recovered): after a failed
 * emergency, or a traffic shift that failed, green may be the only thing still serving.
 */
async function deleteGreenIfBlueServes(r: ReleaseState): Promise<void> {
  if (r.greenWeight === 0 && r.outcome !== 'emergency-failed') return deleteGreen(r);
  const kept = `${r.green} kept (not deleted): ${r.outcome === 'emergency-failed' ? 'the emergency did not restore blue' : 'traffic did not move to blue'}, so it may be the only thing still serving`;
  r.reason = `${r.reason ?? ''}; ${kept}`;
  r.event(kept);
}

/** The window is over (or a promote ended it early): blue is deleted and the release is final. */
async function retireBlue(r: ReleaseState, retire: ControlRequest | undefined): Promise<void> {
  const ended = retire
    ? `retention ended early by ${retire.by}${retire.reason ? ` (${retire.reason})` : ''}`
    : 'retention window over';
  r.enter('promoting', `${ended}; deleting ${r.blue}`);
  await deleteNamespace(r, r.blue);
  await notify(
    r,
    'info',
    'blue-retired',
    `${ended[0].toUpperCase()}${ended.slice(1)}: ${r.blue} deleted; the release is final`,
  );
}
