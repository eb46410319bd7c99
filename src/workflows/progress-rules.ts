// A multi-cluster parent's rules for its children's progress, pure: how a reading from the child itself updates
// the cluster's row, and when a claim (a clusterProgress signal, which anyone may send) said something the child's
// own reading does not, in a way that would have moved the parent's decisions.
import type { ClusterProgress } from './multi-cluster-definitions';
import { failed, moved, type ClusterRow } from './wave-rules';

/** The row with a progress applied (the last verdict cut to 100 characters). */
export function applyProgress(row: ClusterRow, p: ClusterProgress): void {
  row.stage = p.stage;
  row.weight = typeof p.weight === 'number' ? p.weight : row.weight;
  row.lastVerdict = typeof p.lastVerdict === 'string' ? p.lastVerdict.slice(0, 100) : row.lastVerdict;
  if (p.outcome) row.outcome = p.outcome;
}

const decisive = (row: ClusterRow, p: ClusterProgress) => {
  const as: ClusterRow = { ...row };
  applyProgress(as, p);
  // A child that says it is done is as good as ended (its result is on its way).
  as.ended = as.ended || as.stage === 'done';
  return { moved: moved(as), failed: failed(as) };
};

/**
 * Why a claim is refused: it would have moved the cluster's wave (to 100%, or to failed) where the child's own
 * reading does not; undefined when the reading bears it out (display fields may differ: the child moved on).
 */
export function unconfirmedClaim(row: ClusterRow, claim: ClusterProgress, read: ClusterProgress): string | undefined {
  const said = decisive(row, claim);
  const is = decisive(row, read);
  if (said.moved === is.moved && said.failed === is.failed) return undefined;
  const show = (p: ClusterProgress) => `${p.stage} at ${p.weight}%${p.outcome ? `, ${p.outcome}` : ''}`;
  return `a progress signal claimed ${row.cluster} ${show(claim)}; its child says ${show(read)}: ignored`;
}

/** What is wrong with a claim before any reading: no running child of this release for that cluster. */
export function claimProblem(rows: readonly ClusterRow[], claim: unknown, started: (c: string) => boolean) {
  const cluster = (claim as { cluster?: unknown } | undefined)?.cluster;
  const row = rows.find((x) => x.cluster === cluster);
  if (!row || row.ended || !started(row.cluster))
    return {
      problem: `a progress signal named ${JSON.stringify(cluster)?.slice(0, 64)}, no running cluster of this release: ignored`,
    };
  return { row };
}
