// A multi-cluster release's report: a section per cluster (its wave, outcome, traffic weights, last verdict and
// the child release that holds its details), and a line saying so when the clusters end on different versions.
import type { ReleaseReport } from './definitions';

export function clusterSections(r: ReleaseReport): string[] {
  if (!r.clusters?.length) return [];
  const lines = ['', '## Clusters', ''];
  if (r.mixedVersions)
    lines.push(
      `**Clusters on different versions**: ${r.mixedVersions.onNew.join(', ')} on ${r.version}; ` +
        `${r.mixedVersions.onPrevious.join(', ')} on the previous version.`,
      '',
    );
  for (const c of r.clusters) {
    lines.push(
      `### ${c.cluster} (${c.region}, wave ${c.wave})`,
      '',
      `- Outcome: **${c.outcome ?? 'not started'}**${c.reason ? ` (${c.reason})` : ''}`,
      `- Green weights: ${c.weights.length ? c.weights.map((w) => `${w}%`).join(' -> ') : 'none set'}`,
      `- Last verdict: ${c.lastVerdict ?? '-'}`,
      ...(c.workflowId ? [`- Its release: \`${c.workflowId}\` (hwayo-release report ${c.workflowId})`] : []),
      '',
    );
  }
  return lines;
}
