// A multi-cluster release's status: one row per cluster (its wave, stage, weight and last verdict).
import type { ReleaseStatus } from '../workflows/definitions';

export function clusterRows(s: ReleaseStatus): string[] {
  const m = s.multiCluster;
  if (!m) return [];
  const head = ['cluster', 'region', 'wave', 'stage', 'weight', 'last verdict', 'outcome'];
  const rows = m.rows.map((r) => [
    r.cluster,
    r.region,
    String(r.wave + 1),
    r.stage,
    `${r.weight}%`,
    r.lastVerdict ?? '-',
    r.outcome ?? '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `    ${cells.map((c, i) => c.padEnd(widths[i])).join('  ')}`.trimEnd();
  return [
    `  clusters (onFailure ${m.onFailure}; approvals name ${m.clusters.join(', ')}):`,
    line(head),
    ...rows.map(line),
  ];
}
