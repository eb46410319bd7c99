// Without a heartbeat timeout a SIGKILLed worker's activity attempts are retried only after their
// start-to-close (a minute for most short activities). Releases therefore schedule
// every activity with a 10 s heartbeat timeout (patch `fast-recovery`), which the worker keeps alive
// for each running attempt (src/worker/activity-interceptors.ts), so a dead worker's attempts are
// retried within seconds while the start-to-close still bounds a call that hangs.
import { useWorkflowEnv } from './env';
import { durationSeconds as seconds, patchIds, runHistories, withRelease } from './harness';

jest.setTimeout(120_000);
const t = useWorkflowEnv();

test('every activity of a release is scheduled with a 10 s heartbeat timeout and keeps its start-to-close', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ handle }) => {
    expect((await handle.result()).outcome).toBe('succeeded');
    const events = (await runHistories(t.env, handle)).flat();
    const scheduled = events.map((e) => e.activityTaskScheduledEventAttributes).filter((a) => a != null);
    expect(scheduled.length).toBeGreaterThan(20);
    const without = scheduled.filter((a) => seconds(a.heartbeatTimeout) !== 10).map((a) => a.activityType?.name);
    expect(without).toEqual([]);
    // Short activities (preflight checks, green's namespace, the report) keep their minute; ticks their 15 s.
    const s2c = (type: string) =>
      new Set(scheduled.filter((a) => a.activityType?.name === type).map((a) => seconds(a.startToCloseTimeout)));
    expect(s2c('runCheck')).toEqual(new Set([60]));
    expect(s2c('createNamespace')).toEqual(new Set([60]));
    expect(s2c('queryMetrics')).toEqual(new Set([15]));
    expect(s2c('setTrafficWeight')).toEqual(new Set([20]));
    // Every run of the release (it continues as new mid-canary) records the patch.
    for (const run of await runHistories(t.env, handle)) expect(patchIds(run)).toContain('fast-recovery');
  });
});
