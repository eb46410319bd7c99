// Bounded history. A watch writes ~17 events per look, so a long window with a short analysis
// interval would outgrow what one run should hold (Temporal warns at 10,240 events and fails at
// 51,200). Between two looks of a watch, with nothing in flight, the release continues as new: the
// next run gets the whole state and resumes the same window where this one stopped. Same workflow
// id, same search attributes, same status; only the run id changes.
import type { AuditJournal } from './audit-entries';
import type { WatchStage } from './exits';
import type { CarriedState } from './release-state';
import type { WatchCounts } from './analysis';

/** A run continues as new once its history passes this many events (a run then stays < ~1,300). */
export const EVENTS_PER_RUN = 1_200;

/** Progress of the window being watched when the run ended. */
export interface WindowProgress {
  /** Since the window started, paused time included (ms). */
  elapsedMs: number;
  /** Pauses that ended (ms). */
  pausedMs: number;
  /** How long the pause in progress had lasted, if the window is paused (relative, like elapsedMs). */
  pauseLastedMs?: number;
  counts: WatchCounts;
}

/** Where the next run picks up: the watch of this stage and canary step. */
export interface ResumePoint {
  stage: WatchStage;
  step: number;
  window: WindowProgress;
}

/** What ReleaseInput.carried holds on a continued run. */
export interface Carried {
  state: CarriedState;
  at: ResumePoint;
  /** The audit log's numbering and unwritten entries (absent before patch `audit-log`). */
  audit?: AuditJournal;
}

/** A checkpoint is due when the history is long (or the server says so) and no handler is running. */
export function checkpointDue(historyLength: number, suggestedByServer: boolean, handlersFinished: boolean): boolean {
  return handlersFinished && (suggestedByServer || historyLength >= EVENTS_PER_RUN);
}

/** How this run began, from workflowInfo(): what tells a continue-as-new from a cron, retry or reset run. */
export interface RunOrigin {
  continuedFromRunId?: string;
  /** 1 unless a workflow retry policy re-ran the release. */
  attempt?: number;
  cronSchedule?: string;
  retryPolicy?: unknown;
}

/**
 * Why this run may not be a release at all: Temporal re-runs a cron or retried workflow with its ORIGINAL
 * input, so a release that may re-run itself would repeat a finished rollout, or replay a forged carried state.
 */
export function runOriginProblems(run: RunOrigin): string[] {
  const problems: string[] = [];
  if (run.cronSchedule)
    problems.push(
      `the release was started with a cron schedule ("${run.cronSchedule}"): a release must never re-run itself`,
    );
  if (run.retryPolicy !== undefined)
    problems.push('the release was started with a workflow retry policy: a release must never re-run itself');
  return problems;
}

/** A continue-as-new of the workflow itself (cron and retry runs also name the run they follow, first input). */
export function continuedByItself(run: RunOrigin): boolean {
  return !!run.continuedFromRunId && (run.attempt ?? 1) === 1 && !run.cronSchedule;
}

/**
 * Why a carried state is refused. Only a run that this workflow continued itself may carry one: a
 * client that starts a release with state of its own would otherwise skip preflight and the gate.
 * Cron and retry runs also have continuedFromRunId set, but with the original input: only a first
 * attempt without a cron schedule is a continue-as-new. A reset keeps the input of the run it resets:
 * a reset continued run keeps our own carried state (and its continuedFrom); a reset first run has
 * no continuedFrom, so a carried state there is refused.
 */
export function carriedProblem(carried: unknown, run: RunOrigin, stepCount: number): string | undefined {
  if (carried === undefined) return undefined;
  if (!continuedByItself(run))
    return 'carried: only a run continued by the release itself may carry state (it would skip preflight and the approval gate)';
  const c = carried as { at?: Partial<ResumePoint>; state?: { saga?: unknown } };
  const at = c.at;
  if (!at || (at.stage !== 'canary' && at.stage !== 'full-switch'))
    return 'carried.at.stage: must be canary or full-switch';
  if (!Number.isInteger(at.step) || (at.step as number) < 1 || (at.step as number) > stepCount + 1)
    return `carried.at.step: must be 1..${stepCount + 1}`;
  if (!at.window || !(at.window.elapsedMs >= 0) || !(at.window.pausedMs >= 0))
    return 'carried.at.window: needs elapsedMs and pausedMs >= 0';
  if (at.window.pauseLastedMs !== undefined && !(at.window.pauseLastedMs >= 0))
    return 'carried.at.window.pauseLastedMs: must be >= 0';
  if (!c.state || !Array.isArray(c.state.saga)) return 'carried.state: missing';
  return undefined;
}
