// Bundled into the workflow code (runs inside the sandbox): counts releases started and finished by
// outcome through the release-metrics sink (sinks are not called on replay, so nothing counts twice),
// and traces them with Temporal's OpenTelemetry interceptors plus the release's own spans
// (src/workflows/trace-interceptors.ts). Workflow spans leave through the `exporter` sink, which the worker
// turns into OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set (src/telemetry/tracing.ts).
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import {
  isCancellation,
  patched,
  workflowInfo,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import {
  ReleaseTrace,
  ReleaseTraceActivityMarker,
  ReleaseTraceInbound,
  ReleaseTraceOutbound,
} from '../workflows/trace-interceptors';
import type { ReleaseInput, ReleaseResult } from '../workflows/definitions';
import { releaseMetrics } from '../workflows/sinks';

class ReleaseCountingInterceptor implements WorkflowInboundCallsInterceptor {
  async execute(
    input: Parameters<NonNullable<WorkflowInboundCallsInterceptor['execute']>>[0],
    next: Parameters<NonNullable<WorkflowInboundCallsInterceptor['execute']>>[1],
  ): Promise<unknown> {
    if (workflowInfo().workflowType !== 'releaseWorkflow') return next(input);
    const app = (input.args[0] as ReleaseInput | undefined)?.plan?.app ?? 'unknown';
    releaseMetrics.started(app);
    try {
      const result = (await next(input)) as ReleaseResult;
      releaseMetrics.finished(app, result.outcome);
      if (result.dora) releaseMetrics.dora(app, result.outcome, result.dora);
      return result;
    } catch (err) {
      releaseMetrics.finished(app, isCancellation(err) ? 'cancelled' : 'failed');
      throw err;
    }
  }
}

/**
 * Temporal's tracing interceptors wrap signal and update handlers and activity results in extra
 * promises, which moves their commands within an activation: a release started before tracing
 * existed (paused-and-resumed.json) does not replay with them. So they trace only runs that start
 * with them: `patched('otel-tracing')`, asked first thing in the first activation, records a marker
 * in new runs; in older runs it is false and every tracing interceptor passes calls straight through.
 */
class TracingGate {
  on = false;
}

function gatedInbound(gate: TracingGate, inner: WorkflowInboundCallsInterceptor): WorkflowInboundCallsInterceptor {
  return {
    execute: (input, next) => {
      gate.on = patched('otel-tracing');
      return gate.on && inner.execute ? inner.execute(input, next) : next(input);
    },
    handleSignal: (input, next) => (gate.on && inner.handleSignal ? inner.handleSignal(input, next) : next(input)),
    handleUpdate: (input, next) => (gate.on && inner.handleUpdate ? inner.handleUpdate(input, next) : next(input)),
    validateUpdate: (input, next) =>
      gate.on && inner.validateUpdate ? inner.validateUpdate(input, next) : next(input),
    handleQuery: (input, next) => (gate.on && inner.handleQuery ? inner.handleQuery(input, next) : next(input)),
  };
}

function gatedOutbound(gate: TracingGate, inner: WorkflowOutboundCallsInterceptor): WorkflowOutboundCallsInterceptor {
  const pass = <K extends keyof WorkflowOutboundCallsInterceptor>(name: K) =>
    ((input: never, next: (i: never) => unknown) => {
      const method = inner[name] as ((i: never, n: (i: never) => unknown) => unknown) | undefined;
      return gate.on && method ? method.call(inner, input, next) : next(input);
    }) as unknown as WorkflowOutboundCallsInterceptor[K];
  return {
    scheduleActivity: pass('scheduleActivity'),
    scheduleLocalActivity: pass('scheduleLocalActivity'),
    startTimer: pass('startTimer'),
    startChildWorkflowExecution: pass('startChildWorkflowExecution'),
    continueAsNew: pass('continueAsNew'),
    signalWorkflow: pass('signalWorkflow'),
    startNexusOperation: pass('startNexusOperation'),
    getLogAttributes: pass('getLogAttributes'),
    getMetricTags: pass('getMetricTags'),
  };
}

// Order matters: the first interceptor of a list is the outermost.
export const interceptors = (): WorkflowInterceptors => {
  const gate = new TracingGate();
  const trace = new ReleaseTrace();
  return {
    inbound: [
      gatedInbound(gate, new OpenTelemetryInboundInterceptor()),
      gatedInbound(gate, new ReleaseTraceInbound(trace)),
      new ReleaseCountingInterceptor(),
    ],
    outbound: [
      gatedOutbound(gate, new ReleaseTraceOutbound(trace)),
      gatedOutbound(gate, new OpenTelemetryOutboundInterceptor()),
      gatedOutbound(gate, new ReleaseTraceActivityMarker(trace)),
    ],
    internals: [new OpenTelemetryInternalsInterceptor()],
  };
};
