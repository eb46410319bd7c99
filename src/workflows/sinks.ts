// Release-level metrics leave the deterministic workflow through a sink: the worker runs the sink
// functions outside the sandbox, and not while a history is replayed, so each event counts once.
import { proxySinks, type Sinks } from '@temporalio/workflow';
import type { MetricReading } from '../activities/contract';
import type { DoraFacts } from './audit-entries';
import type { Outcome, Stage } from './definitions';
import type { RollbackTrigger } from './exits';

export type AnalysisResult = 'pass' | 'breach' | 'unhealthy' | 'inconclusive';
/** Values of hwayo_rollbacks_total's `trigger` label (dashboards and alerts read them). */
export type RollbackTriggerLabel =
  | 'metric-breach'
  | 'health-check'
  | 'inconclusive-metrics'
  | 'rollout-timeout'
  | 'manual'
  | 'manual-after-success'
  | 'abort'
  | 'cancelled'
  | 'failure'
  | 'window-closed'
  | 'alert';

export interface ReleaseMetricsSinks extends Sinks {
  releaseMetrics: {
    started(app: string): void;
    finished(app: string, outcome: Outcome | 'failed' | 'cancelled'): void;
    stage(stage: Stage, greenWeight: number): void;
    analysis(stage: 'canary' | 'full-switch', results: { metric: string; result: AnalysisResult }[]): void;
    rollback(trigger: RollbackTriggerLabel): void;
    approvalWait(seconds: number, decision: 'approved' | 'rejected' | 'timed-out' | 'aborted'): void;
    /** A finished release's DORA facts (src/dora/summary.ts turns them into observations). */
    dora(app: string, outcome: Outcome, facts: DoraFacts): void;
  };
}

export const releaseMetrics = proxySinks<ReleaseMetricsSinks>().releaseMetrics;

/** One result per metric of an analysis: named in the verdict's findings, inconclusive, or passing. */
export function analysisResults(
  readings: MetricReading[],
  verdict: { kind: AnalysisResult; findings: { metric: string }[]; inconclusive: { metric: string }[] },
): { metric: string; result: AnalysisResult }[] {
  return readings.map(({ name }) => ({
    metric: name,
    result: verdict.findings.some((f) => f.metric === name)
      ? verdict.kind
      : verdict.inconclusive.some((f) => f.metric === name)
        ? 'inconclusive'
        : 'pass',
  }));
}

/** The metric label of what started a rollback, read from its type (never from the message). */
export function rollbackTriggerLabel(trigger: RollbackTrigger): RollbackTriggerLabel {
  switch (trigger.kind) {
    case 'metric':
      return 'metric-breach';
    case 'health-check':
    case 'inconclusive-metrics':
    case 'rollout-timeout':
    case 'manual':
    case 'manual-after-success':
    case 'abort':
    case 'cancelled':
    case 'failure':
    case 'window-closed':
    case 'alert':
      return trigger.kind;
  }
}
