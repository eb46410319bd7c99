// The alertFiring signal: every alert is audited; one the platform policy permits, firing for green while the
// canary is live, ends the watched window as a failed analysis would (watch.ts), without waiting for its tick.
import { patched, setHandler } from '@temporalio/workflow';
import { alertAuditDetail, alertDecision, alertFiringSignal } from './alert-rules';
import { iso, type ReleaseState } from './release-state';

export function receiveAlert(r: ReleaseState, payload: unknown): void {
  const d = alertDecision(payload, {
    releaseId: r.releaseId,
    green: r.green,
    stage: r.stage,
    greenWeight: r.greenWeight,
    rollbackOnAlerts: r.rollbackOnAlerts,
  });
  const acts = d.act === 'rollback' && r.alertStop === undefined && patched('alert-rollback');
  const detail = alertAuditDetail(payload, acts || d.act === 'ignore' ? d : { act: 'ignore', why: 'already stopping' });
  r.audit.push({ at: iso(), action: 'alert', by: 'alertmanager', accepted: acts, detail });
  r.event(`alert ${detail}`);
  if (acts && d.act === 'rollback') r.alertStop = d.stop;
}

export function setAlertHandler(r: ReleaseState): void {
  setHandler(alertFiringSignal, (payload: unknown) => receiveAlert(r, payload));
}
