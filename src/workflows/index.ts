// The workflows this worker registers.
export { releaseWorkflow } from './release';
export { stopTheLineWorkflow } from './stop-the-line';
export { scheduledReleaseWorkflow } from './scheduled';
export { incidentWorkflow } from './incident';
export { multiClusterReleaseWorkflow } from './multi-cluster';
export { clusterReleaseWorkflow } from './cluster-release';
export { restoreRehearsalWorkflow } from './restore-rehearsal';
