// The workflow bundle the workflow tests run: built as the worker's (src/worker/bundle-options.ts), so tests run
// what production runs; once per jest run when global-setup.ts wrote it, else built here.
import { existsSync, readFileSync } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { LEAN_BUNDLE_OPTIONS } from '../../src/worker/bundle-options';

export const SHARED_BUNDLE_ENV = 'HWAYO_TEST_WORKFLOW_BUNDLE';

export function buildBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: new DefaultLogger('WARN'),
    ...LEAN_BUNDLE_OPTIONS,
  });
}

export async function bundle(): Promise<WorkflowBundleWithSourceMap> {
  const shared = process.env[SHARED_BUNDLE_ENV];
  if (shared && existsSync(shared)) return JSON.parse(readFileSync(shared, 'utf8')) as WorkflowBundleWithSourceMap;
  return buildBundle();
}
