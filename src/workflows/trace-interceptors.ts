// Bundled into the workflow code (runs inside the sandbox, deterministic): shapes a release's trace.
// Temporal's OpenTelemetry interceptors give RunWorkflow and one StartActivity span per activity; these
// add the release's identity to RunWorkflow and a span per stage (and per canary weight), under which
// the activities of that stage hang. The stage and weight are read from the search attributes the
// workflow keeps current (HwayoStage, HwayoCanaryWeight), so release.ts needs no tracing code. Spans
// issue no commands: replay is unaffected, and the sink that exports them is not called on replay.
import * as otel from '@opentelemetry/api';
import {
  workflowInfo,
  type ActivityInput,
  type LocalActivityInput,
  type Next,
  type TimerInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { SA_STAGE, SA_WEIGHT, type ReleaseInput, type ReleaseResult } from './definitions';

export const ATTR = {
  releaseId: 'hwayo.release_id',
  app: 'hwayo.app',
  version: 'hwayo.version',
  imageTag: 'hwayo.image_tag',
  stage: 'hwayo.stage',
  weight: 'hwayo.canary_weight',
  outcome: 'hwayo.outcome',
  reason: 'hwayo.reason',
} as const;

/** Stages a release enters when the one before it went wrong: that stage's span ends in error. */
const FAILURE_STAGES = new Set(['rolling-back', 'emergency']);

// `weight` is the one shown (a canary step's target from the moment its shift is scheduled); `saWeight` the recorded
// one.
interface StageSpan {
  stage: string;
  weight: number;
  saWeight: number;
  span: otel.Span;
  context: otel.Context;
}

/** One per workflow run (the interceptors factory builds one): its root span and the current stage's span. */
export class ReleaseTrace {
  private root?: otel.Span;
  private rootContext?: otel.Context;
  private current?: StageSpan;
  private release: otel.Attributes = {};

  constructor(private readonly tracer: otel.Tracer = otel.trace.getTracer('hwayo-release-workflow')) {}

  /** Inside RunWorkflow (after Temporal's inbound interceptor): names the release on it. */
  begin(input: ReleaseInput | undefined): void {
    this.root = otel.trace.getActiveSpan();
    if (!this.root) return;
    this.rootContext = otel.context.active();
    const info = workflowInfo();
    this.release = {
      [ATTR.releaseId]: info.workflowId,
      ...(input?.plan?.app ? { [ATTR.app]: input.plan.app } : {}),
      ...(input?.version ? { [ATTR.version]: input.version } : {}),
    };
    this.root.setAttributes({ ...this.release, ...(input?.imageTag ? { [ATTR.imageTag]: input.imageTag } : {}) });
  }

  /**
   * Follows the stage before each command that waits; returns the context its spans belong under.
   * `shiftTo`: the weight a traffic shift being scheduled moves to (the workflow records it once it landed).
   */
  sync(shiftTo?: number): otel.Context | undefined {
    if (!this.root || !this.rootContext) return undefined;
    const attrs = workflowInfo().typedSearchAttributes;
    const stage = attrs.get(SA_STAGE);
    if (stage === undefined) return this.current?.context;
    const saWeight = Number(attrs.get(SA_WEIGHT) ?? 0);
    const weight = shiftTo ?? saWeight;
    // A canary step is its own span, from its shift on; elsewhere a weight change (the rollback's switch
    // to blue) is noted on the stage's span.
    const c = this.current;
    if (
      c &&
      c.stage === stage &&
      (stage !== 'canary' || weight === c.weight || (shiftTo === undefined && saWeight === c.saWeight))
    ) {
      c.saWeight = saWeight;
      if (stage !== 'canary' && weight !== c.weight) {
        c.weight = weight;
        c.span.setAttribute(ATTR.weight, weight);
        this.root.setAttribute(ATTR.weight, weight);
      }
      return c.context;
    }
    if (this.current)
      this.endStage(
        FAILURE_STAGES.has(stage) && !FAILURE_STAGES.has(this.current.stage) ? `left for ${stage}` : undefined,
      );
    const attributes = { ...this.release, [ATTR.stage]: stage, [ATTR.weight]: weight };
    const span = this.tracer.startSpan(
      stage === 'canary' ? `stage:canary ${weight}%` : `stage:${stage}`,
      { attributes },
      this.rootContext,
    );
    this.current = { stage, weight, saWeight, span, context: otel.trace.setSpan(this.rootContext, span) };
    this.root.setAttributes({ [ATTR.stage]: stage, [ATTR.weight]: weight });
    this.root.addEvent(`stage ${stage}`, { [ATTR.stage]: stage, [ATTR.weight]: weight });
    return this.current.context;
  }

  /** The workflow returned or threw: the last stage ends, the outcome goes on RunWorkflow. */
  end(result: ReleaseResult | undefined, err?: unknown): void {
    if (!this.root) return;
    this.sync();
    // A stage the release went wrong in already ended in error (sync); a failure escaping the workflow marks the last.
    this.endStage(err === undefined ? undefined : err instanceof Error ? err.message : String(err));
    if (result)
      this.root.setAttributes({
        [ATTR.outcome]: result.outcome,
        ...(result.reason ? { [ATTR.reason]: result.reason } : {}),
      });
  }

  /** Marks the span of the command being started (StartActivity) with the release and its stage. */
  markActive(): void {
    const span = otel.trace.getActiveSpan();
    if (!span || !this.current || span === this.current.span || span === this.root) return;
    span.setAttributes({ ...this.release, [ATTR.stage]: this.current.stage, [ATTR.weight]: this.current.weight });
  }

  private endStage(error: string | undefined): void {
    if (!this.current) return;
    this.current.span.setStatus(
      error ? { code: otel.SpanStatusCode.ERROR, message: error } : { code: otel.SpanStatusCode.OK },
    );
    this.current.span.end();
    this.current = undefined;
  }
}

/** Inner to Temporal's inbound interceptor, so RunWorkflow is the active span. */
export class ReleaseTraceInbound implements WorkflowInboundCallsInterceptor {
  constructor(private readonly trace: ReleaseTrace) {}

  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    if (workflowInfo().workflowType !== 'releaseWorkflow') return next(input);
    this.trace.begin(input.args[0] as ReleaseInput | undefined);
    try {
      const result = (await next(input)) as ReleaseResult;
      this.trace.end(result);
      return result;
    } catch (err) {
      this.trace.end(undefined, err);
      throw err;
    }
  }
}

/** Outer to Temporal's outbound interceptor: its StartActivity spans open under the current stage's span. */
export class ReleaseTraceOutbound implements WorkflowOutboundCallsInterceptor {
  constructor(private readonly trace: ReleaseTrace) {}

  scheduleActivity(
    input: ActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
  ): Promise<unknown> {
    const shiftTo =
      input.activityType === 'setTrafficWeight'
        ? (input.args[0] as { greenWeight?: unknown } | undefined)?.greenWeight
        : undefined;
    return this.within(() => next(input), typeof shiftTo === 'number' ? shiftTo : undefined);
  }

  scheduleLocalActivity(
    input: LocalActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
  ): Promise<unknown> {
    return this.within(() => next(input));
  }

  startTimer(input: TimerInput, next: Next<WorkflowOutboundCallsInterceptor, 'startTimer'>): Promise<void> {
    this.trace.sync();
    return next(input);
  }

  private within<T>(fn: () => T, shiftTo?: number): T {
    const context = this.trace.sync(shiftTo);
    return context ? otel.context.with(context, fn) : fn();
  }
}

/** Inner to Temporal's outbound interceptor: the StartActivity span it opened is active here. */
export class ReleaseTraceActivityMarker implements WorkflowOutboundCallsInterceptor {
  constructor(private readonly trace: ReleaseTrace) {}

  scheduleActivity(
    input: ActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
  ): Promise<unknown> {
    this.trace.markActive();
    return next(input);
  }
}
