// The approval gate's rules, pure: who may approve, which roles are still missing, and when the
// gate is decided. The workflow records every request, accepted or refused, in its history.
import type { ReleasePlan } from '../plan/types';
import type { ApprovalRecord, ApprovalRequest, Stage } from './definitions';
import { signatureRefusal } from './signature-check';
import { verifyStatement, type Subject } from './signatures';

export interface GateContext {
  plan: ReleasePlan;
  workflowId: string;
  runId: string;
  nowMs: number;
  /** The gate is open: the release awaits approval and nothing has decided it yet. */
  waiting: boolean;
  /** Why the gate is not open (from `approval-v2` on), e.g. "rejected by qa-lead". */
  closedBecause?: string;
  records: ApprovalRecord[];
  /**
   * From `approval-v2` on: statements must be v2 (bound to what is released) and signed unless the
   * plan says approval.allowUnsigned. Absent for histories recorded before, which keep the v1 rules.
   */
  strict?: {
    subject: Subject;
    /** From `signed-last-known-good` on: v3 statements, naming what the emergency path would deploy. */
    v3?: { lastKnownGoodTag?: string };
    /** Multi-cluster releases: v4 statements, also naming the clusters and the wave plan. */
    v4?: { clusters: string[]; wavesDigest: string };
  };
}

/** The gate's own state: opened once preflight passed, decided by the first decision that settles it. */
export interface Gate {
  opened: boolean;
  decided?: string;
}

/** Why the gate takes no decision now (from `approval-v2` on); undefined while it is open. */
export function gateClosedReason(
  gate: Gate,
  stage: Stage,
  deadlineMs: number | undefined,
  nowMs: number,
): string | undefined {
  if (gate.decided) return gate.decided;
  if (!gate.opened)
    return stage === 'preflight'
      ? 'preflight is still running; the gate opens when it has passed'
      : `the release is in ${stage}`;
  if (deadlineMs !== undefined && nowMs >= deadlineMs) return 'the approval deadline has passed';
  return stage === 'awaiting-approval' ? undefined : `the release is in ${stage}`;
}

/** True when the plan lets decisions through unsigned (only an explicit approval.allowUnsigned). */
export function signaturesRequired(plan: ReleasePlan): boolean {
  return plan.approval.allowUnsigned !== true;
}

/** Returns undefined when the request is accepted, else the reason it is refused. */
export function refusalReason(req: ApprovalRequest, ctx: GateContext): string | undefined {
  if (!ctx.waiting) {
    return ctx.closedBecause
      ? `the approval gate is closed (${ctx.closedBecause}); to stop the release use abort`
      : 'the release is not waiting for approval';
  }
  if (req.decision !== 'approve' && req.decision !== 'reject') return `unknown decision "${String(req.decision)}"`;
  const approver = ctx.plan.approval.approvers.find((a) => a.id === req.approverId);
  if (!approver) return `approver "${req.approverId}" is not listed in the plan`;
  if (approver.role !== req.role)
    return `approver "${req.approverId}" holds role "${approver.role}", not "${req.role}"`;
  if (!ctx.plan.approval.requiredRoles.includes(req.role)) return `role "${req.role}" is not required by the plan`;
  if (req.decision === 'approve') {
    const earlier = acceptedApprovals(ctx.records).find((r) => r.role === req.role);
    if (earlier) return `role "${req.role}" was already approved by "${earlier.approverId}"`;
  }
  const strict = ctx.strict;
  if (approver.publicKey || (strict ? signaturesRequired(ctx.plan) : ctx.plan.approval.requireSignatures)) {
    if (!approver.publicKey) return `approver "${req.approverId}" has no public key in the plan`;
    const { publicKey } = approver;
    const s = strict?.subject;
    const v3 = strict?.v3;
    const v4 = strict?.v4;
    return signatureRefusal(req, {
      signer: { id: req.approverId, publicKey },
      nowMs: ctx.nowMs,
      time: v3 !== undefined ? 'age-and-lead' : 'skew',
      // The plan inside the workflow is not trusted to have passed the CLI's validation.
      keyHolders: strict ? ctx.plan.approval.approvers : undefined,
      verify: (signature, signedAt) => {
        const base = {
          workflowId: ctx.workflowId,
          runId: ctx.runId,
          decision: req.decision,
          role: req.role,
          approverId: req.approverId,
          signedAt,
        };
        if (!s) return verifyStatement(base, signature, publicKey);
        if (v4) return verifyStatement({ ...base, ...s, ...v3, statementVersion: 4, ...v4 }, signature, publicKey);
        const statement = v3 ? { ...base, ...s, statementVersion: 3 as const, ...v3 } : { ...base, ...s };
        return verifyStatement(statement, signature, publicKey);
      },
      refusals: {
        unsigned: `a signed statement is required from "${req.approverId}" (use hwayo-release ${req.decision} with --key)`,
        sharedKey: (other) =>
          `approver "${req.approverId}" shares a key with "${other}": each role needs its own person`,
        doesNotVerify: () => {
          if (!s) return `the signature does not verify for "${req.approverId}" on this release, decision and role`;
          const lkg = v3 ? `, last known good ${v3.lastKnownGoodTag || 'none'}` : '';
          const on = v4 ? `, clusters ${v4.clusters.join(', ')}` : '';
          return `the signature does not verify for "${req.approverId}" on this release (${s.version}, ${s.imageTag}${lkg}, plan ${s.planDigest.slice(0, 19)}${on}), decision and role`;
        },
      },
    });
  }
  return undefined;
}

export function acceptedApprovals(records: ApprovalRecord[]): ApprovalRecord[] {
  return records.filter((r) => r.accepted && r.decision === 'approve');
}

export function missingRoles(plan: ReleasePlan, records: ApprovalRecord[]): string[] {
  const approved = new Set(acceptedApprovals(records).map((r) => r.role));
  return plan.approval.requiredRoles.filter((role) => !approved.has(role));
}

export type GateState = 'waiting' | 'approved' | 'rejected';

export function gateState(plan: ReleasePlan, records: ApprovalRecord[]): GateState {
  if (records.some((r) => r.accepted && r.decision === 'reject')) return 'rejected';
  // No required roles would open the gate for nobody's approval: it stays shut (and times out).
  return plan.approval.requiredRoles.length > 0 && missingRoles(plan, records).length === 0 ? 'approved' : 'waiting';
}
