// The multi-cluster release's decisions, pure: the plan each cluster's child runs, when a wave has moved or
// failed, which clusters a failure rolls back (the plan's onFailure), and the release's outcome, which says so
// when its clusters end on different versions.
import type { ReleasePlan } from '../plan/types';
import type { OnFailure, Wave, WaveCluster } from '../plan/waves';
import type { Outcome, Stage } from './definitions';

/** What the parent knows of one cluster: its child's last report, or that its wave has not started. */
export interface ClusterRow {
  cluster: string;
  region: string;
  wave: number;
  /** 'waiting': its wave has not started; 'held': a failure elsewhere stopped the release before it. */
  stage: Stage | 'waiting' | 'held';
  weight: number;
  lastVerdict?: string;
  /** The child's outcome: 'succeeded' once it runs at 100% (in retention), or how it ended. */
  outcome?: Outcome;
  /** The child workflow has ended (its result is in). */
  ended: boolean;
  workflowId?: string;
  reason?: string;
  /** The child's weights, once it has ended. */
  weights?: number[];
}

/** The plan a cluster's child runs: the release's plan with the cluster's own canary steps. */
export function clusterPlan(plan: ReleasePlan, c: WaveCluster): ReleasePlan {
  return c.steps ? { ...plan, canary: { ...plan.canary, steps: c.steps.map((s) => ({ ...s })) } } : plan;
}

/** A cluster runs the new version at 100% (in retention or past it). */
export const moved = (row: ClusterRow): boolean => row.outcome === 'succeeded';

/** A started cluster that ended, or is ending, any other way than at 100% on the new version. */
export const failed = (row: ClusterRow): boolean =>
  (row.ended && row.outcome !== 'succeeded') || row.stage === 'rolling-back' || row.stage === 'emergency';

export type WaveState = 'running' | 'moved' | 'failed';

/** A wave has failed as soon as one of its clusters has; it has moved when every cluster runs at 100%. */
export function waveState(rows: readonly ClusterRow[], wave: number): WaveState {
  const mine = rows.filter((r) => r.wave === wave);
  if (mine.some(failed)) return 'failed';
  return mine.every(moved) ? 'moved' : 'running';
}

/**
 * The clusters the parent tells to roll back when a wave fails: under rollback-all every cluster whose child
 * still runs (moved in an earlier wave, or still in the failing wave); under rollback-failing none (the failing
 * cluster rolls itself back; the others hold where they are and no later wave starts).
 */
export function rollbackTargets(rows: readonly ClusterRow[], onFailure: OnFailure): string[] {
  if (onFailure === 'rollback-failing') return [];
  return rows.filter((r) => r.stage !== 'waiting' && r.stage !== 'held' && !r.ended).map((r) => r.cluster);
}

/** Later waves never start once one has failed: their clusters are held on the previous version. */
export function holdLaterWaves(rows: ClusterRow[], failedWave: number): void {
  for (const r of rows) if (r.wave > failedWave && r.stage === 'waiting') r.stage = 'held';
}

/** Worst first: the release's outcome is the worst of its clusters'. */
const SEVERITY: Outcome[] = [
  'emergency-failed',
  'emergency-recovered',
  'failed',
  'rolled-back-after-success',
  'rolled-back',
  'preflight-failed',
  'aborted',
  'cancelled',
  'rejected',
  'approval-timed-out',
  'invalid-input',
  'succeeded',
];

export interface MultiOutcome {
  outcome: Outcome;
  reason?: string;
  /** Clusters on the new version and on the previous one, when both are non-empty. */
  mixed?: { onNew: string[]; onPrevious: string[] };
}

/** The release's outcome from its clusters' ends (every started child has ended). */
export function multiOutcome(rows: readonly ClusterRow[], version: string): MultiOutcome {
  const onNew = rows.filter(moved).map((r) => r.cluster);
  const onPrevious = rows.filter((r) => !moved(r)).map((r) => r.cluster);
  if (onPrevious.length === 0) return { outcome: 'succeeded' };
  const outcomes = rows.filter((r) => r.outcome && r.outcome !== 'succeeded').map((r) => r.outcome!);
  const outcome = SEVERITY.find((o) => outcomes.includes(o)) ?? 'failed';
  const failing = rows.filter((r) => r.outcome && r.outcome !== 'succeeded').map((r) => `${r.cluster} ${r.outcome}`);
  if (onNew.length === 0)
    return { outcome, reason: `every cluster is on the previous version (${failing.join(', ')})` };
  return {
    outcome,
    reason:
      `clusters end on different versions: ${onNew.join(', ')} on ${version}; ${onPrevious.join(', ')} on the ` +
      `previous version (${failing.join(', ') || 'held'})`,
    mixed: { onNew, onPrevious },
  };
}

/** The first rows: every cluster of every wave, waiting. */
export function initialRows(waves: readonly Wave[], regionOf: (cluster: string) => string): ClusterRow[] {
  return waves.flatMap((w, i) =>
    w.clusters.map((c) => ({
      cluster: c.name,
      region: regionOf(c.name),
      wave: i,
      stage: 'waiting' as const,
      weight: 0,
      ended: false,
    })),
  );
}
