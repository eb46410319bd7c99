// What a worker serves: the main worker runs the workflows (and a single-cluster release's activities) on its
// task queue; a cluster's worker (HWAYO_CLUSTER=<name>) runs only that cluster's activities on `hwayo-<name>`, with
// that cluster's kubeconfig, and no workflow at all.
import { existsSync } from 'node:fs';
import type { WorkerOptions } from '@temporalio/worker';
import { LEAN_BUNDLE_OPTIONS } from './bundle-options';
import type { WorkerConfig } from './config';
import { DEFAULT_BUNDLE_PATH, WORKFLOWS_PATH } from './paths';

/** The prebuilt bundle when there is one (production), else bundling from source at start; none for a cluster. */
export function workflowSource(config: WorkerConfig): {
  mode: 'prebuilt' | 'source' | 'none';
  options: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'>;
} {
  if (config.temporal.cluster) return { mode: 'none', options: {} };
  const codePath = config.workflowBundlePath ?? (existsSync(DEFAULT_BUNDLE_PATH) ? DEFAULT_BUNDLE_PATH : undefined);
  return codePath
    ? { mode: 'prebuilt', options: { workflowBundle: { codePath } } }
    : { mode: 'source', options: { workflowsPath: WORKFLOWS_PATH, bundlerOptions: LEAN_BUNDLE_OPTIONS } };
}
