// The approval gate's rules, pure: who may approve, which roles are still missing, and when the
// gate is decided. The workflow records every request, accepted or refused, in its history.
import type { ReleasePlan } from '../plan/types';
import type { ApprovalRecord, ApprovalRequest, Stage } from './definitions';
import { publicKeyProblem } from '../plan/public-keys';
import { verifyStatement, type Subject } from './signatures';

/** How far a signature's time may be from the workflow's clock, either way (before the bounds below). */
export const SIGNATURE_MAX_SKEW_MS = 15 * 60_000;
/** From control v2 and approval v3 on: how old a signature may be... */
export const SIGNATURE_MAX_AGE_MS = 15 * 60_000;
/** ...and how far ahead of the workflow's clock (a statement dated ahead would stay valid for longer). */
export const SIGNATURE_MAX_AHEAD_MS = 60_000;

const inWords = (ms: number) =>
  ms >= 120_000 && ms % 60_000 === 0 ? `${ms / 60_000} minutes` : `${ms / 1000} seconds`;

/** Why a signature's time is refused (undefined when it is fine); `bounded`: age and lead apart. */
export function signedAtProblem(signedAt: string, nowMs: number, bounded: boolean): string | undefined {
  const ms = Date.parse(signedAt);
  if (Number.isNaN(ms)) return `signedAt "${signedAt}" is not an ISO time`;
  if (!bounded)
    return Math.abs(nowMs - ms) > SIGNATURE_MAX_SKEW_MS
      ? `the signature was made at ${signedAt}, more than ${inWords(SIGNATURE_MAX_SKEW_MS)} from the workflow's time`
      : undefined;
  if (ms - nowMs > SIGNATURE_MAX_AHEAD_MS)
    return `the signature is dated ${signedAt}, more than ${inWords(SIGNATURE_MAX_AHEAD_MS)} ahead of the workflow's time`;
  if (nowMs - ms > SIGNATURE_MAX_AGE_MS)
    return `the signature was made at ${signedAt}, more than ${inWords(SIGNATURE_MAX_AGE_MS)} before the workflow's time`;
  return undefined;
}

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
    if (!req.signature || !req.signedAt)
      return `a signed statement is required from "${req.approverId}" (use hwayo-release ${req.decision} with --key)`;
    const late = signedAtProblem(req.signedAt, ctx.nowMs, strict?.v3 !== undefined);
    if (late) return late;
    const base = {
      workflowId: ctx.workflowId,
      runId: ctx.runId,
      decision: req.decision,
      role: req.role,
      approverId: req.approverId,
      signedAt: req.signedAt,
    };
    if (strict) {
      // The plan inside the workflow is not trusted to have passed the CLI's validation.
      const weak = publicKeyProblem(approver.publicKey);
      if (weak) return `the public key of "${req.approverId}" ${weak}`;
      const shared = ctx.plan.approval.approvers.find(
        (a) => a.id !== approver.id && a.publicKey === approver.publicKey,
      );
      if (shared)
        return `approver "${req.approverId}" shares a key with "${shared.id}": each role needs its own person`;
      const s = strict.subject;
      const v3 = strict.v3;
      const statement = v3 ? { ...base, ...s, statementVersion: 3 as const, ...v3 } : { ...base, ...s };
      if (!verifyStatement(statement, req.signature, approver.publicKey)) {
        const lkg = v3 ? `, last known good ${v3.lastKnownGoodTag || 'none'}` : '';
        return `the signature does not verify for "${req.approverId}" on this release (${s.version}, ${s.imageTag}${lkg}, plan ${s.planDigest.slice(0, 19)}), decision and role`;
      }
    } else if (!verifyStatement(base, req.signature, approver.publicKey)) {
      return `the signature does not verify for "${req.approverId}" on this release, decision and role`;
    }
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
