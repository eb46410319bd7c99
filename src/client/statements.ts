// The statement a person signs, built from the running release's status: the status says which
// version of statement the release verifies (v1 / v2 / v3 approvals, v1 / v2 controls) and what it
// names, so the CLI (and the tests) sign exactly what the workflow checks.
import type { ReleaseStatus } from '../workflows/definitions';
import type {
  ControlStatement,
  ControlStatementV2,
  Statement,
  StatementV2,
  StatementV3,
  StatementV4,
  Subject,
} from '../workflows/signatures';

/** What is released, as the status reports it; undefined for releases from before signed subjects. */
export function subjectOf(s: ReleaseStatus): Subject | undefined {
  if (!s.planDigest) return undefined;
  const subject: Subject = { version: s.version, imageTag: s.imageTag, planDigest: s.planDigest };
  return s.policyDigest ? { ...subject, policyDigest: s.policyDigest } : subject;
}

/** The approval statement the release verifies: v3 (naming the last known good tag), v2 or v1. */
export function approvalStatement(
  base: Statement,
  s: ReleaseStatus,
): Statement | StatementV2 | StatementV3 | StatementV4 {
  const subject = subjectOf(s);
  if (!subject) return base;
  if (s.approvalStatement === 4 && s.multiCluster) {
    const { clusters, wavesDigest } = s.multiCluster;
    return { ...base, ...subject, statementVersion: 4, lastKnownGoodTag: s.lastKnownGoodTag, clusters, wavesDigest };
  }
  if (s.approvalStatement !== 3) return { ...base, ...subject };
  return { ...base, ...subject, statementVersion: 3, lastKnownGoodTag: s.lastKnownGoodTag };
}

/** The control statement the release verifies: v2 (stage, step, nonce) when it issues nonces, else v1. */
export function controlStatement(
  base: Omit<ControlStatement, keyof Subject>,
  s: ReleaseStatus,
): ControlStatement | ControlStatementV2 | undefined {
  const subject = subjectOf(s);
  if (!subject) return undefined;
  const v1 = { ...base, ...subject };
  return s.nonce === undefined ? v1 : { ...v1, stage: s.stage, step: s.step, nonce: s.nonce };
}

/** The line the CLI prints before signing: what the signature will name. */
export function signingLine(id: string, s: ReleaseStatus): string {
  const lkg = s.approvalStatement !== undefined ? `, last known good ${s.lastKnownGoodTag ?? 'none'}` : '';
  const policy = s.policyDigest ? `, policy ${s.policyDigest}` : '';
  const at = s.nonce !== undefined ? `; controls at ${s.stage}, step ${s.step}, nonce ${s.nonce}` : '';
  const clusters = s.multiCluster ? `, clusters ${s.multiCluster.clusters.join(', ')}` : '';
  return `signing for ${id}: version ${s.version}, image ${s.imageTag}${lkg}, plan ${s.planDigest}${policy}${clusters}${at}`;
}
