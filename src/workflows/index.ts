// The workflows this worker registers.
export { releaseWorkflow } from './release';
export { incidentWorkflow } from './incident';
