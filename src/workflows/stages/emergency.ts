// The seed's section 6 emergency procedures, in the seed's order: maintenance mode, everything scaled
// to 0, the database snapshotted and restored into a new instance, blue back up (on the last known
// good version when given), maintenance mode off only when blue is healthy, on-call paged.
import { call, DEFAULT_OPTIONS, emergencyOptions } from '../proxies';
import type { ReleaseState } from '../release-state';
import { checkHealth, notify, setMaintenanceMode, waitForRollout } from '../steps';

export async function emergency(r: ReleaseState, why: string): Promise<void> {
  const { plan, blue, green, input } = r;
  r.enter('emergency', `emergency procedures: ${why}`);
  const beganMs = Date.now();
  await notify(r, 'critical', 'emergency', `Emergency procedures started: ${why}`);
  await setMaintenanceMode(r, true);
  r.event('maintenance mode on');
  const before: Record<string, Record<string, number>> = {};
  for (const ns of [blue, green]) {
    before[ns] = await call(DEFAULT_OPTIONS, `scale ${ns} to 0`, 'scaleDeployments', { namespace: ns, replicas: 0 });
    r.event(`scaled ${ns} to 0`);
  }
  const snapshotId = emergencySnapshotId(plan.database.snapshotPrefix, beganMs);
  // Real snapshots and restores take long: the plan's budgets, heartbeating (plans from before them: 1 h).
  const { snapshotTimeoutMs = 60 * 60_000, restoreTimeoutMs = 60 * 60_000 } = plan.database;
  await call(emergencyOptions(snapshotTimeoutMs), `snapshot ${plan.database.instance}`, 'snapshotDatabase', {
    database: plan.database,
    snapshotId,
  });
  r.event(`database snapshot ${snapshotId} taken`);
  const restoreInto = emergencyRestoreId(plan.database.restoredInstance, beganMs);
  const restored = await call(
    emergencyOptions(restoreTimeoutMs),
    `restore ${plan.database.backupSnapshot} into ${restoreInto}`,
    'restoreDatabase',
    {
      database: plan.database,
      instance: restoreInto,
      owner: `${r.releaseId.slice(0, 200)}/${r.firstRunId}`,
    },
  );
  r.event(`restored ${plan.database.backupSnapshot} into ${restored.instance} (${restored.endpoint})`);
  await call(DEFAULT_OPTIONS, 'switch database connection', 'switchDatabaseConnection', {
    namespaces: [blue, green],
    secret: plan.database.connectionSecret,
    endpoint: restored.endpoint,
  });
  r.event(`connection secret now points at ${restored.endpoint}`);
  await call(DEFAULT_OPTIONS, `scale ${blue} back up`, 'scaleDeployments', {
    namespace: blue,
    replicas: { ...before[blue], ...r.blueReplicas },
  });
  r.event(`scaled ${blue} back up`);
  if (input.lastKnownGoodTag) {
    await call(DEFAULT_OPTIONS, `deploy ${input.lastKnownGoodTag} to ${blue}`, 'deployVersion', {
      namespace: blue,
      imageTag: input.lastKnownGoodTag,
      services: plan.services,
    });
    r.event(`deployed last known good ${input.lastKnownGoodTag} to ${blue}`);
  }
  const ready = await waitForRollout(r, blue, plan.rollback.blueReadyTimeoutMs);
  const health = ready.ready ? await checkHealth(r, true, blue) : { healthy: false, detail: ready.detail };
  if (health.healthy) {
    await setMaintenanceMode(r, false);
    r.event('blue recovered; maintenance mode off');
    r.outcome = 'emergency-recovered';
  } else {
    r.event(`blue still unhealthy after recovery: ${health.detail}; maintenance mode stays on`);
    r.outcome = 'emergency-failed';
  }
  await notify(
    r,
    'critical',
    'incident',
    `Incident response: emergency recovery ${r.outcome === 'emergency-recovered' ? 'restored service on blue' : 'did NOT restore service'} (${why}). Database restored to ${restored.instance}; snapshot ${snapshotId}.`,
  );
}

/**
 * The emergency snapshot identifier: derived from the release and the moment the emergency began, so a retry reuses it.
 */
export function emergencySnapshotId(prefix: string, startedAtMs: number): string {
  const t = new Date(startedAtMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'z')
    .toLowerCase();
  return `${prefix}-${t}`;
}

/**
 * The instance an emergency restores into: the plan's name plus the moment the emergency began, so a
 * retry of this release finds its own instance and never adopts one left by another release (which may
 * be production's database since that release's emergency). RDS instance identifiers have 63 characters.
 */
export function emergencyRestoreId(restoredInstance: string, startedAtMs: number): string {
  const suffix = emergencySnapshotId('', startedAtMs); // "-20261128t090102z"
  return `${restoredInstance.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
}
