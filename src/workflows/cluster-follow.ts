// How a multi-cluster parent (patch multi-cluster-progress) learns each child's progress: a clusterProgress
// signal is only a nudge, since anyone may send one; the parent then reads the child itself (activity
// readClusterProgress queries the workflow it started) and only that reading moves its rows, so its decisions.
// A claim the reading does not bear out, or one naming no running cluster, is audited as refused.
import { condition, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AuditEntry } from './definitions';
import type { ClusterProgress } from './multi-cluster-definitions';
import { applyProgress, claimProblem, unconfirmedClaim } from './progress-rules';
import { NON_RETRYABLE } from './proxies';
import { iso } from './release-state';
import type { ClusterRow } from './wave-rules';

export interface Followed {
  readonly releaseId: string;
  readonly rows: ClusterRow[];
  readonly audit: AuditEntry[];
  isStarted(cluster: string): boolean;
  updateUi(): void;
}

const BY = 'a clusterProgress signal';
// Local: a query of a workflow on this worker's own queue takes milliseconds, and a marker is the cheapest record.
const { readClusterProgress } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});
const RETRY_READ_MS = 60_000;
/** Claims kept per cluster until the next reading: a flood of signals keeps only the last ones. */
const MAX_CLAIMS = 10;

export class ProgressFollower {
  /** Per cluster, the claims not read yet (a read answers them all). */
  private readonly claims = new Map<string, ClusterProgress[]>();

  constructor(private readonly r: Followed) {}

  /** The signal handler: refuses a claim about no running cluster, else asks for a reading. */
  claim(p: ClusterProgress): void {
    const { row, problem } = claimProblem(this.r.rows, p, (c) => this.r.isStarted(c));
    if (!row) {
      this.refuse(problem);
      return;
    }
    this.claims.set(row.cluster, [...(this.claims.get(row.cluster) ?? []), p].slice(-MAX_CLAIMS));
  }

  /** Reads the child of `row` whenever it is claimed to have moved, until it has ended. */
  async follow(row: ClusterRow): Promise<void> {
    for (;;) {
      await condition(() => row.ended || this.claims.has(row.cluster));
      if (row.ended) return;
      const claims = this.claims.get(row.cluster)!;
      this.claims.delete(row.cluster);
      const input = { workflowId: row.workflowId!, parentId: this.r.releaseId };
      const read = await readClusterProgress(input).catch(() => undefined);
      if (row.ended) return;
      if (!read) {
        // Unread, the row keeps its last reading (the wave waits); try again later, or at the next claim.
        this.claims.set(row.cluster, [...claims, ...(this.claims.get(row.cluster) ?? [])].slice(-MAX_CLAIMS));
        await condition(() => row.ended, RETRY_READ_MS);
        continue;
      }
      for (const c of claims) {
        const why = unconfirmedClaim(row, c, read);
        if (why) this.refuse(why);
      }
      applyProgress(row, read);
      this.r.updateUi();
    }
  }

  private refuse(detail: string): void {
    this.r.audit.push({ at: iso(), action: 'cluster-progress', by: BY, accepted: false, detail });
  }
}
