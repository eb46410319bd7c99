// Signals, updates and queries of the release workflow, defined once and shared by the workflow,
// the CLI and the tests. Each action exists as a signal (fire and forget, e.g. from the Temporal UI
// or `temporal workflow signal`) and as an update (the caller gets an error when it is refused).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { EvidenceRefs, MetricReading } from '../activities/contract';
import type { ReleasePlan } from '../plan/types';
import type { PolicyRecord } from '../policy/schema';
import type { DoraFacts } from './audit-entries';
import type { RollbackRecord } from './rollback-budget';
import type { ClusterRow } from './wave-rules';

export const RELEASE_WORKFLOW = 'releaseWorkflow';
export const DEFAULT_TASK_QUEUE = 'hwayo-release';

export interface ReleaseInput {
  plan: ReleasePlan;
  /** Application version being released, e.g. "2.4.0". */
  version: string;
  /** Image tag deployed to green, e.g. "1234-abc1234" (BUILD_NUMBER-GIT_COMMIT_SHORT). */
  imageTag: string;
  /** Deployed to blue by the emergency path when blue itself cannot be trusted. */
  lastKnownGoodTag?: string;
  evidence?: EvidenceRefs;
  requestedBy?: string;
  /** Upsert the Hwayo* search attributes (they must be registered on the namespace). */
  searchAttributes?: boolean;
  /**
   * Open an incident when the release ends badly. The platform policy decides (src/policy/incidents.ts): this
   * may turn incidents on where it leaves them off; false where it opens them refuses the release. With no
   * policy (HWAYO_POLICY=none) false turns them off (default: on).
   */
  incidents?: boolean;
  /** Set only by the release itself when it continues as new (checkpoint.ts); refused otherwise. */
  carried?: unknown;
}

export type Stage =
  | 'preflight'
  | 'awaiting-approval'
  | 'preflight-recheck'
  | 'green-deploy'
  | 'canary'
  | 'full-switch'
  | 'promoting'
  | 'retention'
  | 'rolling-back'
  | 'emergency'
  /** A multi-cluster release's parent while its waves run (each cluster's child has its own stage). */
  | 'waves'
  /** The parent waits for a signed promote before a wave with `gate: true`. */
  | 'wave-gate'
  | 'done';

export type Outcome =
  | 'succeeded'
  | 'rolled-back'
  | 'rolled-back-after-success'
  | 'aborted'
  | 'rejected'
  | 'approval-timed-out'
  | 'preflight-failed'
  | 'failed'
  | 'emergency-recovered'
  | 'emergency-failed'
  | 'cancelled'
  /** The workflow refused its input (plan, version, tags) before doing anything. */
  | 'invalid-input';

export type Decision = 'approve' | 'reject';

export interface ApprovalRequest {
  approverId: string;
  role: string;
  decision: Decision;
  comment?: string;
  /** Signed statement (see signatures.ts); required when the approver has a public key in the plan. */
  signature?: string;
  /** ISO time the approver signed at; part of the signed statement. */
  signedAt?: string;
}

export interface ApprovalRecord extends ApprovalRequest {
  /** Workflow time the request arrived. */
  at: string;
  accepted: boolean;
  refusal?: string;
  via: 'signal' | 'update';
}

export interface ControlRequest {
  by: string;
  reason?: string;
  /**
   * Signed control statement (see signatures.ts) by the plan key of `by`; required for promote/resume when the plan
   * requires signatures.
   */
  signature?: string;
  /** ISO time the sender signed at; part of the signed statement. */
  signedAt?: string;
  /** The release's nonce the statement names (control v2): status shows it, each is good for one control. */
  nonce?: string;
}

export interface AuditEntry {
  at: string;
  action: string;
  by?: string;
  accepted: boolean;
  detail: string;
  /** The sender proved `by` with a signature by their key in the plan. */
  signed?: boolean;
}

export interface AnalysisRecord {
  at: string;
  stage: 'canary' | 'full-switch';
  weight: number;
  kind: 'tick' | 'window-end';
  readings: MetricReading[];
  stable?: MetricReading[];
  verdict: 'pass' | 'breach' | 'unhealthy' | 'inconclusive';
  detail: string;
}

export interface PendingDecision {
  kind: 'approval' | 'inconclusive-metrics' | 'paused' | 'rollback-window' | 'window' | 'stop-the-line' | 'wave-gate';
  since: string;
  detail: string;
}

export interface ReleaseStatus {
  releaseId: string;
  app: string;
  version: string;
  imageTag: string;
  stage: Stage;
  outcome?: Outcome;
  reason?: string;
  /** The namespaces this release runs with (blue carries production; the plan's pair may be swapped). */
  environments?: { blue: string; green: string };
  /** 1-based canary step, 0 before the canary; steps+1 during the full switch. */
  step: number;
  steps: number;
  greenWeight: number;
  paused: boolean;
  /** Watch window in progress: planned length and what is left of it (frozen while paused). */
  window?: { stage: 'canary' | 'full-switch'; weight: number; plannedMs: number; remainingMs: number };
  approvals: ApprovalRecord[];
  missingRoles: string[];
  approvalDeadline?: string;
  /** What a signed decision or control names (absent for releases from before signed subjects). */
  planDigest?: string;
  /** False when the plan lets decisions through unsigned (approval.allowUnsigned). */
  signaturesRequired?: boolean;
  /** The platform policy the release runs under (absent for releases from before the policy). */
  policy?: PolicyRecord;
  /** Signed with the decision or control when present (absent: signed as ''). */
  policyDigest?: string;
  /** 3 when approvals are v3 statements, which name the last known good tag (below); 4 also the clusters. */
  approvalStatement?: 3 | 4;
  /** A release across clusters: what its approvals name (v4) and each cluster's row (wave-rules.ts). */
  multiCluster?: { clusters: string[]; wavesDigest: string; onFailure: string; rows: ClusterRow[] };
  /** What the emergency path would deploy to blue; approvals sign it (approval v3). */
  lastKnownGoodTag?: string;
  /**
   * The nonce a signed control must name now (control v2); it changes with the stage, the step and each
   * accepted signed control.
   */
  nonce?: string;
  lastAnalysis?: AnalysisRecord;
  pendingDecision?: PendingDecision;
  rollbackWindowEndsAt?: string;
}

export const approveSignal = defineSignal<[ApprovalRequest]>('approve');
export const rejectSignal = defineSignal<[ApprovalRequest]>('reject');
export const abortSignal = defineSignal<[ControlRequest]>('abort');
export const pauseSignal = defineSignal<[ControlRequest]>('pause');
export const resumeSignal = defineSignal<[ControlRequest]>('resume');
export const promoteSignal = defineSignal<[ControlRequest]>('promote');
export const rollbackSignal = defineSignal<[ControlRequest]>('rollback');

export const approveUpdate = defineUpdate<ApprovalRecord, [ApprovalRequest]>('approveRelease');
export const rejectUpdate = defineUpdate<ApprovalRecord, [ApprovalRequest]>('rejectRelease');
export const abortUpdate = defineUpdate<AuditEntry, [ControlRequest]>('abortRelease');
export const pauseUpdate = defineUpdate<AuditEntry, [ControlRequest]>('pauseRelease');
export const resumeUpdate = defineUpdate<AuditEntry, [ControlRequest]>('resumeRelease');
export const promoteUpdate = defineUpdate<AuditEntry, [ControlRequest]>('promoteRelease');
export const rollbackUpdate = defineUpdate<AuditEntry, [ControlRequest]>('rollbackRelease');

export const statusQuery = defineQuery<ReleaseStatus>('status');
export const auditQuery = defineQuery<AuditEntry[]>('audit');

export const SA_APP = defineSearchAttributeKey('HwayoApp', 'KEYWORD');
export const SA_VERSION = defineSearchAttributeKey('HwayoVersion', 'KEYWORD');
export const SA_STAGE = defineSearchAttributeKey('HwayoStage', 'KEYWORD');
export const SA_WEIGHT = defineSearchAttributeKey('HwayoCanaryWeight', 'INT');
export const SA_OUTCOME = defineSearchAttributeKey('HwayoOutcome', 'KEYWORD');
/** The digest of the platform policy a release runs under, or "none" (HWAYO_POLICY=none). */
export const SA_POLICY = defineSearchAttributeKey('HwayoPolicy', 'KEYWORD');
/** A multi-cluster release's child: its cluster; the parent: every cluster of its waves. */
export const SA_CLUSTER = defineSearchAttributeKey('HwayoCluster', 'KEYWORD');
export const SA_CLUSTERS = defineSearchAttributeKey('HwayoClusters', 'KEYWORD_LIST');
export const SEARCH_ATTRIBUTES = [
  SA_APP,
  SA_VERSION,
  SA_STAGE,
  SA_WEIGHT,
  SA_OUTCOME,
  SA_POLICY,
  SA_CLUSTER,
  SA_CLUSTERS,
];

export interface ReleaseReport {
  releaseId: string;
  app: string;
  version: string;
  imageTag: string;
  outcome: Outcome;
  reason?: string;
  startedAt: string;
  finishedAt: string;
  timeline: { at: string; stage: Stage; event: string }[];
  approvals: ApprovalRecord[];
  preflight: { at: string; results: { name: string; ok: boolean; detail: string }[] }[];
  steps: { weight: number; plannedMs: number; elapsedMs: number; pausedMs: number; result: string }[];
  analyses: AnalysisRecord[];
  compensations: string[];
  audit: AuditEntry[];
  /** The plan allowed unsigned decisions and at least one accepted approval was unsigned. */
  approvedWithoutSignatures?: boolean;
  /** The platform policy the release ran under, or was refused by (absent for releases from before it). */
  policy?: PolicyRecord;
  /** The plan digest signed decisions named, for the release attestation (absent for releases from before it). */
  planDigest?: string;
  /** The images green ran (empty when green was never deployed; absent for releases from before it). */
  images?: string[];
  /** Each rollback with its duration against its budget (seed 6: automatic 5 min, manual 10 min). */
  rollbacks?: RollbackRecord[];
  /** A release across clusters: one section per cluster, and which ended on which version. */
  clusters?: ClusterSection[];
  mixedVersions?: { onNew: string[]; onPrevious: string[] };
}

/** One cluster's part of a multi-cluster release's report. */
export interface ClusterSection {
  cluster: string;
  region: string;
  wave: number;
  /** The child workflow that ran it (its own report has every detail). */
  workflowId?: string;
  outcome?: Outcome;
  reason?: string;
  weights: number[];
  lastVerdict?: string;
}

export interface ReleaseResult {
  outcome: Outcome;
  reason?: string;
  /** Every green weight that was set, in order (0 = all traffic on blue). */
  weights: number[];
  report: ReleaseReport;
  /** Deployment, lead time and restore facts from the audit log (absent for releases from before it). */
  dora?: DoraFacts;
}
