// The audit log's store: one immutable object per entry in an S3 bucket with Object Lock, each held in
// COMPLIANCE mode for 7 years from its time (nobody, root included, can delete or shorten it). Written
// only if absent (If-None-Match), so a retried batch finds its own entries and creates no second version;
// an entry already there with other bytes is a conflict, never overwritten.
import {
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  PutObjectCommand,
  type ObjectLockRule,
} from '@aws-sdk/client-s3';
import { AUDIT_KINDS, type AuditLogEntry } from '../../workflows/audit-entries';
import { awsFailure } from '../classify';
import type { ActivityConfig } from '../config';
import { nonRetryable } from '../errors';
import { awsClients } from './clients';

export const AUDIT_RETENTION_YEARS = 7;
export const DEFAULT_AUDIT_BUCKET = 'hwayo-release-audit';
/** One batch at most: the workflow flushes at stage boundaries, far below this. */
const MAX_ENTRIES = 500;
const RELEASE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,254}$/;

export const auditKey = (releaseId: string, seq: number): string =>
  `audit/${releaseId}/${String(seq).padStart(8, '0')}.json`;

/** The bytes of an entry: the same entry always gives the same bytes (a retry compares them). */
export const auditBody = (e: AuditLogEntry): string => `${JSON.stringify(e)}\n`;

/** Retained until the entry's time plus 7 years (from the entry, not the clock: a retry sends the same request). */
export function retainUntil(at: string): Date {
  const d = new Date(at);
  d.setUTCFullYear(d.getUTCFullYear() + AUDIT_RETENTION_YEARS);
  return d;
}

export interface AppendAuditInput {
  releaseId: string;
  entries: AuditLogEntry[];
}

/** Why a batch is refused before anything is written. */
export function auditBatchProblems(input: AppendAuditInput): string[] {
  const problems: string[] = [];
  if (typeof input?.releaseId !== 'string' || !RELEASE_ID.test(input.releaseId))
    return ['releaseId: must be a workflow id of letters, digits and . _ : -'];
  if (!Array.isArray(input.entries) || !input.entries.length || input.entries.length > MAX_ENTRIES)
    return [`entries: 1 to ${MAX_ENTRIES} entries`];
  input.entries.forEach((e, i) => {
    if (e.releaseId !== input.releaseId) problems.push(`entries[${i}]: names another release`);
    if (!Number.isInteger(e.seq) || e.seq < 0) problems.push(`entries[${i}].seq: not a number >= 0`);
    if (!AUDIT_KINDS.includes(e.kind)) problems.push(`entries[${i}].kind: "${String(e.kind)}" is not an audit kind`);
    if (Number.isNaN(Date.parse(e.at))) problems.push(`entries[${i}].at: not a time`);
  });
  return problems;
}

/** Refuses a bucket that would not keep entries 7 years whatever a request says. */
export function lockProblem(enabled: string | undefined, rule: ObjectLockRule | undefined): string | undefined {
  if (enabled !== 'Enabled') return 'has no Object Lock';
  const r = rule?.DefaultRetention;
  const days = (r?.Days ?? 0) + (r?.Years ?? 0) * 365;
  if (r?.Mode !== 'COMPLIANCE' || days < AUDIT_RETENTION_YEARS * 365)
    return `has no default retention in COMPLIANCE mode of ${AUDIT_RETENTION_YEARS} years (${r?.Mode ?? 'none'}, ${days} days)`;
  return undefined;
}

const preconditionFailed = (err: unknown) =>
  (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412 ||
  (err as { name?: string }).name === 'PreconditionFailed';

export function createAuditActivities(config: ActivityConfig) {
  const aws = awsClients(config);
  const bucket = config.audit?.bucket ?? DEFAULT_AUDIT_BUCKET;

  async function writeOnce(e: AuditLogEntry): Promise<'written' | 'present'> {
    const Key = auditKey(e.releaseId, e.seq);
    const Body = auditBody(e);
    try {
      await aws.s3().send(
        new PutObjectCommand({
          Bucket: bucket,
          Key,
          Body,
          ContentType: 'application/json',
          IfNoneMatch: '*',
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: retainUntil(e.at),
          ChecksumAlgorithm: 'SHA256',
        }),
      );
      return 'written';
    } catch (err) {
      if (!preconditionFailed(err)) throw awsFailure(`writing audit entry s3://${bucket}/${Key}`, err);
    }
    // Already there: a retry of this batch (same bytes) or another writer (refused).
    const got = await aws.s3().send(new GetObjectCommand({ Bucket: bucket, Key }));
    const stored = await got.Body?.transformToString('utf-8');
    if (stored !== Body)
      throw nonRetryable(
        'Conflict',
        `audit entry s3://${bucket}/${Key} exists with other content; it is never overwritten`,
      );
    return 'present';
  }

  return {
    async appendAuditLog(input: AppendAuditInput): Promise<{ written: number; present: number; bucket: string }> {
      const problems = auditBatchProblems(input);
      if (problems.length) throw nonRetryable('InvalidInput', `audit batch refused: ${problems.join('; ')}`);
      let lock;
      try {
        lock = await aws.s3().send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
      } catch (err) {
        // A bucket made without Object Lock has no configuration to read: refused below, like a weak one.
        if ((err as Error).name !== 'ObjectLockConfigurationNotFoundError')
          throw awsFailure(`reading the Object Lock configuration of s3://${bucket}`, err);
      }
      const config = lock?.ObjectLockConfiguration;
      const problem = lockProblem(config?.ObjectLockEnabled, config?.Rule);
      if (problem) throw nonRetryable('InvalidInput', `audit bucket s3://${bucket} ${problem}`);
      let written = 0;
      // In order: a crash leaves a prefix written, and the retry completes it.
      for (const e of [...input.entries].sort((a, b) => a.seq - b.seq)) {
        if ((await writeOnce(e)) === 'written') written++;
      }
      return { written, present: input.entries.length - written, bucket };
    },
  };
}
