// The release's signals, updates and queries. Each action is a signal (fire and forget) and an update
// (the caller gets the refusal as an error); every request is audited, accepted or refused. A request
// out of bounds (request-limits.ts) is refused before any rule sees it; an update's validator turns
// it away before it enters the history at all.
import { ApplicationFailure, patched, setHandler } from '@temporalio/workflow';
import { setAlertHandler } from './alerts';
import { controlAuthority } from './control-auth';
import { controlRefusal, recordControl } from './control-rules';
import { rollbackReasonProblem } from './incident-rules';
import {
  abortSignal,
  abortUpdate,
  approveSignal,
  approveUpdate,
  auditQuery,
  pauseSignal,
  pauseUpdate,
  promoteSignal,
  promoteUpdate,
  rejectSignal,
  rejectUpdate,
  resumeSignal,
  resumeUpdate,
  rollbackSignal,
  rollbackUpdate,
  statusQuery,
  type ApprovalRecord,
  type ApprovalRequest,
  type AuditEntry,
  type ControlRequest,
} from './definitions';
import { iso, type ReleaseState } from './release-state';
import { approvalLimitProblem, boundedApproval, boundedBy, controlLimitProblem } from './request-limits';
import type { ControlAction } from './signatures';
import { receiveApproval } from './stages/approval';
import { retentionRollbackSafe } from './stages/retention';

/** Applies a control when the stage rules and the sender's authority allow it. */
export function applyControl(r: ReleaseState, action: ControlAction, req: ControlRequest): AuditEntry {
  const outOfBounds = controlLimitProblem(req, r.plan);
  if (outOfBounds && patched('bounded-requests')) {
    const refused: AuditEntry = { at: iso(), action, by: boundedBy(req), accepted: false, detail: outOfBounds };
    r.audit.push(refused);
    return refused;
  }
  let refusal = controlRefusal(action, req, r.stage, r.control);
  let signed: boolean | undefined;
  if (r.subject && !refusal) {
    const auth = controlAuthority(action, req, {
      plan: r.plan,
      workflowId: r.releaseId,
      runId: r.firstRunId,
      nowMs: Date.now(),
      subject: r.subject,
      ...(r.nonce !== undefined ? { at: { stage: r.stage, step: r.step, nonce: r.nonce } } : {}),
      // Before patch retention-rollback-safe a rollback in retention was judged as in the canary.
      stage: action === 'rollback' && r.stage === 'retention' && !retentionRollbackSafe() ? undefined : r.stage,
    });
    refusal = auth.refusal;
    signed = auth.verified;
  }
  // Seed 6: a manual rollback records its reason's category.
  const uncategorized = !refusal && action === 'rollback' ? rollbackReasonProblem(req.reason) : undefined;
  if (uncategorized && patched('rollback-reason')) refusal = uncategorized;
  const entry: AuditEntry = {
    at: iso(),
    action,
    by: req?.by,
    accepted: !refusal,
    detail: refusal ?? (req.reason || action),
    ...(signed !== undefined ? { signed } : {}),
  };
  r.audit.push(entry);
  if (!refusal) {
    // The statement is spent: the same signed control sent again names a nonce no longer issued.
    if (signed) r.newNonce();
    recordControl(r.control, action, r.stage, req);
    r.event(`${action} by ${req.by}${req.reason ? `: ${req.reason}` : ''}`);
    r.updateUi();
  }
  return entry;
}

/** Records an approval or a rejection; one out of bounds is refused and kept only clipped. */
function takeApproval(
  r: ReleaseState,
  req: ApprovalRequest,
  decision: ApprovalRequest['decision'],
  via: 'signal' | 'update',
): ApprovalRecord {
  const outOfBounds = approvalLimitProblem(req, r.plan);
  if (!outOfBounds || !patched('bounded-requests')) return receiveApproval(r, { ...req, decision }, via);
  const record: ApprovalRecord = {
    ...boundedApproval(req, decision),
    at: iso(),
    accepted: false,
    refusal: outOfBounds,
    via,
  };
  r.approvals.push(record);
  r.audit.push({ at: record.at, action: decision, by: record.approverId, accepted: false, detail: outOfBounds });
  r.updateUi();
  return record;
}

const refused = (message: string | undefined) =>
  ApplicationFailure.create({ type: 'Refused', message, nonRetryable: true });

/** An update answers a refusal with an error the caller sees; the signal only records it. */
function refusedAsError<T extends { accepted: boolean }>(entry: T, message: string | undefined): T {
  if (!entry.accepted) throw refused(message);
  return entry;
}

/** An update validator: an out-of-bounds request is rejected before it enters the history. */
const within = (problem: (req: unknown) => string | undefined) => (req: unknown) => {
  const p = problem(req);
  if (p) throw refused(p);
};

export function setReleaseHandlers(r: ReleaseState): void {
  const approval = (decision: ApprovalRequest['decision']) => (req: ApprovalRequest) => {
    const record = takeApproval(r, req, decision, 'update');
    return refusedAsError(record, record.refusal);
  };
  const approvalBounds = { validator: within((req) => approvalLimitProblem(req, r.plan)) };
  setHandler(approveSignal, (req) => void takeApproval(r, req, 'approve', 'signal'));
  setHandler(rejectSignal, (req) => void takeApproval(r, req, 'reject', 'signal'));
  setHandler(approveUpdate, approval('approve'), approvalBounds);
  setHandler(rejectUpdate, approval('reject'), approvalBounds);

  const control = (action: ControlAction) => (req: ControlRequest) => {
    const entry = applyControl(r, action, req);
    return refusedAsError(entry, entry.detail);
  };
  const controlBounds = { validator: within((req) => controlLimitProblem(req, r.plan)) };
  setHandler(abortSignal, (req) => void applyControl(r, 'abort', req));
  setHandler(pauseSignal, (req) => void applyControl(r, 'pause', req));
  setHandler(resumeSignal, (req) => void applyControl(r, 'resume', req));
  setHandler(promoteSignal, (req) => void applyControl(r, 'promote', req));
  setHandler(rollbackSignal, (req) => void applyControl(r, 'rollback', req));
  setHandler(abortUpdate, control('abort'), controlBounds);
  setHandler(pauseUpdate, control('pause'), controlBounds);
  setHandler(resumeUpdate, control('resume'), controlBounds);
  setHandler(promoteUpdate, control('promote'), controlBounds);
  setHandler(rollbackUpdate, control('rollback'), controlBounds);
  setHandler(statusQuery, () => r.status());
  setHandler(auditQuery, () => [...r.audit]);
  setAlertHandler(r);
}
