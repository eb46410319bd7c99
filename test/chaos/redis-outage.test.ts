// Chaos 6: Redis, the notifications' dedup store, is down while a sick canary rolls back. The critical
// messages (Slack #hwayo-critical, the PagerDuty page, mail) still go out; the rollback is not held up.
import { approveAll, killStackProcess, shortPlan, startComponent } from './harness';
import { begin, drive, finish, inStage, makeGreenSick, useChaosWorker } from './releases';
import { notificationsOf } from './invariants';

jest.setTimeout(10 * 60_000);
const { dir, taskQueue } = useChaosWorker('redis', () => startComponent('redis'));

test('chaos 6: Redis down during a sick canary: it rolls back and the critical notifications still go out', async () => {
  const run = await begin('sick', shortPlan(dir, 'plan'), taskQueue);
  // Down once green is deployed (preflight's redis-ping and green's health check with its data stores would
  // refuse the release before, by design), as green turns sick: the rollback's messages are critical.
  await drive(
    run,
    [
      { name: 'approval wait', when: inStage('awaiting-approval'), after: approveAll, inject: false },
      { name: 'canary 5%', when: inStage('canary', 5), after: makeGreenSick },
    ],
    async () => {
      await killStackProcess('redis', 'SIGKILL');
      return { downMs: 0, restartedAt: Date.now() };
    },
  );
  const f = await finish(run);
  expect(f.problems).toEqual([]);
  // The stack's Redis is also the services' data store and stays down: blue's verification (with its data stores)
  // fails, the emergency path restores the database, and blue still cannot reach Redis: one outcome, by design.
  expect(f.result.outcome).toBe('emergency-failed');
  expect(f.summary.routeWrites.slice(0, 2)).toEqual(['green 5%', 'green 0%']);
  const notes = await notificationsOf(run.version);
  const rollingBack = (where: string) =>
    Object.keys(notes[where] ?? {}).filter((t) => t.includes('Rolling back') || t.includes('rollback-started'));
  expect(rollingBack('slack #hwayo-critical').length).toBeGreaterThanOrEqual(1);
  expect(rollingBack('pagerduty').length).toBeGreaterThanOrEqual(1);
  expect(rollingBack('email').length).toBeGreaterThanOrEqual(1);
});
