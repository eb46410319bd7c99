// What the watch loop does after each look at a traffic window, pure: roll back, pause for a person,
// count, continue, complete, or stop for a control. The loop (stages/watch.ts) owns the timers.
import type { ReleasePlan } from '../plan/types';
import type { ControlState } from './control-rules';
import type { AnalysisRecord } from './definitions';
import { healthFailuresExceeded } from './decisions';
import type { RollbackTrigger, WatchOutcome, WatchStage } from './exits';

/** One analysis as the policy reads it: the verdict, its words, and the metrics it names. */
export interface Sample {
  verdict: AnalysisRecord['verdict'];
  detail: string;
  metrics: string[];
}

/** Runs of bad looks in a row, carried from one tick to the next. */
export interface WatchCounts {
  inconclusiveRun: number;
  healthFailures: number;
}

export interface Window {
  stage: WatchStage;
  weight: number;
}

export type WatchStep =
  | { do: 'complete' }
  | { do: 'rollback'; reason: string; trigger: RollbackTrigger }
  /** Metrics stayed inconclusive and the plan wants a person: pause, then go on with `counts`. */
  | { do: 'pause'; detail: string; counts: WatchCounts }
  | { do: 'continue'; counts: WatchCounts };

/** A control that ends the window now: abort and rollback always, promote only where it may skip steps. */
export function interruption(control: ControlState, allowPromote: boolean): WatchOutcome | undefined {
  const { abort, rollback, promote } = control;
  if (abort)
    return {
      result: 'abort',
      reason: `aborted by ${abort.by}${abort.reason ? `: ${abort.reason}` : ''}`,
      trigger: { kind: 'abort', by: abort.by },
    };
  if (rollback)
    return {
      result: 'rollback',
      reason: `manual rollback by ${rollback.by}: ${rollback.reason}`,
      trigger: { kind: 'manual', by: rollback.by },
    };
  if (allowPromote && promote) return { result: 'promote' };
  return undefined;
}

const metricBreach = (w: Window, s: Sample): Extract<WatchStep, { do: 'rollback' }> => ({
  do: 'rollback',
  reason: `${w.stage} at ${w.weight}%: ${s.detail}`,
  trigger: { kind: 'metric', stage: w.stage, weight: w.weight, metrics: s.metrics },
});

/** Missing data never passes: the plan says whether a person decides (pause) or the release rolls back. */
function onInconclusive(
  plan: ReleasePlan,
  detail: string,
  counts: WatchCounts,
): Extract<WatchStep, { do: 'rollback' | 'pause' }> {
  if (plan.canary.onInconclusive === 'rollback') {
    return {
      do: 'rollback',
      reason: `metrics inconclusive ${plan.canary.inconclusiveLimit} times in a row: ${detail}`,
      trigger: { kind: 'inconclusive-metrics' },
    };
  }
  return { do: 'pause', detail, counts };
}

/** At the end of the window every healthy threshold must hold too. */
export function afterWindowEnd(
  plan: ReleasePlan,
  w: Window,
  end: Sample,
  counts: WatchCounts,
): Exclude<WatchStep, { do: 'continue' }> {
  if (end.verdict === 'pass') return { do: 'complete' };
  if (end.verdict === 'breach' || end.verdict === 'unhealthy') return metricBreach(w, end);
  return onInconclusive(plan, end.detail, counts);
}

/** At a tick only rollback triggers count, with green's health and runs of inconclusive looks. */
export function afterTick(
  plan: ReleasePlan,
  w: Window,
  tick: Sample,
  health: { healthy: boolean; detail: string },
  counts: WatchCounts,
): Exclude<WatchStep, { do: 'complete' }> {
  if (tick.verdict === 'breach') return metricBreach(w, tick);
  const healthFailures = health.healthy ? 0 : counts.healthFailures + 1;
  if (healthFailuresExceeded(plan, healthFailures)) {
    return {
      do: 'rollback',
      reason: `${w.stage} at ${w.weight}%: health check failed ${healthFailures} times in a row (${health.detail})`,
      trigger: { kind: 'health-check' },
    };
  }
  const next = { inconclusiveRun: tick.verdict === 'inconclusive' ? counts.inconclusiveRun + 1 : 0, healthFailures };
  if (next.inconclusiveRun >= plan.canary.inconclusiveLimit) return onInconclusive(plan, tick.detail, next);
  return { do: 'continue', counts: next };
}

/** How long a pause holds a window before it ends by itself (plans from before canary.maxPause: 1 h). */
export const DEFAULT_MAX_PAUSE_MS = 3_600_000;
export const maxPauseMs = (plan: ReleasePlan): number => plan.canary.maxPauseMs ?? DEFAULT_MAX_PAUSE_MS;

/** What is left of a pause that began at `pauseStartedMs`; 0 or less: it has expired. */
export const pauseLeftMs = (plan: ReleasePlan, pauseStartedMs: number, nowMs: number): number =>
  maxPauseMs(plan) - (nowMs - pauseStartedMs);
