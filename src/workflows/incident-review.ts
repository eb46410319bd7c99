// The post-incident review skeleton, pure: one timeline from the release's record (decisions,
// controls, traffic moves) and the incident's own events, the impact the release measured, each
// rollback against its budget, and the questions the review has to answer.
import { formatDuration } from '../plan/duration';
import type { IncidentEntry, IncidentInput, IncidentStatus } from './incident-definitions';
import { rollbackLine } from './rollback-budget';

export interface IncidentReview {
  incidentId: string;
  releaseId: string;
  severity: IncidentStatus['severity'];
  cause: string;
  openedAt: string;
  acknowledgedAt?: string;
  commander?: string;
  resolvedAt?: string;
  resolvedBy?: string;
  escalations: number;
  timeline: { at: string; source: 'release' | 'control' | 'incident'; event: string }[];
  impact: IncidentInput['impact'];
  rollbacks: IncidentInput['rollbacks'];
  openQuestions: string[];
}

export function buildReview(input: IncidentInput, status: IncidentStatus): IncidentReview {
  const timeline: IncidentReview['timeline'] = [
    ...input.timeline.map((t) => ({ at: t.at, source: 'release' as const, event: `[${t.stage}] ${t.event}` })),
    ...input.audit.map((a) => ({
      at: a.at,
      source: 'control' as const,
      event: `${a.action}${a.by ? ` by ${a.by}` : ''}${a.signed ? ' (signed)' : ''}: ${a.accepted ? 'accepted' : 'refused'}; ${a.detail}`,
    })),
    ...status.events.map((e: IncidentEntry) => ({ at: e.at, source: 'incident' as const, event: e.event })),
  ];
  // A stable sort keeps each source's own order among equal times.
  timeline.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return {
    incidentId: status.incidentId,
    releaseId: input.releaseId,
    severity: input.severity,
    cause: input.cause,
    openedAt: status.openedAt,
    acknowledgedAt: status.acknowledgedAt,
    commander: status.commander,
    resolvedAt: status.resolvedAt,
    resolvedBy: status.resolvedBy,
    escalations: status.escalations,
    timeline,
    impact: input.impact,
    rollbacks: input.rollbacks,
    openQuestions: openQuestions(input, status),
  };
}

function openQuestions(input: IncidentInput, status: IncidentStatus): string[] {
  const q = [
    `What caused it? The release says: ${input.cause}`,
    'Why did the checks before this step (preflight, earlier canary steps) not catch it?',
    'What change prevents it from happening again, who owns it, and by when?',
  ];
  if (input.impact.requestsFailed === null)
    q.push('How many requests failed? The release measures rates, not counts: take them from the gateway logs.');
  for (const r of input.rollbacks.filter((x) => !x.withinBudget))
    q.push(
      `Why did the ${r.kind} rollback take ${formatDuration(r.durationMs)}, over its ${formatDuration(r.budgetMs)} budget?`,
    );
  if (status.escalations > 0)
    q.push(`Why was the incident not taken within its response target (${status.escalations} escalation(s))?`);
  return q;
}

export function renderReviewMarkdown(r: IncidentReview): string {
  const lines = [
    `# Post-incident review: ${r.incidentId}`,
    '',
    `- Release: \`${r.releaseId}\``,
    `- Severity: **${r.severity}**`,
    `- Cause: ${r.cause}`,
    `- Opened: ${r.openedAt}`,
    `- Taken: ${r.acknowledgedAt ? `${r.acknowledgedAt} by ${r.commander}` : 'never acknowledged'}`,
    `- Resolved: ${r.resolvedAt ?? 'not yet'}${r.resolvedBy ? ` by ${r.resolvedBy}` : ''}`,
    `- Escalations: ${r.escalations}`,
    '',
    '## Impact',
    '',
    `- Minutes degraded: ${r.impact.minutesDegraded}`,
    `- Requests failed: ${r.impact.requestsFailed ?? 'not counted by the release'}`,
    `- ${r.impact.detail}`,
    '',
    '## Rollbacks',
    '',
    ...(r.rollbacks.length ? r.rollbacks.map((x) => rollbackLine(x, formatDuration)) : ['None.']),
    '',
    '## Timeline',
    '',
    ...r.timeline.map((t) => `- ${t.at} (${t.source}) ${t.event}`),
    '',
    '## Open questions',
    '',
    ...r.openQuestions.map((q) => `- [ ] ${q}`),
  ];
  return lines.join('\n') + '\n';
}
