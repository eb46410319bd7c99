// Heartbeats every attempt that has a heartbeat timeout while it runs, so the server notices a dead worker within that
// timeout whatever the activity does. Times every activity attempt, and reads the green weight from each traffic shift
// that landed, so dashboards show a release's canary weight without touching the workflow.
import { CancelledFailure } from '@temporalio/common';
import type { Context } from '@temporalio/activity';
import type { ActivityInterceptors } from '@temporalio/worker';
import type { WorkerMetrics } from './metrics';

export function activityMetricsInterceptor(metrics: WorkerMetrics): (ctx: Context) => ActivityInterceptors {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const { activityType, workflowExecution } = ctx.info;
        const end = metrics.activityDuration.startTimer({ activity: activityType });
        try {
          const result = await next(input);
          end({ result: 'success' });
          if (activityType === 'setTrafficWeight') {
            const weight = (input.args[0] as { greenWeight?: unknown } | undefined)?.greenWeight;
            if (typeof weight === 'number' && workflowExecution)
              metrics.canaryWeight.set({ release_id: workflowExecution.workflowId }, weight);
          }
          return result;
        } catch (err) {
          end({ result: err instanceof CancelledFailure ? 'cancelled' : 'failure' });
          throw err;
        }
      },
    },
  });
}

/** How often a running attempt reports the worker alive: a third of its heartbeat timeout, at most every 3 s. */
export const livenessEveryMs = (heartbeatTimeoutMs: number): number => Math.min(3000, heartbeatTimeoutMs / 3);

/**
 * Releases schedule every activity with a short heartbeat timeout (patch `fast-recovery` in
 * src/workflows/proxies.ts): a SIGKILLed worker's attempts are then retried within seconds, not after
 * their start-to-close. This keeps a live attempt heartbeating: between the activity's own heartbeats
 * it repeats the last details the activity sent (or those its previous attempt left), so a long wait's
 * progress is never overwritten.
 */
export function livenessHeartbeatInterceptor(ctx: Context): ActivityInterceptors {
  const timeoutMs = ctx.info.heartbeatTimeoutMs;
  if (!timeoutMs || ctx.info.isLocal) return {};
  const send = ctx.heartbeat;
  let details: unknown = ctx.info.heartbeatDetails;
  (ctx as { heartbeat: (d?: unknown) => void }).heartbeat = (d?: unknown) => {
    details = d;
    send(d);
  };
  return {
    inbound: {
      async execute(input, next) {
        send(details);
        const timer = setInterval(() => send(details), livenessEveryMs(timeoutMs));
        try {
          return await next(input);
        } finally {
          clearInterval(timer);
        }
      },
    },
  };
}
