// A release across clusters: the parent workflow (one per release: policy, one approval, the waves and the saga
// across clusters) and a child per cluster (that cluster's preflight, green, canary, full switch and retention,
// its activities on the cluster's task queue). Shared by the workflows, the CLI and the tests.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { WindowRules } from '../policy/windows';
import type { Cluster } from '../policy/clusters';
import type { PolicyRecord } from '../policy/schema';
import type { OnFailure, Wave } from '../plan/waves';
import type { ApprovalRecord, ControlRequest, Outcome, ReleaseInput, Stage } from './definitions';

export const MULTI_CLUSTER_WORKFLOW = 'multiClusterReleaseWorkflow';
export const CLUSTER_RELEASE_WORKFLOW = 'clusterReleaseWorkflow';

/** The parent's input: a release input (without `carried`) and its waves. */
export interface MultiClusterInput extends Omit<ReleaseInput, 'carried'> {
  waves: Wave[];
  onFailure: OnFailure;
}

/** A child's input, made by the parent: the release with this cluster's plan, and what the parent decided. */
export interface ClusterReleaseInput extends ReleaseInput {
  cluster: Cluster;
  wave: number;
  /** The parent's workflow id: the child reports its progress there. */
  parentId: string;
  /** The parent's accepted approvals: one approval covers every cluster. */
  approvals: ApprovalRecord[];
  policy?: PolicyRecord;
  windowRules?: WindowRules;
}

/** What a child tells its parent whenever its stage, weight, verdict or outcome moves. */
export interface ClusterProgress {
  cluster: string;
  stage: Stage;
  weight: number;
  lastVerdict?: string;
  outcome?: Outcome;
}

/**
 * A child's nudge that its progress moved. Anyone may send a signal, so the parent takes it only as a reason to
 * read the child's own progress (clusterProgressQuery, through activity readClusterProgress): patch
 * multi-cluster-progress.
 */
export const clusterProgressSignal = defineSignal<[ClusterProgress]>('clusterProgress');
/** A child's progress as the child itself answers it. */
export const clusterProgressQuery = defineQuery<ClusterProgress>('clusterProgress');
/**
 * The parent's saga asks a child to roll back (or, before green, to stop): the safe direction only. Anyone may send
 * a signal, so the child (patch verified-parent-rollback) takes it only as a reason to ask its parent
 * (parentRollbackQuery, through activity readParentRollback) and acts on the parent's answer.
 */
export const parentRollbackSignal = defineSignal<[ControlRequest]>('parentRollback');
/** What the parent's saga asked the named cluster to do, as the parent itself answers it (undefined: nothing). */
export const parentRollbackQuery = defineQuery<ControlRequest | undefined, [string]>('parentRollbackRequest');

/** The child workflow id of a cluster of a release. */
export const clusterWorkflowId = (releaseId: string, cluster: string): string => `${releaseId}-${cluster}`;
