// The backup-readiness decision (SEED section 9 "Before") on described snapshots: missing, not available,
// not encrypted, too old or undated fail, each saying why; a fresh encrypted available snapshot passes.
import { judgeBackupSnapshot } from '../../src/activities/preflight/rds-snapshot';
import { defaultPlan, PlanError, validatePlan } from '../../src/plan/load';

const check = {
  name: 'database-backup-ready',
  group: 'infrastructure' as const,
  kind: 'rds-snapshot' as const,
  snapshot: 'hwayo-prod-db-backup-latest',
  maxAgeHours: 24,
};
const now = Date.parse('2026-12-06T12:00:00Z');
const hoursAgo = (h: number) => new Date(now - h * 3_600_000);
const good = { Status: 'available', Encrypted: true, SnapshotCreateTime: hoursAgo(3) };

test('the default plan checks hwayo-prod-db-backup-latest, at most 24 h old', () => {
  expect(defaultPlan().preflight.checks.find((c) => c.kind === 'rds-snapshot')).toEqual(check);
});

test('a fresh, available, encrypted snapshot passes', () => {
  expect(judgeBackupSnapshot(check, good, now)).toMatchObject({
    ok: true,
    detail: 'backup snapshot hwayo-prod-db-backup-latest available, encrypted, 3 h old',
    data: { status: 'available', encrypted: true, ageHours: 3 },
  });
  expect(judgeBackupSnapshot(check, { ...good, SnapshotCreateTime: hoursAgo(23.9) }, now).ok).toBe(true);
});

test.each([
  ['missing', undefined, /does not exist: take a snapshot/],
  ['creating', { ...good, Status: 'creating' }, /is creating, not available/],
  ['not encrypted', { ...good, Encrypted: false }, /is not encrypted/],
  ['25 h old', { ...good, SnapshotCreateTime: hoursAgo(25) }, /is 25 h old .*older than the 24 h allowed/],
  ['undated', { ...good, SnapshotCreateTime: undefined }, /has no creation time/],
])('%s fails', (_what, snapshot, reason) => {
  expect(judgeBackupSnapshot(check, snapshot, now)).toMatchObject({
    ok: false,
    detail: expect.stringMatching(reason) as unknown as string,
  });
});

test("the bound is the plan's: 48 h allows a 25 h old snapshot", () => {
  expect(
    judgeBackupSnapshot({ ...check, maxAgeHours: 48 }, { ...good, SnapshotCreateTime: hoursAgo(25) }, now).ok,
  ).toBe(true);
});

test.each([0, -1, 'x'])('maxAgeHours %j is refused', (maxAgeHours) => {
  let err: unknown;
  try {
    validatePlan({ approval: { allowUnsigned: true }, preflight: { checks: [{ ...check, maxAgeHours }] } });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PlanError);
  expect((err as PlanError).problems.join('\n')).toContain('maxAgeHours');
});
