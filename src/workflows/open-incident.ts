// The release's side of incident response: when its ending calls for an incident (incident-rules.ts),
// it starts the incident workflow as a child that outlives it (ParentClosePolicy ABANDON) and hands it
// what it knows: the timeline, the controls, each rollback against its budget, the impact.
import { ParentClosePolicy, patched, startChild } from '@temporalio/workflow';
import type { AnalysisRecord } from './definitions';
import { errorText } from './exits';
import { incidentWorkflow } from './incident';
import { incidentIdOf, type IncidentImpact, type IncidentInput } from './incident-definitions';
import { incidentSeverity } from './incident-rules';
import { listedPeople } from './control-auth';
import { signaturesRequired } from './approvals';
import type { ReleaseState } from './release-state';
import type { RollbackRecord } from './rollback-budget';

export async function openIncident(r: ReleaseState): Promise<void> {
  if (!r.outcome || r.input.incidents === false) return;
  const severity = incidentSeverity({ outcome: r.outcome, rollback: r.rollbacks[r.rollbacks.length - 1] });
  if (!severity || !patched('incident-child')) return;
  const { plan } = r;
  const input: IncidentInput = {
    releaseId: r.releaseId,
    app: plan.app,
    version: r.version,
    severity,
    outcome: r.outcome,
    cause: r.reason ?? r.outcome,
    notifications: plan.notifications,
    onCall: plan.notifications.onCall?.length ? plan.notifications.onCall : [plan.notifications.email],
    people: listedPeople(plan),
    signaturesRequired: signaturesRequired(plan),
    artifactsBucket: plan.artifactsBucket,
    timeline: [...r.timeline],
    audit: [...r.audit],
    rollbacks: [...r.rollbacks],
    impact: incidentImpact(r.analyses, r.rollbacks, Date.now()),
  };
  const workflowId = incidentIdOf(r.releaseId);
  try {
    await startChild(incidentWorkflow, {
      workflowId,
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    r.event(`incident ${workflowId} opened (${severity})`);
  } catch (err) {
    r.event(`incident ${workflowId} could not be opened: ${errorText(err)}`);
  }
}

/**
 * What the release knows of the harm: degraded from its first failing reading (or the rollback's start)
 * until the last rollback finished; it measures rates, not counts, so failed requests are not counted.
 */
export function incidentImpact(analyses: AnalysisRecord[], rollbacks: RollbackRecord[], nowMs: number): IncidentImpact {
  const bad = analyses.find((a) => a.verdict === 'breach' || a.verdict === 'unhealthy');
  const startMs = bad ? Date.parse(bad.at) : rollbacks.length ? Date.parse(rollbacks[0].startedAt) : nowMs;
  const endMs = rollbacks.length ? Date.parse(rollbacks[rollbacks.length - 1].finishedAt) : nowMs;
  let peak: { value: number; weight: number } | undefined;
  for (const a of analyses)
    for (const x of a.readings)
      if ('value' in x && /error/i.test(x.name) && (!peak || x.value > peak.value))
        peak = { value: x.value, weight: a.weight };
  return {
    minutesDegraded: Math.max(0, Math.ceil((endMs - startMs) / 60_000)),
    requestsFailed: null,
    detail: peak
      ? `peak error rate ${+peak.value.toFixed(3)}% of the measured side's requests, at green weight ${peak.weight}%`
      : 'no error-rate reading was taken',
  };
}
