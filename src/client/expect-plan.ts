// `--expect-plan FILE`: the plan a person reviewed, as `start` would have sent it, against the release they sign
// for. A plan file with waves is a release across clusters: its plan and its waves are both what they reviewed.
import { loadReleaseFile } from '../plan/release-file';
import type { ReleaseStatus } from '../workflows/definitions';
import { planDigest } from '../workflows/signatures';

export interface Reviewed {
  file: string;
  planDigest: string;
  /** The digest of the file's waves and onFailure; absent for a single-cluster plan. */
  wavesDigest?: string;
}

export function reviewedPlan(file: string): Reviewed {
  const { plan, waves } = loadReleaseFile(file);
  return { file, planDigest: planDigest(plan), ...(waves ? { wavesDigest: planDigest(waves) } : {}) };
}

/** Why the running release is not the reviewed one (nothing to sign then); undefined when it is. */
export function reviewMismatch(id: string, reviewed: Reviewed, status: ReleaseStatus | undefined): string | undefined {
  if (status?.planDigest !== reviewed.planDigest)
    return `${id} runs plan ${status?.planDigest ?? '(unsigned subject)'}, not the plan you reviewed (${reviewed.file}: ${reviewed.planDigest}); not signing`;
  const running = status.multiCluster?.wavesDigest;
  if (running !== reviewed.wavesDigest)
    return `${id} runs ${running ? `waves ${running}` : 'in one cluster'}, not the ${reviewed.wavesDigest ? `waves you reviewed (${reviewed.file}: ${reviewed.wavesDigest})` : 'single-cluster plan you reviewed'}; not signing`;
  return undefined;
}
