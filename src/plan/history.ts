// How long a release's workflow history can grow. Temporal warns at 10,240 events and a long history
// slows every replay; the release has no continue-as-new, so a plan whose own numbers would pass the
// budget is refused before it starts. Pure: the workflow bundle imports it through the schema.
import type { ReleasePlan } from './types';

export const HISTORY_EVENT_BUDGET = 10_000;

/**
 * Events per analysis: a timer (started, fired) and the workflow task it wakes (scheduled, started,
 * completed) = 5, plus per activity of the tick (scheduled, started, completed) and, at worst, one
 * workflow task for its completion = 6. The activities are the canary's metrics, the stable side's
 * when a metric compares with stable, and green's health check when healthCheckFailureLimit > 0.
 * Measured on the committed histories: succeeded.json, 85 analyses with two activities each, spends
 * 1,439 events from the first traffic shift to the promotion, 16.9 per analysis (formula: 17).
 */
export const eventsPerAnalysis = (activities: number) => 5 + 6 * activities;

/**
 * Everything but the analyses: start, approvals, green, promotion, retention and the rollback or
 * emergency path (at most 265 events in the committed histories besides analyses, emergency.json)
 * = 200, each preflight check run twice (preflight and the re-check after a late approval) at 6
 * events a run = 12 per check, and per canary step the weight change and its notification = 20.
 */
export const fixedEvents = (checks: number, steps: number) => 200 + 12 * checks + 20 * steps;

/**
 * Worst case the plan itself allows (operators' signals and pauses add more and are not counted):
 * every watch window analysed ceil(watch / interval) times.
 */
export function worstCaseHistoryEvents(plan: Pick<ReleasePlan, 'canary' | 'fullSwitch' | 'metrics' | 'preflight'>): {
  events: number;
  analyses: number;
  perAnalysis: number;
  fixed: number;
} {
  const interval = plan.canary.analysisIntervalMs;
  const windows = [...plan.canary.steps.map((s) => s.watchMs), plan.fullSwitch.watchMs];
  const analyses = windows.reduce((sum, w) => sum + Math.ceil(w / interval), 0);
  const activities =
    1 + (plan.metrics.some((m) => m.compareToStable) ? 1 : 0) + (plan.canary.healthCheckFailureLimit > 0 ? 1 : 0);
  const perAnalysis = eventsPerAnalysis(activities);
  const fixed = fixedEvents(plan.preflight.checks.length, plan.canary.steps.length);
  return { events: fixed + analyses * perAnalysis, analyses, perAnalysis, fixed };
}

/** The shortest analysis interval (whole seconds) that keeps the plan within the budget, if any does. */
export function shortestIntervalMs(
  plan: Pick<ReleasePlan, 'canary' | 'fullSwitch' | 'metrics' | 'preflight'>,
): number | undefined {
  const { perAnalysis, fixed } = worstCaseHistoryEvents(plan);
  const windows = plan.canary.steps.length + 1;
  // ceil() adds at most one analysis per window.
  const analyses = Math.floor((HISTORY_EVENT_BUDGET - fixed) / perAnalysis) - windows;
  if (analyses <= 0) return undefined;
  const total = plan.canary.steps.reduce((sum, s) => sum + s.watchMs, plan.fullSwitch.watchMs);
  return Math.ceil(total / analyses / 1000) * 1000;
}
