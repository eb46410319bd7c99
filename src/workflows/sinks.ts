// Release-level metrics leave the deterministic workflow through a sink: the worker runs the sink
// functions outside the sandbox, and not while a history is replayed, so each event counts once.
import { proxySinks, type Sinks } from '@temporalio/workflow';
import type { MetricReading } from '../activities/contract';
import type { Outcome, Stage } from './definitions';

export type AnalysisResult = 'pass' | 'breach' | 'unhealthy' | 'inconclusive';
export type RollbackTrigger =
  | 'metric-breach' | 'health-check' | 'inconclusive-metrics' | 'rollout-timeout' | 'manual' | 'manual-after-success'
  | 'abort' | 'cancelled' | 'failure' | 'other';

export interface ReleaseMetricsSinks extends Sinks {
  releaseMetrics: {
    started(app: string): void;
    finished(app: string, outcome: Outcome | 'failed' | 'cancelled'): void;
    stage(stage: Stage, greenWeight: number): void;
    analysis(stage: 'canary' | 'full-switch', results: { metric: string; result: AnalysisResult }[]): void;
    rollback(trigger: RollbackTrigger): void;
    approvalWait(seconds: number, decision: 'approved' | 'rejected' | 'timed-out' | 'aborted'): void;
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
    result: verdict.findings.some((f) => f.metric === name) ? verdict.kind
      : verdict.inconclusive.some((f) => f.metric === name) ? 'inconclusive' : 'pass',
  }));
}

/** What started a rollback, from the reason the release records (see release.ts). */
export function rollbackTrigger(why: string): RollbackTrigger {
  if (why.startsWith('aborted by')) return 'abort';
  if (why.startsWith('manual rollback by')) return 'manual';
  if (why.startsWith('rollback after success')) return 'manual-after-success';
  if (why.startsWith('workflow cancelled')) return 'cancelled';
  if (why.startsWith('unexpected failure')) return 'failure';
  if (why.startsWith('metrics inconclusive')) return 'inconclusive-metrics';
  if (why.startsWith('green not ready')) return 'rollout-timeout';
  if (/health check/.test(why)) return 'health-check';
  if (/^(canary|full-switch) at \d+%/.test(why)) return 'metric-breach';
  return 'other';
}
