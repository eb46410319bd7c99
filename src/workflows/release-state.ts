// Everything one release knows, in one object: where it is (stage, step, weight, outcome), what it
// recorded (timeline, approvals, audit, preflight runs, windows, analyses), the controls it accepted
// and the undo steps it owes. The stages change it; the status query and the report are built from it.
import { log, patched, setCurrentDetails, upsertSearchAttributes, uuid4, workflowInfo } from '@temporalio/workflow';
import type { ReleasePlan } from '../plan/types';
import { policyLine, type PolicyRecord } from '../policy/schema';
import { missingRoles, signaturesRequired, type Gate } from './approvals';
import type { ControlState } from './control-rules';
import type { QueryVars } from './analysis';
import type { Stop } from './exits';
import {
  SA_APP,
  SA_OUTCOME,
  SA_POLICY,
  SA_STAGE,
  SA_VERSION,
  SA_WEIGHT,
  type AnalysisRecord,
  type ApprovalRecord,
  type AuditEntry,
  type Outcome,
  type PendingDecision,
  type ReleaseInput,
  type ReleaseReport,
  type ReleaseStatus,
  type Stage,
} from './definitions';
import type { RollbackRecord } from './rollback-budget';
import { Saga } from './saga';
import type { WindowRules } from '../policy/windows';
import { planDigest, type Subject } from './signatures';

/** What a run hands the next when it continues as new: everything but the plan and the input. */
export interface CarriedState {
  startedAt: string;
  blue: string;
  green: string;
  stage: Stage;
  outcome?: Outcome;
  reason?: string;
  step: number;
  greenWeight: number;
  weights: number[];
  approvals: ApprovalRecord[];
  audit: AuditEntry[];
  timeline: ReleaseReport['timeline'];
  preflightRuns: ReleaseReport['preflight'];
  steps: ReleaseReport['steps'];
  analyses: AnalysisRecord[];
  approvalDeadlineMs?: number;
  control: ControlState;
  blueReplicas: Record<string, number>;
  notificationSeq: number;
  gate: Gate;
  /** The undo steps owed, newest first, and those that ran. */
  saga: string[];
  sagaRan: string[];
  /** Runs before this one. */
  runs: number;
  /** The platform policy the first run read (absent before `platform-policy`). */
  policy?: PolicyRecord;
  /** The nonce a signed control must name (from `control-nonce` on). */
  nonce?: string;
  /** The images green runs (absent before `release-attestation`). */
  images?: string[];
  /** The windows and freezes the policy and plan hold the release to (gate.ts). */
  windowRules?: WindowRules;
  /** The alert names the platform policy lets roll back a live canary (alert-rules.ts). */
  rollbackOnAlerts?: string[];
}

export const iso = (ms = Date.now()): string => new Date(ms).toISOString();

export class ReleaseState {
  readonly plan: ReleasePlan;
  readonly version: string;
  readonly imageTag: string;
  readonly releaseId: string;
  /** The first run of the chain: signed statements, notification keys and the restore owner name it. */
  readonly firstRunId: string;
  startedAt = iso();
  // Reassigned once, before anything touches production, when the plan alternates its namespaces.
  blue: string;
  green: string;

  // Stage and step are accessors: moving either issues a new control nonce.
  private position: { stage: Stage; step: number } = { stage: 'preflight', step: 0 };
  outcome?: Outcome;
  reason?: string;
  greenWeight = 0;
  readonly weights: number[] = [];
  readonly approvals: ApprovalRecord[] = [];
  readonly audit: AuditEntry[] = [];
  readonly timeline: ReleaseReport['timeline'] = [];
  readonly preflightRuns: ReleaseReport['preflight'] = [];
  readonly steps: ReleaseReport['steps'] = [];
  readonly analyses: AnalysisRecord[] = [];
  readonly saga = new Saga();
  approvalDeadlineMs?: number;
  window: ReleaseStatus['window'];
  pending?: PendingDecision;
  rollbackWindowEndsMs?: number;
  readonly control: ControlState = {};
  /** Blue's replicas before it was scaled to 1 for the retention window. */
  readonly blueReplicas: Record<string, number> = {};
  private notificationSeq = 0;
  /** Runs of this release before this one (continued as new to keep each history short). */
  runs = 0;
  /** The platform policy the release runs under (set before anything else; absent before `platform-policy`). */
  policy?: PolicyRecord;
  /** The images deployGreen put in green, sorted: the release attestation's subject. */
  images: string[] = [];
  /** The windows and freezes traffic increases wait for (absent: always open). */
  windowRules?: WindowRules;
  /** The alert names the platform policy lets roll back a live canary (absent: none). */
  rollbackOnAlerts?: string[];
  /** A permitted firing alert's stop: the watched window ends with it (alerts.ts, watch.ts). */
  alertStop?: Stop;
  /** Each rollback of this run with its duration against its budget (rollback-budget.ts). */
  readonly rollbacks: RollbackRecord[] = [];
  /** Set by a multi-cluster release's parent only: approvals are v4 and status shows each cluster. */
  multiCluster?: ReleaseStatus['multiCluster'];

  // From `approval-v2` on: signed statements name what is released (version, tag, plan digest),
  // signatures are required unless the plan says allowUnsigned, controls are checked for who sent
  // them, and the gate takes decisions only while it is open. Older histories keep the old rules.
  readonly subject: Subject | undefined;
  readonly gate: Gate = { opened: false };
  /**
   * From `control-nonce` on: the nonce a signed control must name (control v2). A new one is issued
   * whenever the stage or step moves and after each accepted signed control, so a statement signed
   * for one moment (a promote in canary step 1) cannot be replayed at another (retention) or twice.
   */
  nonce?: string;
  /** From `signed-last-known-good` on: approvals sign the last known good tag, and evidence must scan it. */
  readonly signsLastKnownGood: boolean;

  constructor(readonly input: ReleaseInput) {
    const info = workflowInfo();
    this.plan = input.plan;
    this.version = input.version;
    this.imageTag = input.imageTag;
    this.releaseId = info.workflowId;
    this.firstRunId = info.firstExecutionRunId;
    this.blue = input.plan.environments.blue;
    this.green = input.plan.environments.green;
    this.subject = patched('approval-v2')
      ? { version: this.version, imageTag: this.imageTag, planDigest: planDigest(this.plan) }
      : undefined;
    if (this.subject && patched('control-nonce')) this.nonce = uuid4();
    this.signsLastKnownGood = this.subject !== undefined && patched('signed-last-known-good');
  }

  get stage(): Stage {
    return this.position.stage;
  }

  set stage(next: Stage) {
    if (next !== this.position.stage) this.newNonce();
    this.position.stage = next;
  }

  /** 1-based canary step, 0 before the canary; steps+1 during the full switch. */
  get step(): number {
    return this.position.step;
  }

  set step(next: number) {
    if (next !== this.position.step) this.newNonce();
    this.position.step = next;
  }

  /** Issues a new control nonce (uuid4 is the workflow's seeded random: the same on replay). */
  newNonce(): void {
    if (this.nonce !== undefined) this.nonce = uuid4();
  }

  /** The platform policy the release runs under: signed statements name its digest from then on. */
  runUnder(policy: PolicyRecord | undefined): void {
    this.policy = policy;
    if (policy?.digest && this.subject) this.subject.policyDigest = policy.digest;
  }

  vars(): QueryVars {
    return { app: this.plan.app, version: this.version, blueNamespace: this.blue, greenNamespace: this.green };
  }

  nextNotificationSeq(): number {
    return ++this.notificationSeq;
  }

  event(text: string): void {
    this.timeline.push({ at: iso(), stage: this.stage, event: text });
    log.info(text, { releaseId: this.releaseId, stage: this.stage });
  }

  /** The search attributes and the current details the Temporal UI shows. */
  updateUi(): void {
    const { plan, version, imageTag, stage, outcome, greenWeight, step } = this;
    if (this.input.searchAttributes !== false) {
      upsertSearchAttributes([
        { key: SA_APP, value: plan.app },
        { key: SA_VERSION, value: version },
        { key: SA_STAGE, value: stage },
        { key: SA_WEIGHT, value: greenWeight },
        ...(outcome ? [{ key: SA_OUTCOME, value: outcome }] : []),
        ...(this.policy ? [{ key: SA_POLICY, value: this.policy.digest ?? 'none' }] : []),
      ]);
    }
    const lines = [
      `**${plan.app} ${version}** (${imageTag}): ${stage}${outcome ? `, outcome **${outcome}**` : ''}`,
      `green weight ${greenWeight}%${step ? `, step ${Math.min(step, plan.canary.steps.length)}/${plan.canary.steps.length}` : ''}`,
    ];
    if (stage === 'awaiting-approval') lines.push(`waiting for: ${missingRoles(plan, this.approvals).join(', ')}`);
    if (this.pending) lines.push(`pending: ${this.pending.detail}`);
    if (this.policy) lines.push(policyLine(this.policy));
    setCurrentDetails(lines.join('\n\n'));
  }

  enter(next: Stage, text?: string): void {
    this.stage = next;
    this.event(text ?? `entered ${next}`);
    this.updateUi();
  }

  status(): ReleaseStatus {
    const { plan, approvals, subject } = this;
    return {
      releaseId: this.releaseId,
      app: plan.app,
      version: this.version,
      imageTag: this.imageTag,
      stage: this.stage,
      outcome: this.outcome,
      reason: this.reason,
      environments: { blue: this.blue, green: this.green },
      step: this.step,
      steps: plan.canary.steps.length,
      greenWeight: this.greenWeight,
      paused: this.control.paused !== undefined,
      window: this.window,
      approvals: [...approvals],
      missingRoles: missingRoles(plan, approvals),
      approvalDeadline: this.approvalDeadlineMs ? iso(this.approvalDeadlineMs) : undefined,
      ...(subject ? { planDigest: subject.planDigest, signaturesRequired: signaturesRequired(plan) } : {}),
      ...(this.policy ? { policy: { ...this.policy } } : {}),
      ...(subject?.policyDigest ? { policyDigest: subject.policyDigest } : {}),
      ...(this.signsLastKnownGood ? { approvalStatement: this.multiCluster ? (4 as const) : (3 as const) } : {}),
      ...(this.multiCluster
        ? { multiCluster: { ...this.multiCluster, rows: this.multiCluster.rows.map((row) => ({ ...row })) } }
        : {}),
      ...(this.input.lastKnownGoodTag ? { lastKnownGoodTag: this.input.lastKnownGoodTag } : {}),
      ...(this.nonce !== undefined ? { nonce: this.nonce } : {}),
      lastAnalysis: this.analyses[this.analyses.length - 1],
      pendingDecision: this.pending,
      rollbackWindowEndsAt: this.rollbackWindowEndsMs ? iso(this.rollbackWindowEndsMs) : undefined,
    };
  }

  report(): ReleaseReport {
    const { plan, approvals } = this;
    return {
      releaseId: this.releaseId,
      app: plan.app,
      version: this.version,
      imageTag: this.imageTag,
      outcome: this.outcome ?? 'failed',
      reason: this.reason,
      startedAt: this.startedAt,
      finishedAt: iso(),
      timeline: [...this.timeline],
      approvals: [...approvals],
      preflight: [...this.preflightRuns],
      steps: [...this.steps],
      analyses: [...this.analyses],
      compensations: [...this.saga.ran],
      audit: [...this.audit],
      ...(this.subject &&
      !signaturesRequired(plan) &&
      approvals.some((a) => a.accepted && a.decision === 'approve' && !a.signature)
        ? { approvedWithoutSignatures: true }
        : {}),
      ...(this.policy ? { policy: { ...this.policy } } : {}),
      ...(patched('release-attestation')
        ? { ...(this.subject ? { planDigest: this.subject.planDigest } : {}), images: [...this.images] }
        : {}),
    };
  }

  /**
   * How each carried field leaves this run (`out`) and comes back in the next (`back`), in the order the
   * committed histories carry them. Typed over every key of CarriedState: a field added there and not
   * here does not compile, so none is lost at continue-as-new.
   */
  private static readonly carriers: { [K in keyof CarriedState]-?: Carrier<K> } = {
    startedAt: value('startedAt'),
    blue: value('blue'),
    green: value('green'),
    // Through the accessors: a moved stage or step issues a new nonce, as it did in the previous run.
    stage: value('stage'),
    outcome: value('outcome'),
    reason: value('reason'),
    step: value('step'),
    greenWeight: value('greenWeight'),
    weights: list('weights'),
    approvals: list('approvals'),
    audit: list('audit'),
    timeline: list('timeline'),
    preflightRuns: list('preflightRuns'),
    steps: list('steps'),
    analyses: list('analyses'),
    approvalDeadlineMs: value('approvalDeadlineMs'),
    control: record('control'),
    blueReplicas: record('blueReplicas'),
    notificationSeq: {
      out: (r) => r.notificationSeq,
      back: (r, v) => {
        r.notificationSeq = v;
      },
    },
    gate: record('gate'),
    // The undo steps travel by name; the caller rebuilds them (release.ts takeOver).
    saga: { out: (r) => r.saga.pending, back: () => undefined },
    sagaRan: {
      out: (r) => [...r.saga.ran],
      back: (r, v) => {
        r.saga.ran.push(...v);
      },
    },
    runs: {
      out: (r) => r.runs + 1,
      back: (r, v) => {
        r.runs = v;
      },
    },
    policy: {
      out: (r) => (r.policy ? { ...r.policy } : undefined),
      back: (r, v) => r.runUnder(v ?? r.policy),
    },
    // The nonce the previous run last issued stays good; a run from before nonces keeps its own.
    nonce: {
      out: (r) => r.nonce,
      back: (r, v) => {
        if (r.nonce !== undefined && v !== undefined) r.nonce = v;
      },
    },
    images: {
      out: (r) => (patched('release-attestation') ? [...r.images] : undefined),
      back: (r, v) => {
        r.images = Array.isArray(v) ? v.filter((i) => typeof i === 'string') : [];
      },
    },
    windowRules: value('windowRules'),
    rollbackOnAlerts: {
      out: (r) => (r.rollbackOnAlerts ? [...r.rollbackOnAlerts] : undefined),
      back: (r, v) => {
        if (Array.isArray(v)) r.rollbackOnAlerts = v.filter((n) => typeof n === 'string');
      },
    },
  };

  /** This run's state for the next run (checkpoint.ts); a field without a value is left out. */
  snapshot(): CarriedState {
    const carried: Record<string, unknown> = {};
    for (const [key, carrier] of Object.entries(ReleaseState.carriers)) {
      const v = (carrier as Carrier<keyof CarriedState>).out(this);
      if (v !== undefined) carried[key] = v;
    }
    return carried as unknown as CarriedState;
  }

  /** Takes over the state a previous run carried; the caller rebuilds the undo steps from `c.saga`. */
  restore(c: CarriedState): void {
    for (const [key, carrier] of Object.entries(ReleaseState.carriers))
      (carrier as Carrier<keyof CarriedState>).back(this, c[key as keyof CarriedState]);
  }
}

/** How one carried field is read from a run's state, and written back into the next run's. */
interface Carrier<K extends keyof CarriedState> {
  out(r: ReleaseState): CarriedState[K] | undefined;
  back(r: ReleaseState, v: CarriedState[K]): void;
}

type Field = keyof CarriedState & keyof ReleaseState;

/** A value carried as it is. */
function value<K extends Field>(k: K): Carrier<K> {
  return {
    out: (r) => r[k] as unknown as CarriedState[K],
    back: (r, v) => {
      (r as unknown as Record<K, unknown>)[k] = v;
    },
  };
}

/** A list the state holds (readonly): copied out, appended back. */
function list<K extends Field>(k: K): Carrier<K> {
  return {
    out: (r) => [...(r[k] as unknown[])] as CarriedState[K],
    back: (r, v) => {
      (r[k] as unknown[]).push(...(v as unknown[]));
    },
  };
}

/** An object the state holds (readonly): copied out, assigned back. */
function record<K extends Field>(k: K): Carrier<K> {
  return {
    out: (r) => ({ ...(r[k] as object) }) as CarriedState[K],
    back: (r, v) => {
      Object.assign(r[k] as object, v);
    },
  };
}
