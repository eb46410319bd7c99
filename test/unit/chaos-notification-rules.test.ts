// The chaos suite's notification invariant (test/chaos/notification-rules.ts) with fake counts: it must
// fire on a duplicate, since the chaos releases only pass when it stays silent.
import { CRITICAL_DESTINATIONS, CRITICAL_MAX_DELIVERIES, notificationProblems } from '../chaos/notification-rules';

const times = (where: string, n: number) => ({ [where]: { 'Rolling back V': n } });

test('the tolerance is one resend of a critical message, no more', () => {
  expect(CRITICAL_MAX_DELIVERIES).toBe(2);
  expect([...CRITICAL_DESTINATIONS].sort()).toEqual(['email', 'pagerduty', 'slack #hwayo-critical']);
});

test.each([...CRITICAL_DESTINATIONS])(
  '%s: once or twice holds; three times is a duplicate beyond the tolerance',
  (where) => {
    expect(notificationProblems(times(where, 1))).toEqual([]);
    expect(notificationProblems(times(where, CRITICAL_MAX_DELIVERIES))).toEqual([]);
    expect(notificationProblems(times(where, CRITICAL_MAX_DELIVERIES + 1))).toEqual([
      `${where} got "Rolling back V" 3 times`,
    ]);
    expect(notificationProblems(times(where, 0))).toEqual([`${where} got "Rolling back V" 0 times`]);
  },
);

test('a non-critical message must arrive exactly once: a second one is a duplicate', () => {
  expect(notificationProblems(times('slack #hwayo-releases', 1))).toEqual([]);
  expect(notificationProblems(times('slack #hwayo-releases', 2))).toEqual([
    'slack #hwayo-releases got "Rolling back V" 2 times',
  ]);
});

test('every duplicate of a release is named, across destinations and texts', () => {
  const problems = notificationProblems({
    pagerduty: { 'trigger Rolling back V': 3, 'trigger Emergency V': 1 },
    email: { '[hwayo-release] hwayo V: emergency': 5 },
    'slack #hwayo-releases': { 'Starting V': 1, 'Canary at 5% V': 2 },
  });
  expect(problems).toEqual([
    'pagerduty got "trigger Rolling back V" 3 times',
    'email got "[hwayo-release] hwayo V: emergency" 5 times',
    'slack #hwayo-releases got "Canary at 5% V" 2 times',
  ]);
});
