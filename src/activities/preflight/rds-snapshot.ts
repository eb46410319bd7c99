// SEED section 9 "Before": the database backup emergency recovery restores from is ready. The snapshot
// must exist, be available, be encrypted (section 8.2: backups encrypted) and be at most the plan's
// bound old; each failure says what to do.
import { DBSnapshotNotFoundFault, DescribeDBSnapshotsCommand, type DBSnapshot } from '@aws-sdk/client-rds';
import { answerOrThrow } from '../aws/checks';
import type { CheckResult } from '../contract';
import type { CheckOf, CheckRunner } from './check';

const HOUR = 3_600_000;

/** The decision on a described snapshot (undefined: none by that name). Pure, so tests can move the clock. */
export function judgeBackupSnapshot(
  check: CheckOf<'rds-snapshot'>,
  snapshot: Pick<DBSnapshot, 'Status' | 'Encrypted' | 'SnapshotCreateTime'> | undefined,
  now: number,
): CheckResult {
  const id = check.snapshot;
  const fail = (detail: string, data: CheckResult['data'] = {}) => ({ name: check.name, ok: false, detail, data });
  if (!snapshot) return fail(`backup snapshot ${id} does not exist: take a snapshot before releasing`);
  const created = snapshot.SnapshotCreateTime ? new Date(snapshot.SnapshotCreateTime).getTime() : NaN;
  const ageHours = Number.isFinite(created) ? (now - created) / HOUR : NaN;
  const data = {
    status: snapshot.Status ?? 'unknown',
    encrypted: snapshot.Encrypted === true,
    createdAt: Number.isFinite(created) ? new Date(created).toISOString() : 'unknown',
    ageHours: Number.isFinite(ageHours) ? Math.round(ageHours * 10) / 10 : -1,
  };
  if (snapshot.Status !== 'available')
    return fail(`backup snapshot ${id} is ${data.status}, not available: wait for it or take a new one`, data);
  if (snapshot.Encrypted !== true)
    return fail(`backup snapshot ${id} is not encrypted (seed section 8.2): take an encrypted snapshot`, data);
  if (!Number.isFinite(ageHours))
    return fail(`backup snapshot ${id} has no creation time: its age cannot be judged`, data);
  if (ageHours > check.maxAgeHours)
    return fail(
      `backup snapshot ${id} is ${data.ageHours} h old (created ${data.createdAt}), older than the ${check.maxAgeHours} h allowed: take a new one`,
      data,
    );
  return {
    name: check.name,
    ok: true,
    detail: `backup snapshot ${id} available, encrypted, ${data.ageHours} h old`,
    data,
  };
}

export const rdsSnapshot: CheckRunner<'rds-snapshot'> = async (check, { aws }) => {
  let snapshot: DBSnapshot | undefined;
  try {
    const out = await aws.rds().send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: check.snapshot }));
    snapshot = out.DBSnapshots?.find((s) => s.DBSnapshotIdentifier === check.snapshot);
  } catch (err) {
    // DBSnapshotNotFound is "missing": the same answer as an empty list.
    if (err instanceof DBSnapshotNotFoundFault) return judgeBackupSnapshot(check, undefined, 0);
    return answerOrThrow(check.name, `describing snapshot ${check.snapshot}`, err);
  }
  return judgeBackupSnapshot(check, snapshot, Date.now());
};
