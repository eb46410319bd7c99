// The worker's tuning variables (docs/deployment.md, "Sizing workers"): parsed into Worker options,
// left to the SDK's defaults when unset, and refused with the variable's name when out of range.
import { ConfigError, loadWorkerConfig, tuningOptions } from '../../src/worker/config';

const load = (env: Record<string, string>) => loadWorkerConfig([], { HWAYO_KUBE_IN_CLUSTER: 'true', ...env });

function problems(env: Record<string, string>): string {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

test('the tuning variables become the Worker options they name', () => {
  const c = load({
    HWAYO_MAX_CACHED_WORKFLOWS: '1500',
    HWAYO_MAX_CONCURRENT_WORKFLOW_TASKS: '20',
    HWAYO_STICKY_QUEUE_TIMEOUT_MS: '5000',
  });
  expect(c.tuning).toEqual({
    maxCachedWorkflows: 1500,
    maxConcurrentWorkflowTaskExecutions: 20,
    stickyQueueTimeoutMs: 5000,
  });
  expect(tuningOptions(c.tuning)).toEqual({
    maxCachedWorkflows: 1500,
    maxConcurrentWorkflowTaskExecutions: 20,
    stickyQueueScheduleToStartTimeout: 5000,
  });
});

test('unset tuning variables leave the SDK defaults: no option is passed, not even as undefined', () => {
  const c = load({});
  expect(c.tuning).toEqual({});
  expect(Object.keys(tuningOptions(c.tuning))).toEqual([]);
  expect(Object.keys(tuningOptions({ maxCachedWorkflows: 0 }))).toEqual(['maxCachedWorkflows']);
});

test('out-of-range or non-numeric tuning values are refused with the variable name', () => {
  expect(problems({ HWAYO_MAX_CACHED_WORKFLOWS: '-1' })).toMatch(/HWAYO_MAX_CACHED_WORKFLOWS:/);
  expect(problems({ HWAYO_MAX_CACHED_WORKFLOWS: 'lots' })).toMatch(/HWAYO_MAX_CACHED_WORKFLOWS:/);
  expect(problems({ HWAYO_MAX_CONCURRENT_WORKFLOW_TASKS: '1' })).toMatch(/HWAYO_MAX_CONCURRENT_WORKFLOW_TASKS:/);
  expect(problems({ HWAYO_STICKY_QUEUE_TIMEOUT_MS: '10' })).toMatch(/HWAYO_STICKY_QUEUE_TIMEOUT_MS:/);
  expect(problems({ HWAYO_STICKY_QUEUE_TIMEOUT_MS: '2.5' })).toMatch(/HWAYO_STICKY_QUEUE_TIMEOUT_MS:/);
});
