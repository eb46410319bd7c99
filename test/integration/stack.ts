// Integration tests run against the local stack (scripts/stack/up.sh). This loads the variables the
// stack wrote to .stack/env and builds the worker's activity configuration from them.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { activityConfigFromEnv, type ActivityConfig } from '../../src/activities/config';
import { roleMetadata } from './stack-tokens';

const STACK_DIR = process.env.HWAYO_STACK_DIR ?? join(__dirname, '..', '..', '.stack');

/** Loads .stack/env into process.env (once) and fails loudly when the stack is not up. */
export function stackEnv(): NodeJS.ProcessEnv {
  const file = join(STACK_DIR, 'env');
  if (!existsSync(file))
    throw new Error(`the local stack is not running (${file} missing): run scripts/stack/up.sh first`);
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^export ([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) process.env[m[1]] = m[2].replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
  }
  return process.env;
}

/** The activity configuration the worker would build on a machine running the stack. */
export function stackConfig(): ActivityConfig {
  return activityConfigFromEnv(stackEnv());
}

/** A required stack variable, with a clear error when the component that sets it is not up. */
export function stackVar(name: string): string {
  const value = stackEnv()[name];
  if (!value) throw new Error(`${name} is not set by the local stack: is its component running? (scripts/stack/up.sh)`);
  return value;
}

/**
 * Terminates releases of `app` still running on the stack's Temporal (an earlier demo keeping blue in
 * its retention window, a test run killed midway): `start` refuses a second release of an app.
 */
export async function endRunningReleases(app: string, reason: string): Promise<string[]> {
  // Terminating is for admins on the cluster.
  const connection = await Connection.connect({
    address: stackVar('TEMPORAL_ADDRESS'),
    metadata: roleMetadata('admin'),
  });
  try {
    const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
    const ended: string[] = [];
    for await (const w of client.workflow.list({ query: `HwayoApp = "${app}" AND ExecutionStatus = "Running"` })) {
      await client.workflow
        .getHandle(w.workflowId, w.runId)
        .terminate(reason)
        .catch(() => undefined);
      ended.push(w.workflowId);
    }
    return ended;
  } finally {
    await connection.close();
  }
}

/** The stack's blue environment as seeded: all traffic on blue, no green (scripts/stack/kube-fixtures.sh). */
export function reseedBlue(): void {
  execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'stack', 'kube-fixtures.sh')], {
    env: stackEnv(),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** The seed state for a test that releases `app`: no release of it running, blue as seeded. */
export async function startFromSeedState(app: string, reason: string): Promise<void> {
  await endRunningReleases(app, reason);
  reseedBlue();
}
