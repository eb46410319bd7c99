// The restore-rehearsal decisions (SEED 9 "rollback script tested"): the preflight check refuses without a record,
// after a failed rehearsal or one older than the plan's bound (default 7 days); the scratch instance matches its
// backup only when available, of the snapshot's engine and encrypted like it.
import { judgeScratch } from '../../src/activities/aws/rehearsal';
import { judgeRehearsal } from '../../src/activities/preflight/restore-rehearsal';
import { PlanError, validatePlan } from '../../src/plan/load';

const check = {
  name: 'restore-rehearsed',
  group: 'infrastructure' as const,
  kind: 'restore-rehearsal' as const,
  database: 'hwayo-prod-db',
};
const DAY = 86_400_000;
const now = Date.parse('2026-12-06T12:00:00Z');
const record = (daysAgo: number, ok = true) => ({
  ok,
  at: new Date(now - daysAgo * DAY).toISOString(),
  database: 'hwayo-prod-db',
  snapshot: 'hwayo-prod-db-backup-latest',
  scratch: 'hwayo-rehearsal-0a1b2c3d',
  detail: ok ? 'scratch instance available' : 'scratch instance does not match its backup: engine mysql',
  workflowId: 'hwayo-rehearsal-hwayo-prod-db',
});

test('a successful rehearsal within 7 days passes', () => {
  expect(judgeRehearsal(check, record(6.9), now)).toMatchObject({
    ok: true,
    detail: 'restore of hwayo-prod-db rehearsed 165.6 h ago (2026-11-29T14:24:00.000Z)',
  });
});

test.each([
  ['no record', undefined, /no restore rehearsal of hwayo-prod-db is recorded: run `hwayo-release rehearsal run/],
  ['a failed last one', record(1, false), /failed: scratch instance does not match its backup: engine mysql/],
  ['8 days old', record(8), /is 192 h old .*older than the 168 h allowed/],
  ['undated', { ...record(1), at: 'yesterday' }, /has no time/],
])('%s fails', (_what, rec, reason) => {
  expect(judgeRehearsal(check, rec, now)).toMatchObject({
    ok: false,
    detail: expect.stringMatching(reason) as unknown as string,
  });
});

const baseline = { name: 'baseline', group: 'infrastructure', kind: 'release-baseline' };
const plan = (maxAge: string) =>
  validatePlan({ approval: { allowUnsigned: true }, preflight: { checks: [baseline, { ...check, maxAge }] } });

test("the bound is the plan's: maxAge 10d allows an 8 days old success, 1d refuses a 2 days old one", () => {
  const bound = (maxAge: string) => plan(maxAge).preflight.checks[1] as typeof check & { maxAge: number };
  expect(bound('10d').maxAge).toBe(10 * DAY);
  expect(judgeRehearsal(bound('10d'), record(8), now).ok).toBe(true);
  expect(judgeRehearsal(bound('1d'), record(2), now).ok).toBe(false);
});

test.each(['0s', '91d', 'soon'])('maxAge %j is refused', (maxAge) => {
  expect(() => plan(maxAge)).toThrow(PlanError);
  expect(() => plan(maxAge)).toThrow(/preflight\.checks\[1\]\.maxAge must/);
});

test('the scratch instance matches its backup only when available, same engine, encrypted like it', () => {
  const snap = { Engine: 'postgres', Encrypted: true };
  const good = { DBInstanceStatus: 'available', Engine: 'postgres', StorageEncrypted: true };
  expect(judgeScratch(snap, good, 's').ok).toBe(true);
  expect(judgeScratch(snap, { ...good, DBInstanceStatus: 'creating' }, 's').detail).toContain('status creating');
  expect(judgeScratch(snap, { ...good, Engine: 'mysql' }, 's').detail).toContain('engine mysql (snapshot postgres)');
  expect(judgeScratch(snap, { ...good, StorageEncrypted: false }, 's').detail).toContain('encrypted false');
  expect(judgeScratch({ ...snap, Encrypted: false }, { ...good, StorageEncrypted: false }, 's').ok).toBe(false);
  expect(judgeScratch(snap, undefined, 's').detail).toContain('is not found');
});
