// One cluster's part of a multi-cluster release, as a child of the parent release: the single-cluster release's
// own stages from the sides and preflight on (the parent read the policy and took the one approval), with every
// activity on the cluster's task queue, so only the worker holding that cluster's credentials runs them. It
// reports its stage, weight and verdict to the parent, and takes the parent's saga: a rollback request.
import {
  ActivityFailure,
  ApplicationFailure,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { flushAuditLog, resumeAuditLog } from './audit-log';
import type { Carried } from './checkpoint';
import { controlRefusal, recordControl } from './control-rules';
import { SA_CLUSTER, type ControlRequest, type ReleaseInput, type ReleaseResult } from './definitions';
import { setReleaseHandlers } from './handlers';
import { refusedResult, releaseInputProblems } from './input';
import {
  clusterProgressQuery,
  clusterProgressSignal,
  parentRollbackSignal,
  type ClusterProgress,
  type ClusterReleaseInput,
} from './multi-cluster-definitions';
import type { QueryVars } from './analysis';
import { NON_RETRYABLE, runActivitiesOn } from './proxies';
import { iso, ReleaseState } from './release-state';
import { fromGreen, resume, runToEnd, takeOver } from './release';
import { chooseSides, preflight } from './stages/preflight';
import { clusterQueue } from '../policy/clusters';

// Local: a query of the parent on this worker's own queue takes milliseconds, and a marker is the cheapest record.
const { readParentRollback } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});
/** A parent that cannot be read (its worker away) is asked again this often, this many times. */
const ASK_AGAIN_MS = 30_000;
const ASKS = 10;

export async function clusterReleaseWorkflow(input: ClusterReleaseInput): Promise<ReleaseResult> {
  const { workflowId, continuedFromExecutionRunId, attempt, cronSchedule, retryPolicy } = workflowInfo();
  const base = releasePart(input);
  const problems = releaseInputProblems(base, workflowId, {
    continuedFromRunId: continuedFromExecutionRunId,
    attempt,
    cronSchedule,
    retryPolicy,
  });
  if (input.cluster?.taskQueue !== clusterQueue(input.cluster?.name ?? ''))
    problems.push(`cluster must be a registered cluster {name, region, taskQueue: hwayo-<name>}`);
  if (problems.length) {
    const refused = refusedResult(base, problems, workflowId, new Date().toISOString());
    log.warn(refused.reason ?? 'invalid input', { releaseId: workflowId });
    return refused;
  }
  runActivitiesOn(input.cluster.taskQueue);
  const r = new ClusterState(input);
  const carried = input.carried as Carried | undefined;
  if (carried) takeOver(r, carried.state);
  resumeAuditLog(r, carried?.audit);
  setReleaseHandlers(r);
  setHandler(parentRollbackSignal, (claim) =>
    patched('verified-parent-rollback') ? r.askParent(claim) : r.parentRollback(claim),
  );
  // The parent reads this (its signals only nudge it to), so its decisions rest on what the child says itself.
  setHandler(clusterProgressQuery, () => r.progress());
  if (patched('multi-cluster-progress') && input.searchAttributes !== false)
    upsertSearchAttributes([{ key: SA_CLUSTER, value: input.cluster.name }]);
  if (!carried) {
    r.runUnder(input.policy);
    r.windowRules = input.windowRules;
    r.approvals.push(...input.approvals);
    r.gate.opened = true;
    r.gate.decided = `approved in the parent release ${input.parentId}`;
  }
  return runToEnd(r, () => (carried ? resume(r, carried.at) : inCluster(r)));
}

/** The single-cluster release from its sides on, without the approval the parent took. */
async function inCluster(r: ClusterState): Promise<void> {
  r.updateUi();
  r.event(`cluster ${r.cluster} (wave ${r.wave + 1}) of release ${r.parentId}: ${r.plan.app} ${r.version}`);
  await chooseSides(r);
  await preflight(r);
  await flushAuditLog(r);
  await fromGreen(r);
}

/** The input a single-cluster release would have been given (the checks and the carried state use it). */
function releasePart(input: ClusterReleaseInput): ReleaseInput {
  const { cluster: _c, wave: _w, parentId: _p, approvals: _a, policy: _po, windowRules: _wr, ...base } = input;
  return base;
}

/** A release's state that also tells its parent how it goes, and takes the parent's rollback. */
class ClusterState extends ReleaseState {
  readonly cluster: string;
  readonly region: string;
  readonly wave: number;
  readonly parentId: string;
  private told = '';
  /** A rollback the parent asked for while none could act (green being retired); taken at the next stage. */
  private owed?: ControlRequest;

  constructor(input: ClusterReleaseInput) {
    super(input);
    this.cluster = input.cluster.name;
    this.region = input.cluster.region;
    this.wave = input.wave;
    this.parentId = input.parentId;
  }

  override updateUi(): void {
    super.updateUi();
    if (this.owed) this.parentRollback(this.owed);
    const progress = this.progress();
    const text = JSON.stringify(progress);
    if (text === this.told) return;
    this.told = text;
    // The parent may have ended (its own cancellation): its rows no longer matter then.
    getExternalWorkflowHandle(this.parentId)
      .signal(clusterProgressSignal, progress)
      .catch(() => undefined);
  }

  /** The plan's {{cluster}} and {{region}} name this child's (metric queries, health URLs). */
  override vars(): QueryVars {
    return { ...super.vars(), cluster: this.cluster, region: this.region };
  }

  /** The cluster's stage, weight, last verdict and outcome, as the parent shows them. */
  progress(): ClusterProgress {
    const last = this.analyses[this.analyses.length - 1];
    return {
      cluster: this.cluster,
      stage: this.stage,
      weight: this.greenWeight,
      ...(last ? { lastVerdict: `${last.verdict} at ${last.weight}%` } : {}),
      ...(this.outcome ? { outcome: this.outcome } : {}),
    };
  }

  /**
   * A parentRollback signal could come from anyone: the child asks its parent what its saga asked of this cluster
   * and acts on that answer only; a signal the parent did not send is audited as refused.
   */
  async askParent(claim: ControlRequest): Promise<void> {
    const input = { workflowId: workflowInfo().workflowId, parentId: this.parentId, cluster: this.cluster };
    for (let ask = 1; ; ask++) {
      try {
        const asked = await readParentRollback(input);
        if (asked) this.parentRollback(asked);
        else this.refuseClaim(claim, `the parent release ${this.parentId} asked ${this.cluster} for nothing`);
        return;
      } catch (err) {
        const refused = err instanceof ActivityFailure && (err.cause as ApplicationFailure)?.nonRetryable === true;
        if (refused || ask >= ASKS) {
          this.refuseClaim(claim, `the parent release ${this.parentId} could not be asked: ${String(err)}`);
          return;
        }
        await sleep(ASK_AGAIN_MS);
      }
    }
  }

  private refuseClaim(claim: ControlRequest, why: string): void {
    const by = String(claim?.by ?? '').slice(0, 80);
    this.audit.push({
      at: iso(),
      action: 'rollback',
      by: `a parentRollback signal (${by})`,
      accepted: false,
      detail: `${why}: ignored`,
    });
  }

  /** Before green a stop is an abort, after it a rollback; the parent's saga only ever moves back. */
  parentRollback(req: ControlRequest): void {
    this.owed = undefined;
    const action = this.stage === 'preflight' ? 'abort' : 'rollback';
    const refusal = controlRefusal(action, req, this.stage, this.control);
    if (refusal && this.stage === 'promoting') {
      this.owed = req;
      return;
    }
    this.audit.push({ at: iso(), action, by: req.by, accepted: !refusal, detail: refusal ?? req.reason ?? action });
    if (refusal) return;
    recordControl(this.control, action, this.stage, req);
    this.event(`${action} by the parent release: ${req.reason ?? ''}`);
    this.updateUi();
  }
}
