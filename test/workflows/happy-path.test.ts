import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { approveUpdate, statusQuery } from '../../src/workflows/definitions';
import { releaseWorkflow } from '../../src/workflows';
import { defaultPlan } from '../../src/plan/load';
import { bundle, createTestEnv, createWorker, uniqueId } from './env';
import { FakeWorld } from './fake-world';

jest.setTimeout(120_000);
let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([createTestEnv(), bundle()]);
});
afterAll(async () => env?.teardown());

test('a default release runs every seed stage in order and keeps blue 24 h', async () => {
  const world = new FakeWorld();
  const taskQueue = uniqueId('tq');
  const worker = await createWorker(env, workflowBundle, world.activities(), taskQueue);
  const plan = defaultPlan();
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(releaseWorkflow, { args: [{ plan, version: '2.4.0', imageTag: '1234-abc1234' }], taskQueue, workflowId: uniqueId('rel') });
    for (const role of ['tech-lead', 'product-manager', 'qa-lead']) {
      await handle.executeUpdate(approveUpdate, { args: [{ approverId: role, role, decision: 'approve', comment: 'ok' }] });
    }
    const t0 = Date.now();
    const result = await handle.result();
    console.log('wall', Date.now() - t0, result.outcome, result.weights, (await handle.query(statusQuery)).stage);
    expect(result.outcome).toBe('succeeded');
  });
});
