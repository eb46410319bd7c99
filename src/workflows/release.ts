// The whole release as one durable workflow, in the seed's order: preflight, approval gate, green
// environment, canary steps with continuous analysis, full switch, retention window, report. Every
// wait is a workflow timer or condition, so it survives worker restarts; every decision is a pure
// function; each stage lives in stages/ and works on one ReleaseState.
import { CancellationScope, ContinueAsNew, isCancellation, log, patched, workflowInfo } from '@temporalio/workflow';
import { doraFacts, flushAuditLog, resumeAuditLog } from './audit-log';
import type { Carried, ResumePoint } from './checkpoint';
import type { ReleaseInput, ReleaseResult } from './definitions';
import { errorText, Finish, isStop, Rollback } from './exits';
import { setReleaseHandlers } from './handlers';
import { refusedResult, releaseInputProblems } from './input';
import { singleClusterProblems } from '../plan/cluster-placeholders';
import { openIncident } from './open-incident';
import { policyLine } from '../policy/schema';
import { ReleaseState, type CarriedState } from './release-state';
import { approvalGate } from './stages/approval';
import { canary } from './stages/canary';
import { fullSwitch } from './stages/full-switch';
import { refusedWhileStopped } from './stages/gate';
import { deployGreen } from './stages/green';
import { chooseSides, preflight, recheckAfterApproval } from './stages/preflight';
import { platformPolicy } from './stages/policy';
import { retention } from './stages/retention';
import { oweAgain, rollBack } from './stages/rollback';
import { notify, storeReport } from './steps';
import { interruption } from './analysis';

export async function releaseWorkflow(input: ReleaseInput): Promise<ReleaseResult> {
  // Trust nothing given: a release started outside the CLI skipped its checks. An invalid input ends
  // the run here, before any command (no activity, no search attribute, no notification).
  if (patched('validate-input')) {
    const { workflowId, continuedFromExecutionRunId, attempt, cronSchedule, retryPolicy } = workflowInfo();
    // A cron, retry or reset run gets the original input, and cron and retry runs a continuedFrom too.
    const run = patched('carried-only-continued')
      ? { continuedFromRunId: continuedFromExecutionRunId, attempt, cronSchedule, retryPolicy }
      : { continuedFromRunId: continuedFromExecutionRunId };
    const problems = releaseInputProblems(input, workflowId, run);
    // Refused by the plan's schema before {{cluster}} existed, so replay takes the same path.
    if (!problems.length) problems.push(...singleClusterProblems(input.plan));
    if (problems.length) {
      const refused = refusedResult(input, problems, workflowId, new Date().toISOString());
      log.warn(refused.reason ?? 'invalid input', { releaseId: workflowId });
      return refused;
    }
  }
  const r = new ReleaseState(input);
  const carried = input.carried as Carried | undefined;
  if (carried) takeOver(r, carried.state);
  resumeAuditLog(r, carried?.audit);
  setReleaseHandlers(r);
  // A continued run carries the policy its first run read and checked.
  if (!carried) {
    const policy = await platformPolicy(input);
    if (policy.problems.length) {
      const refused = refusedResult(input, policy.problems, r.releaseId, new Date().toISOString());
      refused.report.policy = policy.record;
      r.reason = refused.reason;
      await flushAuditLog(r, refused.outcome);
      log.warn(refused.reason ?? 'refused by the platform policy', { releaseId: r.releaseId });
      return refused;
    }
    r.runUnder(policy.record);
    r.windowRules = policy.windowRules;
    // The platform's answer travels in the input, so continued runs (which skip the policy) keep it.
    if (policy.incidents === false) r.input.incidents = false;
    r.rollbackOnAlerts = policy.rollbackOnAlerts;
    const stopped = await refusedWhileStopped(input, r.releaseId, policy.record);
    if (stopped) return stopped;
  }
  return runToEnd(r, () => (carried ? resume(r, carried.at) : release(r)));
}

/**
 * Runs `body` (a release's stages), then leaves it as every release leaves: the saga or the early finish when a
 * stage threw, the incident, the audit log's last batch and the report. Shared with a cluster's child release.
 */
export async function runToEnd(r: ReleaseState, body: () => Promise<void>): Promise<ReleaseResult> {
  try {
    await body();
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    await leave(r, err);
    if (isCancellation(err)) {
      r.stage = 'done';
      r.updateUi();
      await CancellationScope.nonCancellable(() => flushAuditLog(r, r.outcome ?? 'cancelled'));
      await CancellationScope.nonCancellable(() => storeReport(r));
      throw err;
    }
  }
  r.stage = 'done';
  r.event(`release finished: ${r.outcome}${r.reason ? ` (${r.reason})` : ''}`);
  await CancellationScope.nonCancellable(() => openIncident(r));
  r.updateUi();
  await CancellationScope.nonCancellable(() => flushAuditLog(r, r.outcome ?? 'failed'));
  const report = await CancellationScope.nonCancellable(() => storeReport(r));
  return { outcome: r.outcome ?? 'failed', reason: r.reason, weights: [...r.weights], report, dora: doraFacts(r) };
}

/** The happy path. A stage that cannot go on throws a Finish (nothing to undo) or a Rollback. */
async function release(r: ReleaseState): Promise<void> {
  r.updateUi();
  r.event(
    `release of ${r.plan.app} ${r.version} (${r.imageTag}) requested${r.input.requestedBy ? ` by ${r.input.requestedBy}` : ''}`,
  );
  if (r.policy) r.event(policyLine(r.policy));
  await chooseSides(r);
  const checkedAtMs = await preflight(r);
  await flushAuditLog(r);
  await approvalGate(r);
  await recheckAfterApproval(r, checkedAtMs);
  await flushAuditLog(r);
  await fromGreen(r);
}

/** From green on, once approved: a control that arrived meanwhile first, then green, canary, switch, retention. */
export async function fromGreen(r: ReleaseState): Promise<void> {
  const early = interruption(r.control, false);
  if (isStop(early)) throw new Finish({ kind: 'abort' }, early.reason);
  await deployGreen(r);
  await flushAuditLog(r);
  await canary(r);
  await fullSwitch(r);
  await retention(r);
}

/** A run continued as new: the same release, from the window the previous run was watching. */
export async function resume(r: ReleaseState, at: ResumePoint): Promise<void> {
  r.updateUi();
  await flushAuditLog(r);
  if (at.stage === 'canary') await canary(r, at);
  await fullSwitch(r, at.stage === 'full-switch' ? at.window : undefined);
  await retention(r);
}

export function takeOver(r: ReleaseState, state: CarriedState): void {
  r.restore(state);
  oweAgain(r, state.saga);
}

/** Off the happy path: the rollback saga, an early finish, or a cancellation; never cancelled itself. */
async function leave(r: ReleaseState, err: unknown): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    if (err instanceof Rollback) {
      await rollBack(r, err.trigger, err.why, err.outcome, err.severity);
    } else if (err instanceof Finish) {
      r.outcome = err.outcome;
      r.reason = err.reason;
      r.event(err.reason);
      await notify(r, err.severity, err.outcome, err.reason);
    } else if (isCancellation(err)) {
      await cancel(r);
    } else {
      await rollBack(r, { kind: 'failure' }, `unexpected failure: ${errorText(err)}`, 'failed');
    }
  }).catch((compensationError: unknown) => {
    r.outcome =
      r.outcome === 'emergency-recovered' || r.outcome === 'emergency-failed' ? r.outcome : 'emergency-failed';
    r.reason = `${r.reason ?? ''}; compensation failed: ${errorText(compensationError)}`;
  });
}

/** A cancelled release puts production back unless it is already promoted or never changed it. */
async function cancel(r: ReleaseState): Promise<void> {
  if (r.stage === 'retention' || r.stage === 'promoting') {
    r.event('workflow cancelled after promotion; production stays on green, blue is left in place');
    r.outcome = 'cancelled';
  } else if (r.saga.pending.length === 0) {
    r.outcome = 'cancelled';
    r.reason = 'workflow cancelled before production changed';
    r.event(r.reason);
    await notify(r, 'warning', 'cancelled', r.reason);
  } else {
    await rollBack(r, { kind: 'cancelled' }, 'workflow cancelled', 'cancelled', 'warning');
  }
}
