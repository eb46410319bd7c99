// Times every activity attempt, and reads the green weight from each traffic shift that landed, so
// dashboards show a release's canary weight without touching the workflow.
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
