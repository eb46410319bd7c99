// Notification idempotency keys and PagerDuty dedup keys (steps.ts): the run id inside, within the
// activities' length limits.
import { notificationKey, pageDedupKey } from '../../src/workflows/steps';

const runId = '0b7d2c8e-5c1a-4a57-9f0e-3f2a1d6c9b10';

test('notification keys: run id inside, at most 200 characters however long the release id', () => {
  expect(notificationKey('release-hwayo-2.4.0', runId, 3, 'emergency')).toBe(
    `release-hwayo-2.4.0:${runId}:3:emergency`,
  );
  expect(notificationKey('release-hwayo-2.4.0', 'other-run', 3, 'emergency')).not.toBe(
    notificationKey('release-hwayo-2.4.0', runId, 3, 'emergency'),
  );
  const k = notificationKey('r'.repeat(500), runId, 12, 'rollback-finished');
  expect(k.length).toBeLessThanOrEqual(200);
  expect(k.endsWith(`:${runId}:12:rollback-finished`)).toBe(true);
});
test('page dedup keys: one per kind of event and run, at most 255 characters', () => {
  expect(pageDedupKey('release-hwayo-2.4.0', runId, 'emergency')).not.toBe(
    pageDedupKey('release-hwayo-2.4.0', runId, 'incident'),
  );
  expect(pageDedupKey('r'.repeat(500), runId, 'incident').length).toBeLessThanOrEqual(255);
});
