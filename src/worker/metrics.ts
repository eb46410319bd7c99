// Our Prometheus metrics (prom-client), next to Node's default process metrics. Temporal's own SDK
// metrics are served by the Runtime on a second port (see worker.ts).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { InjectedSinks } from '@temporalio/worker';
import { doraObservation } from '../dora/summary';
import type { Stage } from '../workflows/definitions';
import type { ReleaseMetricsSinks } from '../workflows/sinks';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import { workflowTracingSinks } from '../telemetry/tracing';

export class WorkerMetrics {
  readonly registry = new Registry();
  readonly releasesStarted = new Counter({
    name: 'hwayo_releases_started_total',
    help: 'Releases started',
    labelNames: ['app'],
    registers: [this.registry],
  });
  readonly releasesFinished = new Counter({
    name: 'hwayo_releases_finished_total',
    help: 'Releases finished, by outcome',
    labelNames: ['app', 'outcome'],
    registers: [this.registry],
  });
  readonly stage = new Gauge({
    name: 'hwayo_release_stage',
    help: '1 for the stage each running release is in',
    labelNames: ['release_id', 'stage'],
    registers: [this.registry],
  });
  readonly canaryWeight = new Gauge({
    name: 'hwayo_release_canary_weight_percent',
    help: 'Share of traffic on green, per running release',
    labelNames: ['release_id'],
    registers: [this.registry],
  });
  readonly rollbacks = new Counter({
    name: 'hwayo_rollbacks_total',
    help: 'Rollbacks started, by trigger',
    labelNames: ['trigger'],
    registers: [this.registry],
  });
  readonly analysisChecks = new Counter({
    name: 'hwayo_analysis_checks_total',
    help: 'Metric checks of canary analysis, by metric and result',
    labelNames: ['stage', 'metric', 'result'],
    registers: [this.registry],
  });
  readonly approvalWait = new Histogram({
    name: 'hwayo_approval_wait_seconds',
    help: 'Time from approval request to decision',
    labelNames: ['decision'],
    buckets: [60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600],
    registers: [this.registry],
  });
  readonly activityDuration = new Histogram({
    name: 'hwayo_activity_duration_seconds',
    help: 'Activity attempt durations, by activity and result',
    labelNames: ['activity', 'result'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers: [this.registry],
  });
  // DORA (src/dora/summary.ts): frequency is the rate of deployments, failure rate their share with result=failure.
  readonly doraDeployments = new Counter({
    name: 'hwayo_dora_deployments_total',
    help: 'Finished releases that changed production, by result (failure: rolled back or emergency path)',
    labelNames: ['app', 'result'],
    registers: [this.registry],
  });
  readonly doraLeadTime = new Histogram({
    name: 'hwayo_dora_lead_time_seconds',
    help: 'Release requested to 100% of traffic on green',
    labelNames: ['app'],
    buckets: [600, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 2 * 86_400, 7 * 86_400],
    registers: [this.registry],
  });
  readonly doraRestore = new Histogram({
    name: 'hwayo_dora_time_to_restore_seconds',
    help: 'Rollback of a changed production started to blue verified',
    labelNames: ['app'],
    buckets: [30, 60, 120, 300, 600, 1800, 3600, 4 * 3600],
    registers: [this.registry],
  });
  private readonly stages = new Map<string, string>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  setStage(releaseId: string, stage: string): void {
    const previous = this.stages.get(releaseId);
    if (previous === stage) return;
    if (previous) this.stage.remove({ release_id: releaseId, stage: previous });
    this.stages.set(releaseId, stage);
    this.stage.set({ release_id: releaseId, stage }, 1);
  }

  observeDora(app: string, outcome: string, facts: Parameters<typeof doraObservation>[1]): void {
    const o = doraObservation(outcome, facts);
    if (o.deployment) this.doraDeployments.inc({ app, result: o.deployment });
    if (o.leadTimeSeconds !== undefined) this.doraLeadTime.observe({ app }, o.leadTimeSeconds);
    if (o.restoreSeconds !== undefined) this.doraRestore.observe({ app }, o.restoreSeconds);
  }

  /** A finished release leaves the per-release gauges, so their series do not grow forever. */
  forgetRelease(releaseId: string): void {
    const previous = this.stages.get(releaseId);
    if (previous) this.stage.remove({ release_id: releaseId, stage: previous });
    this.stages.delete(releaseId);
    this.canaryWeight.remove({ release_id: releaseId });
  }

  /** The worker side of src/workflows/sinks.ts. */
  sinks(): InjectedSinks<ReleaseMetricsSinks> {
    return {
      releaseMetrics: {
        started: { fn: (_info, app) => this.releasesStarted.inc({ app }) },
        finished: {
          fn: (info, app, outcome) => {
            this.releasesFinished.inc({ app, outcome });
            this.forgetRelease(info.workflowId);
          },
        },
        stage: {
          fn: (info, stage: Stage, weight) => {
            this.setStage(info.workflowId, stage);
            this.canaryWeight.set({ release_id: info.workflowId }, weight);
          },
        },
        analysis: {
          fn: (_info, stage, results) =>
            results.forEach((r) => this.analysisChecks.inc({ stage, metric: r.metric, result: r.result })),
        },
        rollback: { fn: (_info, trigger) => this.rollbacks.inc({ trigger }) },
        approvalWait: { fn: (_info, seconds, decision) => this.approvalWait.observe({ decision }, seconds) },
        dora: { fn: (_info, app, outcome, facts) => this.observeDora(app, outcome, facts) },
      },
    };
  }
}

/**
 * Sinks for replay workers: the workflow calls its sinks during replay, and the SDK logs an error for
 * an unregistered one, but never runs them while replaying; so these do nothing.
 */
export function replaySinks(): InjectedSinks<ReleaseMetricsSinks & OpenTelemetrySinks> {
  const none = { fn: () => undefined };
  return {
    releaseMetrics: {
      started: none,
      finished: none,
      stage: none,
      analysis: none,
      rollback: none,
      approvalWait: none,
      dora: none,
    },
    // The bundled workflow interceptors trace (src/worker/workflow-interceptors.ts): their sink, doing nothing.
    ...workflowTracingSinks(undefined),
  };
}
