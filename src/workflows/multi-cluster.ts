// One release across clusters, in waves: the parent reads the policy (which registers the clusters), takes one
// approval whose statement names every cluster, then starts a child per cluster of each wave (on the main task
// queue; the child's activities run on its cluster's queue), bakes between waves, and owns the saga across
// clusters: when a wave fails it rolls back the clusters already moved, or holds them, as the plan's onFailure
// says. Its outcome and report say when the clusters end on different versions.
import {
  ApplicationFailure,
  type ChildWorkflowHandle,
  condition,
  log,
  ParentClosePolicy,
  patched,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { registeredClusters, type Cluster } from '../policy/clusters';
import { policyProblems } from '../policy/tighten';
import { clustersOf, unknownClusterProblems, wavePlanProblems, type WavePlan } from '../plan/waves';
import { flushAuditLog, resumeAuditLog } from './audit-log';
import { SA_CLUSTERS, type ReleaseReport, type ReleaseResult, type ControlRequest } from './definitions';
import { ProgressFollower } from './cluster-follow';
import { Finish, isStop } from './exits';
import { setReleaseHandlers } from './handlers';
import { refusedResult, releaseInputProblems } from './input';
import {
  CLUSTER_RELEASE_WORKFLOW,
  clusterProgressSignal,
  clusterWorkflowId,
  parentRollbackQuery,
  parentRollbackSignal,
  type ClusterProgress,
  type ClusterReleaseInput,
  type MultiClusterInput,
} from './multi-cluster-definitions';
import { applyProgress } from './progress-rules';
import { runToEnd } from './release';
import { iso, ReleaseState } from './release-state';
import { planDigest } from './signatures';
import { approvalGate } from './stages/approval';
import { refusedWhileStopped } from './stages/gate';
import { platformPolicy } from './stages/policy';
import { interruption } from './analysis';
import { acceptedApprovals } from './approvals';
import {
  clusterPlan,
  failed,
  holdLaterWaves,
  initialRows,
  multiOutcome,
  rollbackTargets,
  waveState,
  type ClusterRow,
} from './wave-rules';

export async function multiClusterReleaseWorkflow(input: MultiClusterInput): Promise<ReleaseResult> {
  const { workflowId, continuedFromExecutionRunId, attempt, cronSchedule, retryPolicy } = workflowInfo();
  const { waves, onFailure, ...base } = input ?? ({} as MultiClusterInput);
  const plan: WavePlan = { waves, onFailure };
  const run = { continuedFromRunId: continuedFromExecutionRunId, attempt, cronSchedule, retryPolicy };
  const problems = [...releaseInputProblems(base, workflowId, run), ...wavePlanProblems(plan)];
  if ((base as { carried?: unknown }).carried !== undefined)
    problems.push('carried: a multi-cluster release does not continue as new');
  if (problems.length) return refuse(input, problems, workflowId);

  const r = new MultiState(base);
  r.multiCluster = { clusters: clustersOf(plan), wavesDigest: planDigest(plan), onFailure, rows: [] };
  resumeAuditLog(r, undefined);
  setReleaseHandlers(r);
  // A progress signal is only a nudge to read the child itself; without the patch it was taken as said.
  if (patched('multi-cluster-progress')) r.follower = new ProgressFollower(r);
  setHandler(clusterProgressSignal, (p) => (r.follower ? r.follower.claim(p) : r.progress(p)));
  setHandler(parentRollbackQuery, (cluster) => r.rollbackAsked.get(cluster));
  if (r.follower && base.searchAttributes !== false)
    upsertSearchAttributes([{ key: SA_CLUSTERS, value: r.multiCluster.clusters }]);
  const policy = await platformPolicy(base);
  const clusters = registeredClusters(policy.policy?.clusters);
  const refusals = [...policy.problems, ...unknownClusterProblems(plan, clusters)];
  // Each cluster's own steps are held to the policy like the plan's.
  if (policy.policy && !refusals.length)
    for (const c of waves.flatMap((w) => w.clusters.filter((x) => x.steps)))
      refusals.push(...policyProblems(policy.policy, clusterPlan(base.plan, c)).map((p) => `cluster ${c.name}: ${p}`));
  if (refusals.length) {
    const refused = refuse(input, refusals, r.releaseId);
    refused.report.policy = policy.record;
    r.reason = refused.reason;
    await flushAuditLog(r, refused.outcome);
    return refused;
  }
  r.runUnder(policy.record);
  r.windowRules = policy.windowRules;
  // The platform's call on incidents, as a single-cluster release applies it; the children get it in their input.
  if (policy.incidents === false && patched('multi-cluster-incidents')) r.input.incidents = false;
  const regionOf = (name: string) => clusters.find((c) => c.name === name)!.region;
  r.multiCluster.rows = initialRows(waves, regionOf);
  const stopped = await refusedWhileStopped(base, r.releaseId, policy.record);
  if (stopped) return stopped;
  return runToEnd(r, () => acrossClusters(r, plan, clusters));
}

function refuse(input: unknown, problems: string[], releaseId: string): ReleaseResult {
  const refused = refusedResult(input, problems, releaseId, new Date().toISOString());
  log.warn(refused.reason ?? 'invalid input', { releaseId });
  return refused;
}

/** Approval once, then the waves in order; a failed wave applies onFailure and no later wave starts. */
async function acrossClusters(r: MultiState, plan: WavePlan, clusters: Cluster[]): Promise<void> {
  const rows = r.rows;
  r.updateUi();
  r.event(`release of ${r.plan.app} ${r.version} (${r.imageTag}) across ${describeWaves(plan)} requested`);
  await approvalGate(r);
  const early = interruption(r.control, false);
  if (isStop(early)) throw new Finish({ kind: 'abort' }, early.reason);
  r.enter('waves', `approved for clusters ${r.multiCluster!.clusters.join(', ')}`);
  const results: Promise<void>[] = [];
  for (let w = 0; w < plan.waves.length; w++) {
    const wave = plan.waves[w];
    if (wave.gate && !(await waveGate(r, w))) {
      await onWaveFailure(r, plan, w - 1, r.control.abort ? undefined : `wave ${w + 1}'s gate was not opened`);
      break;
    }
    for (const c of wave.clusters) {
      const cluster = clusters.find((x) => x.name === c.name)!;
      results.push(startCluster(r, cluster, w, clusterPlan(r.plan, c)));
    }
    r.event(`wave ${w + 1} started: ${wave.clusters.map((c) => c.name).join(', ')}`);
    await condition(() => waveState(rows, w) !== 'running' || r.control.abort !== undefined);
    let state = r.control.abort ? 'failed' : waveState(rows, w);
    if (state === 'moved' && wave.bakeMs > 0 && w < plan.waves.length - 1) {
      r.event(`wave ${w + 1} moved; baking ${wave.bakeMs / 1000}s before wave ${w + 2}`);
      await condition(() => rows.some(failed) || r.control.abort !== undefined, wave.bakeMs);
      if (rows.some(failed) || r.control.abort) state = 'failed';
    }
    if (state === 'failed') {
      await onWaveFailure(r, plan, w);
      break;
    }
    r.event(`wave ${w + 1} moved: ${wave.clusters.map((c) => c.name).join(', ')} at 100%`);
  }
  r.updateUi();
  await Promise.all(results);
  const end = multiOutcome(rows, r.version);
  r.outcome = end.outcome;
  r.reason = end.reason;
  r.mixed = end.mixed;
  if (end.mixed) r.event(end.reason!);
}

/**
 * A gate before wave `w`: a signed promote (an operator or approver of the plan) opens it; an abort, or no
 * promote within the plan's approval timeout, closes it. True when it opened.
 */
async function waveGate(r: MultiState, w: number): Promise<boolean> {
  r.step = w + 1;
  r.control.promote = undefined;
  r.enter('wave-gate', `wave ${w + 1} waits for a signed promote (hwayo-release promote ${r.releaseId})`);
  r.pending = { kind: 'wave-gate', since: iso(), detail: `promote opens wave ${w + 1}` };
  r.updateUi();
  const opened = await condition(
    () => r.control.promote !== undefined || r.control.abort !== undefined || r.rows.some(failed),
    r.plan.approval.timeoutMs,
  );
  r.pending = undefined;
  const go = opened && r.control.promote !== undefined && !r.control.abort && !r.rows.some(failed);
  r.enter('waves', go ? `wave ${w + 1} opened by ${r.control.promote!.by}` : `wave ${w + 1} not opened`);
  r.control.promote = undefined;
  return go;
}

/** The saga across clusters: onFailure decides which running clusters are told to roll back. */
async function onWaveFailure(r: MultiState, plan: WavePlan, w: number, reason?: string): Promise<void> {
  const abort = r.control.abort;
  const onFailure = abort ? 'rollback-all' : plan.onFailure;
  const failing = r.rows.filter(failed).map((x) => x.cluster);
  const why = abort
    ? `aborted by ${abort.by}${abort.reason ? `: ${abort.reason}` : ''}`
    : (reason ?? `wave ${w + 1} failed in ${failing.join(', ')}`);
  holdLaterWaves(r.rows, w);
  const targets = rollbackTargets(r.rows, onFailure);
  r.event(`${why}; ${onFailure}: ${targets.length ? `rolling back ${targets.join(', ')}` : 'holding the others'}`);
  for (const cluster of targets) {
    const handle = r.children.get(cluster);
    const req = { by: `release ${r.releaseId}`, reason: `regression: ${why} (onFailure ${onFailure})` };
    // Recorded before the signal: the child acts only on what this answers (parentRollbackQuery).
    r.rollbackAsked.set(cluster, req);
    await handle
      ?.signal(parentRollbackSignal, req)
      .catch((err: unknown) => r.event(`could not ask ${cluster} to roll back: ${String(err)}`));
  }
}

type ClusterWorkflow = (input: ClusterReleaseInput) => Promise<ReleaseResult>;
type ChildHandle = ChildWorkflowHandle<ClusterWorkflow>;

/** Starts a cluster's child; resolves when it has ended, its row holding its outcome. */
async function startCluster(r: MultiState, cluster: Cluster, wave: number, plan: ClusterReleaseInput['plan']) {
  const row = r.rows.find((x) => x.cluster === cluster.name)!;
  const input: ClusterReleaseInput = {
    ...r.input,
    plan,
    cluster,
    wave,
    parentId: r.releaseId,
    approvals: acceptedApprovals(r.approvals),
    policy: r.policy,
    windowRules: r.windowRules,
  };
  row.stage = 'preflight';
  row.workflowId = clusterWorkflowId(r.releaseId, cluster.name);
  let handle: ChildHandle;
  try {
    handle = await startChild<ClusterWorkflow>(CLUSTER_RELEASE_WORKFLOW, {
      args: [input],
      workflowId: row.workflowId,
      taskQueue: workflowInfo().taskQueue,
      // A cancelled parent cancels its children: each puts its cluster back (its own saga).
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
  } catch (err) {
    Object.assign(row, { ended: true, stage: 'done', outcome: 'failed', reason: `could not start: ${String(err)}` });
    return;
  }
  r.children.set(cluster.name, handle);
  void r.follower?.follow(row);
  r.updateUi();
  try {
    const result = await handle.result();
    Object.assign(row, { ended: true, stage: 'done', outcome: result.outcome, reason: result.reason });
    row.weights = result.weights;
  } catch (err) {
    const message = err instanceof ApplicationFailure || err instanceof Error ? err.message : String(err);
    Object.assign(row, { ended: true, stage: 'done', outcome: 'failed', reason: message });
  }
  r.updateUi();
}

function describeWaves(plan: WavePlan): string {
  return plan.waves.map((w, i) => `wave ${i + 1} (${w.clusters.map((c) => c.name).join(', ')})`).join(', ');
}

/** The parent's state: a release with its clusters' rows, shown in status, current details and the report. */
class MultiState extends ReleaseState {
  readonly children = new Map<string, ChildHandle>();
  /** What the saga asked each cluster to do (its children ask, since a signal could come from anyone). */
  readonly rollbackAsked = new Map<string, ControlRequest>();
  mixed?: ReleaseReport['mixedVersions'];
  /** Reads the children's progress from them (patch multi-cluster-progress). */
  follower?: ProgressFollower;

  isStarted(cluster: string): boolean {
    return this.children.has(cluster);
  }

  get rows(): ClusterRow[] {
    return this.multiCluster!.rows;
  }

  /** Without the patch: a progress signal taken as the child's report of itself. */
  progress(p: ClusterProgress): void {
    const row = this.rows.find((x) => x.cluster === p?.cluster);
    if (!row || row.ended || !this.children.has(row.cluster)) return;
    applyProgress(row, p);
    this.updateUi();
  }

  override updateUi(): void {
    super.updateUi();
    if (!this.multiCluster?.rows.length) return;
    const table = this.rows.map(
      (x) =>
        `| ${x.cluster} | ${x.region} | ${x.wave + 1} | ${x.stage} | ${x.weight}% | ${x.lastVerdict ?? '-'} | ${x.outcome ?? '-'} |`,
    );
    setCurrentDetails(
      [
        `**${this.plan.app} ${this.version}** across clusters: ${this.stage}${this.outcome ? `, outcome **${this.outcome}**` : ''}`,
        '| cluster | region | wave | stage | weight | last verdict | outcome |\n|---|---|---|---|---|---|---|\n' +
          table.join('\n'),
        ...(this.mixed ? [`**clusters on different versions**: ${this.reason}`] : []),
      ].join('\n\n'),
    );
  }

  override report(): ReleaseReport {
    return {
      ...super.report(),
      clusters: this.rows.map((x) => ({
        cluster: x.cluster,
        region: x.region,
        wave: x.wave + 1,
        workflowId: x.workflowId,
        outcome: x.outcome,
        reason: x.reason ?? (x.stage === 'held' ? 'held: an earlier wave failed' : undefined),
        weights: x.weights ?? [],
        lastVerdict: x.lastVerdict,
      })),
      ...(this.mixed ? { mixedVersions: this.mixed } : {}),
    };
  }
}
