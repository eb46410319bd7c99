// A cluster's worker: HWAYO_CLUSTER=<name> polls only hwayo-<name> and runs no workflow.
import { ConfigError, loadWorkerConfig } from '../../src/worker/config';
import { workflowSource } from '../../src/worker/role';

const load = (env: Record<string, string>) =>
  loadWorkerConfig([], { HWAYO_KUBE_IN_CLUSTER: 'true', HWAYO_CODEC: 'off', ...env });

const problems = (env: Record<string, string>): string[] => {
  try {
    load(env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
};

test('HWAYO_CLUSTER=b polls hwayo-b, with activities only', () => {
  const config = load({ HWAYO_CLUSTER: 'b' });
  expect(config.temporal).toMatchObject({ taskQueue: 'hwayo-b', cluster: 'b' });
  expect(workflowSource(config)).toEqual({ mode: 'none', options: {} });
});

test('without HWAYO_CLUSTER the worker serves the main queue and the workflows, as before', () => {
  const config = load({ HWAYO_WORKFLOW_BUNDLE: __filename });
  expect(config.temporal.taskQueue).toBe('hwayo-release');
  expect(config.temporal.cluster).toBeUndefined();
  expect(workflowSource(config).mode).toBe('prebuilt');
});

test('a cluster worker told another queue, or a malformed cluster name, does not start', () => {
  expect(problems({ HWAYO_CLUSTER: 'b', HWAYO_TASK_QUEUE: 'hwayo-release' })).toEqual([
    'HWAYO_TASK_QUEUE: a worker for cluster b polls hwayo-b (leave HWAYO_TASK_QUEUE unset)',
  ]);
  expect(problems({ HWAYO_CLUSTER: 'b', HWAYO_TASK_QUEUE: 'hwayo-b' })).toEqual([]);
  expect(problems({ HWAYO_CLUSTER: 'B/1' })).toEqual(['HWAYO_CLUSTER: must be a cluster name of the policy']);
});
