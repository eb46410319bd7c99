// The emergency's snapshot and restore-instance names (stages/emergency.ts): derived from the moment the
// emergency began, so a retry reuses them and another release's never collide.
import { emergencyRestoreId, emergencySnapshotId } from '../../src/workflows/stages/emergency';

test('the snapshot id is the prefix plus the emergency start, in UTC to the second', () => {
  expect(emergencySnapshotId('emergency-snapshot', Date.parse('2026-11-26T14:03:05.123Z'))).toBe(
    'emergency-snapshot-20261126t140305z',
  );
});

test('the restore instance is the plan name plus the emergency start, within 63 characters', () => {
  const at = Date.parse('2026-11-28T09:01:02.345Z');
  expect(emergencyRestoreId('hwayo-prod-db-restored', at)).toBe('hwayo-prod-db-restored-20261128t090102z');
  const long = emergencyRestoreId(`db-${'x'.repeat(70)}`, at);
  expect(long).toHaveLength(63);
  expect(long.endsWith('-20261128t090102z')).toBe(true);
  // A cut that would end in a hyphen does not make "--" (invalid in RDS).
  expect(emergencyRestoreId(`${'a'.repeat(45)}-bcd`, at)).toBe(`${'a'.repeat(45)}-20261128t090102z`);
});
