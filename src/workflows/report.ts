// The release report: built from the workflow's own record, rendered as markdown for people and
// JSON for machines. Pure, so it is the same on replay.
import { formatDuration } from '../plan/duration';
import type { ReleaseReport } from './definitions';
import { policyLine } from '../policy/schema';
import { rollbackLine } from './rollback-budget';
import { clusterSections } from './cluster-report';

export function renderReportMarkdown(r: ReleaseReport): string {
  const lines: string[] = [];
  lines.push(`# Release report: ${r.app} ${r.version} (${r.imageTag})`, '');
  lines.push(
    `- Release: \`${r.releaseId}\``,
    `- Outcome: **${r.outcome}**${r.reason ? ` (${r.reason})` : ''}`,
    `- Started: ${r.startedAt}`,
    `- Finished: ${r.finishedAt}`,
    ...(r.policy ? [`- Policy: ${policyLine(r.policy)}`] : []),
    '',
  );
  lines.push('## Approvals', '');
  if (r.approvedWithoutSignatures)
    lines.push(
      "**Approved without signatures**: the plan sets approval.allowUnsigned, so these decisions prove no one's identity.",
      '',
    );
  if (!r.approvals.length) lines.push('None recorded.');
  for (const a of r.approvals) {
    lines.push(
      `- ${a.at} ${a.approverId} (${a.role}) ${a.decision} via ${a.via}${a.signature ? ', signed' : ''}: ${a.accepted ? 'accepted' : `refused: ${a.refusal}`}${a.comment ? `; "${a.comment}"` : ''}`,
    );
  }
  lines.push(...clusterSections(r));
  lines.push('', '## Preflight', '');
  for (const run of r.preflight) {
    lines.push(`At ${run.at}:`);
    for (const c of run.results) lines.push(`- ${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`);
  }
  lines.push(
    '',
    '## Traffic steps',
    '',
    '| green weight | planned | elapsed | paused | result |',
    '|---|---|---|---|---|',
  );
  for (const s of r.steps)
    lines.push(
      `| ${s.weight}% | ${formatDuration(s.plannedMs)} | ${formatDuration(s.elapsedMs)} | ${formatDuration(s.pausedMs)} | ${s.result} |`,
    );
  lines.push('', '## Analyses', '');
  const windowEnds = r.analyses.filter((a) => a.kind === 'window-end' || a.verdict !== 'pass');
  if (!windowEnds.length) lines.push('None.');
  for (const a of windowEnds) {
    const values = a.readings
      .map((x) => ('value' in x ? `${x.name}=${+x.value.toFixed(3)}` : `${x.name}=?(${x.inconclusive})`))
      .join(', ');
    lines.push(`- ${a.at} ${a.stage} ${a.weight}% ${a.kind}: **${a.verdict}** ${a.detail}; ${values}`);
  }
  lines.push(`\n${r.analyses.length} analyses in all.`);
  if (r.rollbacks?.length)
    lines.push('', '## Rollbacks', '', ...r.rollbacks.map((x) => rollbackLine(x, formatDuration)));
  if (r.compensations.length)
    lines.push('', '## Compensations', '', ...r.compensations.map((c, i) => `${i + 1}. ${c}`));
  lines.push('', '## Timeline', '', ...r.timeline.map((t) => `- ${t.at} [${t.stage}] ${t.event}`));
  lines.push(
    '',
    '## Audit',
    '',
    ...r.audit.map(
      (e) =>
        `- ${e.at} ${e.action}${e.by ? ` by ${e.by}` : ''}${e.signed ? ' (signed)' : ''}: ${e.accepted ? 'accepted' : 'refused'}; ${e.detail}`,
    ),
  );
  return lines.join('\n') + '\n';
}
