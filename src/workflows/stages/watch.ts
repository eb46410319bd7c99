// Watches one traffic window: every analysis interval the rollback triggers and green's health, at
// the end the healthy thresholds. A pause holds promotion and the window's clock only: the looks and
// their rollback triggers go on, and a pause ends by itself after canary.maxPause (patch
// pause-keeps-analysis; before it a pause stopped the looks too). Abort, rollback and promote end it.
// What each look leads to is analysis.ts; this loop owns the timers and the record.
import { allHandlersFinished, condition, continueAsNew, log, patched, workflowInfo } from '@temporalio/workflow';
import {
  afterTick,
  afterWindowEnd,
  describeVerdict,
  evaluateSample,
  interruption,
  maxPauseMs,
  metricQueries,
  needsStable,
  nextTickMs,
  pauseLeftMs,
  type Sample,
  type WatchCounts,
} from '../analysis';
import type { MetricReading } from '../../activities/contract';
import { formatDuration } from '../../plan/duration';
import { carriedAuditLog } from '../audit-log';
import { checkpointDue, type Carried, type ResumePoint, type WindowProgress } from '../checkpoint';
import type { AnalysisRecord, ReleaseInput, ReleaseResult } from '../definitions';
import { errorText, type WatchOutcome, type WatchStage } from '../exits';
import { metricsOfStage } from '../metric-stages';
import { call, METRIC_OPTIONS, TICK_METRIC_OPTIONS } from '../proxies';
import { iso, type ReleaseState } from '../release-state';
import { analysisResults, releaseMetrics } from '../sinks';
import { checkHealth, notify } from '../steps';

/** Reads the metrics (canary side, and stable when a metric compares), judges them and records the analysis. */
async function analyze(r: ReleaseState, kind: AnalysisRecord['kind'], stage: WatchStage): Promise<Sample> {
  const metrics = metricsOfStage(r.plan.metrics, stage);
  const read = async (side: 'canary' | 'stable'): Promise<MetricReading[]> => {
    const queries = metricQueries(metrics, r.vars(), side);
    try {
      return await call(
        patched('tick-timeouts') ? TICK_METRIC_OPTIONS : METRIC_OPTIONS,
        `metrics: ${side} ${kind}`,
        'queryMetrics',
        { queries },
      );
    } catch (err) {
      return queries.map((q) => ({ name: q.name, inconclusive: 'unreachable' as const, detail: errorText(err) }));
    }
  };
  const [canary, stable] = await Promise.all([
    read('canary'),
    needsStable(metrics) ? read('stable') : Promise.resolve(undefined),
  ]);
  const verdict = evaluateSample(metrics, canary, stable, kind);
  const record: AnalysisRecord = {
    at: iso(),
    stage,
    weight: r.greenWeight,
    kind,
    readings: canary,
    stable,
    verdict: verdict.kind,
    detail: describeVerdict(verdict),
  };
  r.analyses.push(record);
  releaseMetrics.analysis(stage, analysisResults(canary, verdict));
  return { verdict: record.verdict, detail: record.detail, metrics: verdict.findings.map((f) => f.metric) };
}

/** Metrics stayed inconclusive: the release pauses until a person resumes it or rolls it back. */
function pauseForPerson(r: ReleaseState, detail: string): void {
  r.control.paused = { by: 'hwayo-release', reason: `metrics inconclusive: ${detail}` };
  r.pending = {
    kind: 'inconclusive-metrics',
    since: iso(),
    detail: `metrics inconclusive ${r.plan.canary.inconclusiveLimit} times in a row (${detail}); resume to continue, or roll back`,
  };
  r.event(r.pending.detail);
  r.updateUi();
}

/** Hands the release to a new run (same workflow id) that resumes this window where it stopped. */
async function continueRelease(r: ReleaseState, at: ResumePoint): Promise<never> {
  log.info('history is long: continuing the release as a new run', {
    releaseId: r.releaseId,
    events: workflowInfo().historyLength,
    stage: at.stage,
    step: at.step,
  });
  return continueAsNew<(input: ReleaseInput) => Promise<ReleaseResult>>({
    ...r.input,
    carried: { state: r.snapshot(), at, audit: carriedAuditLog(r) } satisfies Carried,
  });
}

/** Watches one window; `resumed` carries the progress a previous run made in it; a hold (gate.ts) is no step. */
export async function watch(
  r: ReleaseState,
  stage: WatchStage,
  plannedMs: number,
  resumed?: WindowProgress,
  isStep = true,
): Promise<WatchOutcome> {
  const { plan, control } = r;
  const allowPromote = stage === 'canary';
  const where = { stage, weight: r.greenWeight };
  const startedMs = Date.now() - (resumed?.elapsedMs ?? 0);
  let pausedMs = resumed?.pausedMs ?? 0;
  // The pause in progress (patch pause-keeps-analysis): its time joins pausedMs when it ends.
  let pauseStartedMs = resumed?.pauseLastedMs === undefined ? undefined : Date.now() - resumed.pauseLastedMs;
  const pausedNowMs = () => pausedMs + (pauseStartedMs === undefined ? 0 : Date.now() - pauseStartedMs);
  const pauseLeft = () => pauseLeftMs(plan, pauseStartedMs ?? Date.now(), Date.now());
  // The window's clock runs while the release is watched and stops while it is paused.
  const remainingMs = () => plannedMs - (Date.now() - startedMs - pausedNowMs());
  let counts: WatchCounts = resumed?.counts ?? { inconclusiveRun: 0, healthFailures: 0 };
  const finish = (o: WatchOutcome): WatchOutcome => {
    const result =
      o.result === 'completed' ? 'passed' : o.result === 'promote' ? 'promoted' : `${o.result}: ${o.reason}`;
    const elapsedMs = Date.now() - startedMs;
    if (isStep) r.steps.push({ weight: r.greenWeight, plannedMs, elapsedMs, pausedMs: pausedNowMs(), result });
    r.window = undefined;
    return o;
  };
  const markPaused = () => {
    r.pending ??= {
      kind: 'paused',
      since: iso(pauseStartedMs),
      detail: `paused by ${control.paused?.by}${control.paused?.reason ? `: ${control.paused.reason}` : ''}`,
    };
    r.updateUi();
  };
  const endPause = () => {
    pausedMs = pausedNowMs();
    pauseStartedMs = undefined;
    r.pending = undefined;
    counts = { ...counts, inconclusiveRun: 0 };
    r.updateUi();
  };
  /** Before patch pause-keeps-analysis: nothing is looked at until the pause ends. */
  const waitWhilePaused = async () => {
    pauseStartedMs = Date.now();
    markPaused();
    await condition(() => control.paused === undefined || interruption(control, allowPromote) !== undefined);
    endPause();
  };
  /** A pause starts, ends, or has lasted canary.maxPause and ends by itself. */
  const followPause = async () => {
    if (control.paused && pauseStartedMs === undefined) pauseStartedMs = Date.now();
    if (control.paused && pauseLeft() <= 0) {
      const detail = `pause expired after ${formatDuration(maxPauseMs(plan))} (canary.maxPause)`;
      control.paused = undefined;
      r.audit.push({ at: iso(), action: 'resume', by: 'hwayo-release', accepted: true, detail });
      r.event(detail);
      await notify(r, 'warning', 'pause-expired', `${stage} at ${r.greenWeight}%: ${detail}; the window goes on`);
    }
    if (control.paused) markPaused();
    else if (pauseStartedMs !== undefined) endPause();
  };
  r.window = { stage, weight: r.greenWeight, plannedMs, remainingMs: Math.max(0, remainingMs()) };
  if (!resumed) r.event(`watching ${stage} at ${r.greenWeight}% for ${formatDuration(plannedMs)}`);
  // A permitted firing alert (alerts.ts) stops a canary window like a failed analysis.
  const alerted = () => (allowPromote ? r.alertStop : undefined);
  for (;;) {
    const stop = interruption(control, allowPromote) ?? alerted();
    if (stop) return finish(stop);
    if (control.paused && !patched('pause-keeps-analysis')) {
      await waitWhilePaused();
      continue;
    }
    await followPause();
    const paused = pauseStartedMs !== undefined;
    if (!paused && remainingMs() <= 0) {
      const next = afterWindowEnd(plan, where, await analyze(r, 'window-end', stage), counts);
      if (next.do === 'complete') return finish({ result: 'completed' });
      if (next.do === 'rollback') return finish({ result: 'rollback', reason: next.reason, trigger: next.trigger });
      if (next.do === 'pause') pauseForPerson(r, next.detail);
      continue;
    }
    // Between two looks nothing is in flight: the one point where a long history may move to a new run.
    if (
      checkpointDue(workflowInfo().historyLength, workflowInfo().continueAsNewSuggested, allHandlersFinished()) &&
      patched('bounded-history')
    ) {
      await continueRelease(r, {
        stage,
        step: r.step,
        window: {
          elapsedMs: Date.now() - startedMs,
          pausedMs,
          pauseLastedMs: pauseStartedMs === undefined ? undefined : Date.now() - pauseStartedMs,
          counts,
        },
      });
    }
    // While paused the looks go on at the analysis interval, and the pause's own end wakes the loop.
    const interval = plan.canary.analysisIntervalMs;
    const woke = await condition(
      () =>
        (control.paused !== undefined) !== paused ||
        interruption(control, allowPromote) !== undefined ||
        alerted() !== undefined,
      paused ? nextTickMs(interval, pauseLeft()) : nextTickMs(interval, remainingMs()),
    );
    r.window = { stage, weight: r.greenWeight, plannedMs, remainingMs: Math.max(0, remainingMs()) };
    if (woke || (paused ? pauseLeft() : remainingMs()) <= 0) continue;
    const [tick, health] = await Promise.all([
      analyze(r, 'tick', stage),
      plan.canary.healthCheckFailureLimit > 0 ? checkHealth(r, false) : Promise.resolve({ healthy: true, detail: '' }),
    ]);
    const next = afterTick(plan, where, tick, health, counts);
    if (next.do === 'rollback') return finish({ result: 'rollback', reason: next.reason, trigger: next.trigger });
    counts = next.counts;
    if (next.do === 'pause' && !control.paused) pauseForPerson(r, next.detail);
  }
}
