// The canary's analysis, pure: each metric's query, the verdict on one sample, and what the watch loop
// does after each look at a traffic window (roll back, pause for a person, count, continue, complete, or
// stop for a control). The loop (stages/watch.ts) owns the timers and the activities.
import type { MetricQuery, MetricReading } from '../activities/contract';
import { renderMetricQuery } from '../plan/metric-queries';
import type { MetricSpec, ReleasePlan } from '../plan/types';
import type { ControlState } from './control-rules';
import type { AnalysisRecord } from './definitions';
import type { RollbackTrigger, WatchOutcome, WatchStage } from './exits';

export interface QueryVars {
  app: string;
  version: string;
  blueNamespace: string;
  greenNamespace: string;
  /** Set in a multi-cluster release's child only. */
  cluster?: string;
  region?: string;
}

/** Each metric's query for one side, rendered by its provider's rules (plan/metric-queries.ts). */
export function metricQueries(metrics: MetricSpec[], vars: QueryVars, side: 'canary' | 'stable'): MetricQuery[] {
  const namespace = side === 'canary' ? vars.greenNamespace : vars.blueNamespace;
  const raw = {
    namespace,
    blue_namespace: vars.blueNamespace,
    green_namespace: vars.greenNamespace,
    app: vars.app,
    version: vars.version,
    ...(vars.cluster !== undefined ? { cluster: vars.cluster, region: vars.region ?? '' } : {}),
  };
  return metrics.map((m) => renderMetricQuery(m, raw));
}

export interface Finding {
  metric: string;
  value?: number;
  /** What was violated, in words a person reads in the report: "error_rate 7.2 > 5". */
  detail: string;
}

export interface Verdict {
  kind: 'pass' | 'breach' | 'unhealthy' | 'inconclusive';
  findings: Finding[];
  /** Metrics that gave no number (never counted as passing). */
  inconclusive: Finding[];
}

const valueOf = (readings: MetricReading[] | undefined, name: string): MetricReading | undefined =>
  readings?.find((r) => r.name === name);
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, ''));

/**
 * Evaluates one sample. At every analysis tick only rollback triggers (and the canary-vs-stable
 * comparison) count; at the end of a window the healthy thresholds must hold too. A metric that is
 * needed for the decision and has no number makes the verdict inconclusive unless something else
 * already breached: missing data never passes.
 */
export function evaluateSample(
  metrics: MetricSpec[],
  canary: MetricReading[],
  stable: MetricReading[] | undefined,
  at: 'tick' | 'window-end',
): Verdict {
  const breaches: Finding[] = [];
  const unhealthy: Finding[] = [];
  const inconclusive: Finding[] = [];
  for (const m of metrics) {
    const needed =
      m.rollback !== undefined || m.compareToStable !== undefined || (at === 'window-end' && m.healthy !== undefined);
    if (!needed) continue;
    const r = valueOf(canary, m.name);
    if (!r || !('value' in r)) {
      inconclusive.push({
        metric: m.name,
        detail: r && 'inconclusive' in r ? `${m.name}: ${r.inconclusive} (${r.detail})` : `${m.name}: no reading`,
      });
      continue;
    }
    const v = r.value;
    if (m.rollback?.above !== undefined && v > m.rollback.above)
      breaches.push({
        metric: m.name,
        value: v,
        detail: `${m.name} ${fmt(v)} > ${fmt(m.rollback.above)} (rollback trigger)`,
      });
    if (m.rollback?.below !== undefined && v < m.rollback.below)
      breaches.push({
        metric: m.name,
        value: v,
        detail: `${m.name} ${fmt(v)} < ${fmt(m.rollback.below)} (rollback trigger)`,
      });
    if (m.compareToStable) {
      const s = valueOf(stable, m.name);
      if (!s || !('value' in s)) {
        inconclusive.push({
          metric: m.name,
          detail: `${m.name}: stable side ${s && 'inconclusive' in s ? s.inconclusive : 'has no reading'}`,
        });
      } else {
        const { maxIncrease, maxDecrease } = m.compareToStable;
        if (maxIncrease !== undefined && v > s.value + maxIncrease)
          breaches.push({
            metric: m.name,
            value: v,
            detail: `${m.name} canary ${fmt(v)} > stable ${fmt(s.value)} + ${fmt(maxIncrease)}`,
          });
        if (maxDecrease !== undefined && v < s.value - maxDecrease)
          breaches.push({
            metric: m.name,
            value: v,
            detail: `${m.name} canary ${fmt(v)} < stable ${fmt(s.value)} - ${fmt(maxDecrease)}`,
          });
      }
    }
    if (at === 'window-end' && m.healthy) {
      if (m.healthy.max !== undefined && v > m.healthy.max)
        unhealthy.push({
          metric: m.name,
          value: v,
          detail: `${m.name} ${fmt(v)} > ${fmt(m.healthy.max)} (healthy maximum)`,
        });
      if (m.healthy.min !== undefined && v < m.healthy.min)
        unhealthy.push({
          metric: m.name,
          value: v,
          detail: `${m.name} ${fmt(v)} < ${fmt(m.healthy.min)} (healthy minimum)`,
        });
    }
  }
  if (breaches.length) return { kind: 'breach', findings: breaches, inconclusive };
  if (unhealthy.length) return { kind: 'unhealthy', findings: unhealthy, inconclusive };
  if (inconclusive.length) return { kind: 'inconclusive', findings: [], inconclusive };
  return { kind: 'pass', findings: [], inconclusive };
}

export function describeVerdict(v: Verdict): string {
  if (v.kind === 'pass') return 'all metrics within bounds';
  const list = v.kind === 'inconclusive' ? v.inconclusive : v.findings;
  return list.map((f) => f.detail).join('; ');
}

export function needsStable(metrics: MetricSpec[]): boolean {
  return metrics.some((m) => m.compareToStable !== undefined);
}

/** Consecutive green health-check failures that force a rollback: more than the plan's limit. */
export function healthFailuresExceeded(plan: ReleasePlan, consecutiveFailures: number): boolean {
  return plan.canary.healthCheckFailureLimit > 0 && consecutiveFailures > plan.canary.healthCheckFailureLimit;
}

/** How long to wait before the next analysis tick. */
export function nextTickMs(intervalMs: number, remainingMs: number): number {
  return Math.max(0, Math.min(intervalMs, remainingMs));
}

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
