// The release's signals, updates and queries. Each action is a signal (fire and forget) and an update
// (the caller gets the refusal as an error); every request is audited, accepted or refused.
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { controlAuthority } from './control-auth';
import { controlRefusal, recordControl } from './control-rules';
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
  type ApprovalRequest,
  type AuditEntry,
  type ControlRequest,
} from './definitions';
import { iso, type ReleaseState } from './release-state';
import type { ControlAction } from './signatures';
import { receiveApproval } from './stages/approval';
import { retentionRollbackSafe } from './stages/retention';

/** Applies a control when the stage rules and the sender's authority allow it. */
export function applyControl(r: ReleaseState, action: ControlAction, req: ControlRequest): AuditEntry {
  let refusal = controlRefusal(action, req, r.stage, r.control);
  let signed: boolean | undefined;
  if (r.subject && !refusal) {
    const auth = controlAuthority(action, req, {
      plan: r.plan,
      workflowId: r.releaseId,
      runId: r.firstRunId,
      nowMs: Date.now(),
      subject: r.subject,
      // Before patch retention-rollback-safe a rollback in retention was judged as in the canary.
      stage: action === 'rollback' && r.stage === 'retention' && !retentionRollbackSafe() ? undefined : r.stage,
    });
    refusal = auth.refusal;
    signed = auth.verified;
  }
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
    recordControl(r.control, action, r.stage, req);
    r.event(`${action} by ${req.by}${req.reason ? `: ${req.reason}` : ''}`);
    r.updateUi();
  }
  return entry;
}

/** An update answers a refusal with an error the caller sees; the signal only records it. */
function refusedAsError<T extends { accepted: boolean }>(entry: T, message: string | undefined): T {
  if (!entry.accepted) throw ApplicationFailure.create({ type: 'Refused', message, nonRetryable: true });
  return entry;
}

export function setReleaseHandlers(r: ReleaseState): void {
  const approval = (decision: ApprovalRequest['decision']) => (req: ApprovalRequest) => {
    const record = receiveApproval(r, { ...req, decision }, 'update');
    return refusedAsError(record, record.refusal);
  };
  setHandler(approveSignal, (req) => void receiveApproval(r, { ...req, decision: 'approve' }, 'signal'));
  setHandler(rejectSignal, (req) => void receiveApproval(r, { ...req, decision: 'reject' }, 'signal'));
  setHandler(approveUpdate, approval('approve'));
  setHandler(rejectUpdate, approval('reject'));

  const control = (action: ControlAction) => (req: ControlRequest) => {
    const entry = applyControl(r, action, req);
    return refusedAsError(entry, entry.detail);
  };
  setHandler(abortSignal, (req) => void applyControl(r, 'abort', req));
  setHandler(pauseSignal, (req) => void applyControl(r, 'pause', req));
  setHandler(resumeSignal, (req) => void applyControl(r, 'resume', req));
  setHandler(promoteSignal, (req) => void applyControl(r, 'promote', req));
  setHandler(rollbackSignal, (req) => void applyControl(r, 'rollback', req));
  setHandler(abortUpdate, control('abort'));
  setHandler(pauseUpdate, control('pause'));
  setHandler(resumeUpdate, control('resume'));
  setHandler(promoteUpdate, control('promote'));
  setHandler(rollbackUpdate, control('rollback'));
  setHandler(statusQuery, () => r.status());
  setHandler(auditQuery, () => [...r.audit]);
}
