// The worker's tuning variables (docs/deployment.md, "Sizing workers"): parsed into Worker options,
// left to the SDK's defaults when unset, and refused with the variable's name when out of range.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, loadWorkerConfig, tuningOptions } from '../../src/worker/config';

const load = (env: Record<string, string>) =>
  loadWorkerConfig([], { HWAYO_KUBE_IN_CLUSTER: 'true', HWAYO_CODEC: 'off', ...env });

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

// docs/benchmarks.md "Capacity": RSS grew ~4.3-4.5 MiB per cached release over a ~260 MiB base before the lean
// bundle; after it 1.8-3.1 MiB at rest, but releases being started ran a 768 MiB heap out at ~200 cached, so the
// sizing stays at 4.5 MiB each. The shipped manifest must not cache more than its memory limit holds.
test("the shipped manifest's cache fits its memory limit at the measured memory per cached release", () => {
  const dir = join(__dirname, '..', '..', 'deploy', 'kubernetes');
  const config = parse(readFileSync(join(dir, 'configmap.yaml'), 'utf8')) as { data: Record<string, string> };
  const deployment = parse(readFileSync(join(dir, 'deployment.yaml'), 'utf8')) as {
    spec: { template: { spec: { containers: { name: string; resources: { limits: { memory: string } } }[] } } };
  };
  const worker = deployment.spec.template.spec.containers.find((c) => c.name === 'worker')!;
  const limitMiB = Number(/^(\d+)Gi$/.exec(worker.resources.limits.memory)?.[1]) * 1024;
  const cached = load(config.data).tuning.maxCachedWorkflows;
  expect(cached).toBeGreaterThan(0);
  expect(300 + 4.5 * cached!).toBeLessThanOrEqual(0.9 * limitMiB);
});
