// Bundled into the workflow code (runs inside the sandbox): counts releases started and finished by
// outcome through the release-metrics sink. Sinks are not called on replay, so nothing counts twice.
import { isCancellation, workflowInfo, type WorkflowInboundCallsInterceptor, type WorkflowInterceptors } from '@temporalio/workflow';
import type { ReleaseInput, ReleaseResult } from '../workflows/definitions';
import { releaseMetrics } from '../workflows/sinks';

class ReleaseCountingInterceptor implements WorkflowInboundCallsInterceptor {
  async execute(input: Parameters<NonNullable<WorkflowInboundCallsInterceptor['execute']>>[0], next: Parameters<NonNullable<WorkflowInboundCallsInterceptor['execute']>>[1]): Promise<unknown> {
    if (workflowInfo().workflowType !== 'releaseWorkflow') return next(input);
    const app = (input.args[0] as ReleaseInput | undefined)?.plan?.app ?? 'unknown';
    releaseMetrics.started(app);
    try {
      const result = (await next(input)) as ReleaseResult;
      releaseMetrics.finished(app, result.outcome);
      return result;
    } catch (err) {
      releaseMetrics.finished(app, isCancellation(err) ? 'cancelled' : 'failed');
      throw err;
    }
  }
}

export const interceptors = (): WorkflowInterceptors => ({ inbound: [new ReleaseCountingInterceptor()] });
