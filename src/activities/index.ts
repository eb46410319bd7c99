// Every activity the release workflow calls, grouped by the system it touches. The workflow imports
// the `Activities` type only; the worker builds the implementations from its configuration.
import { createAwsActivities } from './aws';
import { createAuditActivities } from './aws/audit-log';
import type { ActivityConfig } from './config';
import { createIncidentReviewActivities } from './aws/incident-review';
import { createRehearsalActivities } from './aws/rehearsal';
import { createHealthActivities } from './health';
import { createKubernetesActivities } from './kubernetes';
import { createNotifyActivities } from './notify';
import { createPolicyActivities } from './policy';
import { windowActivities } from './policy/windows';
import { createPreflightActivities } from './preflight';
import { createMetricActivities } from './metrics';
import { createSmokeActivities } from './smoke';
import { createTrafficActivities } from './traffic';
import { clusterProgressActivities } from './temporal/cluster-progress';
import { parentRollbackActivities } from './temporal/parent-rollback';

export function createActivities(config: ActivityConfig) {
  return {
    ...createKubernetesActivities(config),
    ...createTrafficActivities(config),
    ...createMetricActivities(config),
    ...createPreflightActivities(config),
    ...createHealthActivities(config),
    ...createAwsActivities(config),
    ...createAuditActivities(config),
    ...createIncidentReviewActivities(config),
    ...createRehearsalActivities(config),
    ...createNotifyActivities(config),
    ...createPolicyActivities(config),
    ...createSmokeActivities(),
    ...windowActivities,
    ...clusterProgressActivities,
    ...parentRollbackActivities,
  };
}

export type Activities = ReturnType<typeof createActivities>;
