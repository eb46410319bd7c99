// The notification invariant of the chaos suite, pure so that test/unit can check it with fake counts.

/** What the sinks received about a version: destination (slack channel, pagerduty, email) -> text -> times. */
export type Notifications = Record<string, Record<string, number>>;

/** Destinations that are at-least-once: a retried send may deliver again (src/activities/notify.ts). */
export const CRITICAL_DESTINATIONS = new Set(['slack #hwayo-critical', 'pagerduty', 'email']);

/**
 * How many times one critical message may arrive: once, plus one resend by the retry of an attempt whose
 * worker died after the message left and before its activity completed. More is a duplicate.
 */
export const CRITICAL_MAX_DELIVERIES = 2;

/** Each non-critical message exactly once; each critical one at least once and at most CRITICAL_MAX_DELIVERIES. */
export function notificationProblems(notes: Notifications): string[] {
  const problems: string[] = [];
  for (const [where, texts] of Object.entries(notes)) {
    for (const [text, n] of Object.entries(texts)) {
      const ok = CRITICAL_DESTINATIONS.has(where) ? n >= 1 && n <= CRITICAL_MAX_DELIVERIES : n === 1;
      if (!ok) problems.push(`${where} got "${text.slice(0, 90)}" ${n} times`);
    }
  }
  return problems;
}
