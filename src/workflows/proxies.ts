// Activity proxies with the timeouts and retry policies each kind of side effect needs. Imported
// by the workflow; activities are referenced by type only.
import { patched, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** Failures a retry cannot fix (see src/activities/errors.ts). */
export const NON_RETRYABLE = ['InvalidInput', 'PermissionDenied', 'NotFound', 'NotImplemented'];

export const DEFAULT_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
};

/** Traffic moves are short and must land: the seed budgets 30 s to put all traffic back on blue. */
export const TRAFFIC_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '20s',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '5s',
    maximumAttempts: 10,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
};

/** A metric query that fails twice is an inconclusive sample, not a reason to wait minutes. */
export const METRIC_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 2, nonRetryableErrorTypes: NON_RETRYABLE },
};

/**
 * The analysis tick's metric queries and health checks (parallel HTTP calls of at most 10 s and 5 s).
 * A worker that dies mid-tick leaves its attempt to time out before another worker retries it, and the
 * watch (and so a rollback) waits for it: 15 s instead of the default minute (chaos suite, scenario 7).
 */
export const TICK_METRIC_OPTIONS: ActivityOptions = { ...METRIC_OPTIONS, startToCloseTimeout: '15s' };
export const TICK_HEALTH_OPTIONS: ActivityOptions = { ...DEFAULT_OPTIONS, startToCloseTimeout: '15s' };

export const NOTIFY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
};

/** Long waits (rollouts, namespace deletion, database restore) heartbeat and resume after a worker crash. */
export function longOptions(timeoutMs: number): ActivityOptions {
  return {
    startToCloseTimeout: timeoutMs + 60_000,
    heartbeatTimeout: '30s',
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: 5,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  };
}

/**
 * The emergency snapshot and restore: `budgetMs` (the plan's database.snapshotTimeout / restoreTimeout)
 * bounds the whole wait across attempts; a crashed attempt is noticed by its missed heartbeat and the
 * retry resumes (the activities are idempotent by identifier), so attempts are not counted.
 */
export function emergencyOptions(budgetMs: number): ActivityOptions {
  return {
    startToCloseTimeout: budgetMs + 60_000,
    scheduleToCloseTimeout: budgetMs + 120_000,
    heartbeatTimeout: '30s',
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  };
}

/**
 * Every activity's heartbeat timeout (patch `fast-recovery`). The worker heartbeats every running
 * attempt itself (src/worker/activity-interceptors.ts), so a missed heartbeat means a dead worker, not
 * a slow call: its attempts are retried elsewhere within seconds instead of after their start-to-close
 * (a minute for most short activities), which stays the bound on a call that hangs. The chaos suite's
 * worker kills (test/chaos/worker-kill.test.ts) measure how soon a release resumes.
 */
export const LIVENESS_HEARTBEAT_TIMEOUT = '10s';

/**
 * The options an activity is scheduled with: `options`, with the short heartbeat timeout on releases that have the
 * patch.
 */
export function withLiveness(options: ActivityOptions): ActivityOptions {
  return patched('fast-recovery') ? { ...options, heartbeatTimeout: LIVENESS_HEARTBEAT_TIMEOUT } : options;
}

/**
 * A multi-cluster release's child runs every activity on its cluster's task queue (`hwayo-<cluster>`), served by
 * the worker that holds that cluster's credentials. Keyed by run: a worker's V8 context may host many workflows.
 */
const activityQueues = new Map<string, string>();

export function runActivitiesOn(taskQueue: string): void {
  activityQueues.set(workflowInfo().runId, taskQueue);
}

type Proxy = ReturnType<typeof proxyActivities<Activities>>;
const proxies = new Map<ActivityOptions, Proxy>();

/** Calls an activity with options and a one-line summary that the Temporal UI shows for it. */
export function call<K extends keyof Activities>(
  options: ActivityOptions,
  summary: string,
  name: K,
  ...args: Parameters<Activities[K]>
): Promise<Awaited<ReturnType<Activities[K]>>> {
  let proxy = proxies.get(options);
  if (!proxy) {
    proxy = proxyActivities<Activities>(options);
    proxies.set(options, proxy);
  }
  const fn = proxy[name] as unknown as {
    executeWithOptions(o: ActivityOptions, a: unknown[]): Promise<Awaited<ReturnType<Activities[K]>>>;
  };
  const taskQueue = activityQueues.size ? activityQueues.get(workflowInfo().runId) : undefined;
  return fn.executeWithOptions({ ...withLiveness(options), summary, ...(taskQueue ? { taskQueue } : {}) }, args);
}
