// A worker that dies in the middle of an analysis tick leaves its activity attempt to time out before
// another worker retries it, and the watch (so a rollback too) waits for it. The tick's metric queries
// and health checks are therefore scheduled with a 15 s start-to-close (patch `tick-timeouts`), not the
// default minute (the chaos suite's sick canary with a killed worker, test/chaos/worker-kill.test.ts, bounds it).
import { useWorkflowEnv } from './env';
import { durationSeconds as seconds, patchIds, runHistories, withRelease } from './harness';

jest.setTimeout(120_000);
const t = useWorkflowEnv();

test('analysis ticks schedule metric queries and green health checks with a 15 s start-to-close; the data-store health checks keep a minute', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ handle }) => {
    expect((await handle.result()).outcome).toBe('succeeded');
    const events = (await runHistories(t.env, handle)).flat();
    const scheduled = events.map((e) => e.activityTaskScheduledEventAttributes).filter((a) => a != null);
    const metrics = scheduled.filter((a) => a.activityType?.name === 'queryMetrics');
    expect(metrics.length).toBeGreaterThan(3);
    expect(new Set(metrics.map((a) => seconds(a.startToCloseTimeout)))).toEqual(new Set([15]));
    const health = scheduled.filter((a) => a.activityType?.name === 'checkServiceHealth');
    const byTimeout = (s: number) => health.filter((a) => seconds(a.startToCloseTimeout) === s);
    // Every tick's health check is short; the green-deploy and final checks (with PostgreSQL and Redis) keep the
    // default.
    expect(byTimeout(15).length).toBeGreaterThan(3);
    expect(byTimeout(60).length).toBe(2);
    expect(byTimeout(15).length + byTimeout(60).length).toBe(health.length);
    // The short timeouts are the patch's: its marker is recorded (by name, not any patch's marker).
    expect(patchIds(events)).toContain('tick-timeouts');
  });
});
