// The approval gate: opens when preflight passed, waits for every required role (or a rejection, an
// abort, the deadline), and takes each decision that arrives while it is open.
import { condition } from '@temporalio/workflow';
import { formatDuration } from '../../plan/duration';
import { gateClosedReason, gateState, missingRoles, refusalReason } from '../approvals';
import type { ApprovalRecord, ApprovalRequest } from '../definitions';
import { Finish } from '../exits';
import { iso, type ReleaseState } from '../release-state';
import { releaseMetrics } from '../sinks';
import { notify } from '../steps';

export async function approvalGate(r: ReleaseState): Promise<void> {
  const { plan, control } = r;
  const roles = plan.approval.requiredRoles.join(', ');
  const deadlineMs = Date.now() + plan.approval.timeoutMs;
  r.approvalDeadlineMs = deadlineMs;
  r.gate.opened = true;
  r.enter('awaiting-approval', `waiting for approval by ${roles} until ${iso(deadlineMs)}`);
  r.pending = { kind: 'approval', since: iso(), detail: `approval by ${roles}` };
  await notify(r, 'info', 'approval-requested', `Release waits for approval by ${roles} (until ${iso(deadlineMs)})`);
  const decided = await condition(
    () => gateState(plan, r.approvals) !== 'waiting' || control.abort !== undefined,
    plan.approval.timeoutMs,
  );
  const abort = control.abort;
  r.gate.decided ??= abort ? 'the release was aborted' : !decided ? 'the approval deadline has passed' : undefined;
  r.pending = undefined;
  const rejected = gateState(plan, r.approvals) === 'rejected';
  releaseMetrics.approvalWait(
    (Date.now() - (deadlineMs - plan.approval.timeoutMs)) / 1000,
    abort ? 'aborted' : !decided ? 'timed-out' : rejected ? 'rejected' : 'approved',
  );
  if (abort)
    throw new Finish(
      { kind: 'abort' },
      `aborted by ${abort.by} before approval${abort.reason ? `: ${abort.reason}` : ''}`,
    );
  if (!decided) {
    const missing = missingRoles(plan, r.approvals);
    throw new Finish(
      { kind: 'approval-timeout', missing },
      `no decision from ${missing.join(', ')} within ${formatDuration(plan.approval.timeoutMs)}`,
    );
  }
  if (rejected) {
    const no = r.approvals.find((a) => a.accepted && a.decision === 'reject')!;
    throw new Finish(
      { kind: 'rejected', by: no.approverId },
      `rejected by ${no.approverId} (${no.role})${no.comment ? `: ${no.comment}` : ''}`,
    );
  }
  r.event('approved by every required role');
}

/** From `signed-last-known-good` on, approvals are v3: they name what the emergency path would deploy. */
const lastKnownGood = (r: ReleaseState) =>
  r.signsLastKnownGood
    ? {
        v3: { lastKnownGoodTag: r.input.lastKnownGoodTag },
        ...(r.multiCluster
          ? { v4: { clusters: r.multiCluster.clusters, wavesDigest: r.multiCluster.wavesDigest } }
          : {}),
      }
    : {};

/** Records an approval or a rejection, accepted or refused (signal or update). */
export function receiveApproval(r: ReleaseState, req: ApprovalRequest, via: 'signal' | 'update'): ApprovalRecord {
  const { plan, subject, approvals } = r;
  const closedBecause = subject ? gateClosedReason(r.gate, r.stage, r.approvalDeadlineMs, Date.now()) : undefined;
  const refusal = refusalReason(req, {
    plan,
    workflowId: r.releaseId,
    runId: r.firstRunId,
    nowMs: Date.now(),
    records: approvals,
    ...(subject
      ? { waiting: closedBecause === undefined, closedBecause, strict: { subject, ...lastKnownGood(r) } }
      : { waiting: r.stage === 'preflight' || r.stage === 'awaiting-approval' }),
  });
  const record: ApprovalRecord = { ...req, at: iso(), accepted: refusal === undefined, refusal, via };
  approvals.push(record);
  // The decision closes the gate at once: nothing after it (a reject during the baseline re-check) counts.
  if (subject && record.accepted && gateState(plan, approvals) !== 'waiting') {
    r.gate.decided =
      gateState(plan, approvals) === 'rejected'
        ? `rejected by ${req.approverId} (${req.role})`
        : 'every required role has approved';
  }
  r.audit.push({
    at: record.at,
    action: req.decision,
    by: req.approverId,
    accepted: record.accepted,
    detail: refusal ?? `${req.role} ${req.decision}d${req.comment ? `: ${req.comment}` : ''}`,
  });
  if (record.accepted) r.event(`${req.approverId} (${req.role}) ${req.decision}d`);
  r.updateUi();
  return record;
}
