// A pause holds promotion and the window's clock only. While paused the analysis
// ticks go on, rollback triggers and green's health failures still roll back, and a pause ends by
// itself after canary.maxPause (1 h by default), so an unsigned pause cannot switch rollback off.
import { auditQuery, pauseUpdate, statusQuery } from '../../src/workflows/definitions';
import { defaultPlan } from '../../src/plan/load';
import { useWorkflowEnv } from './env';
import { firingValue } from './fake-world';
import { HOUR, MIN, withRelease } from './harness';

jest.setTimeout(60_000);
const t = useWorkflowEnv();

const errorRate = defaultPlan().metrics.find((m) => m.name === 'error_rate')!;

test('paused at a canary step, green crossing a rollback threshold still rolls the release back', async () => {
  let sick = false;
  const scripts = { canary: () => (sick ? { error_rate: firingValue(errorRate) } : {}) };
  await withRelease(t.env, t.bundle, { scripts }, async ({ handle, waitFor }) => {
    await waitFor((s) => s.greenWeight === 5 && s.window !== undefined);
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'mallory', reason: 'hold on' }] });
    sick = true;
    await t.env.sleep(5 * MIN);
    const s = await handle.query(statusQuery);
    expect(s.outcome).toBe('rolled-back');
    const result = await handle.result();
    expect(result.weights).toEqual([5, 0]);
    expect(result.reason).toContain('error_rate');
  });
});

test('a pause longer than canary.maxPause ends by itself: audited, in the timeline, and people are told', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ world, handle, waitFor }) => {
    await waitFor((s) => s.greenWeight === 5 && s.window !== undefined);
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'alice', reason: 'lunch' }] });
    await t.env.sleep(61 * MIN);
    const s = await handle.query(statusQuery);
    expect(s.paused).toBe(false);
    expect(s.pendingDecision).toBeUndefined();
    const expired = 'pause expired after 1h (canary.maxPause)';
    expect(await handle.query(auditQuery)).toContainEqual(
      expect.objectContaining({ action: 'resume', by: 'hwayo-release', accepted: true, detail: expired }),
    );
    const warning = world
      .named('postSlack')
      .map((c) => c.args as { severity: string; text: string })
      .find((a) => a.text.includes(expired));
    expect(warning?.severity).toBe('warning');
    const result = await handle.result();
    expect(result.outcome).toBe('succeeded');
    expect(result.report.timeline.map((e) => e.event)).toContain(expired);
    const first = result.report.steps[0];
    expect(first.pausedMs).toBeGreaterThanOrEqual(60 * MIN);
    expect(first.pausedMs).toBeLessThan(61 * MIN);
  });
});

test('while paused the window clock stands still and the analysis ticks go on', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ world, handle, waitFor }) => {
    await waitFor((s) => s.greenWeight === 5 && s.window !== undefined);
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'alice' }] });
    const paused = await handle.query(statusQuery);
    const looks = world.named('queryMetrics').length;
    await t.env.sleep(10 * MIN);
    const later = await handle.query(statusQuery);
    expect(later.paused).toBe(true);
    expect(later.greenWeight).toBe(5);
    expect(later.window!.remainingMs).toBe(paused.window!.remainingMs);
    // One look a minute (the analysis interval), green's health with each.
    expect(world.named('queryMetrics').length - looks).toBeGreaterThanOrEqual(9);
    expect(later.lastAnalysis?.kind).toBe('tick');
  });
});

test('a long pause moves to a new run like a watch does: still paused there, the window clock still held', async () => {
  const plan = (p: ReturnType<typeof defaultPlan>) => {
    p.canary.maxPauseMs = 4 * HOUR;
  };
  await withRelease(t.env, t.bundle, { plan }, async ({ handle, waitFor }) => {
    await waitFor((s) => s.greenWeight === 5 && s.window !== undefined);
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'alice', reason: 'incident elsewhere' }] });
    const paused = await handle.query(statusQuery);
    const firstRun = (await handle.describe()).runId;
    await t.env.sleep(3 * HOUR);
    const later = await handle.query(statusQuery);
    expect((await handle.describe()).runId).not.toBe(firstRun);
    expect(later.paused).toBe(true);
    expect(later.pendingDecision?.detail).toBe('paused by alice: incident elsewhere');
    expect(later.window!.remainingMs).toBe(paused.window!.remainingMs);
    await t.env.sleep(HOUR + MIN);
    expect((await handle.query(statusQuery)).paused).toBe(false);
    const result = await handle.result();
    expect(result.outcome).toBe('succeeded');
    expect(result.report.timeline.map((e) => e.event)).toContain('pause expired after 4h (canary.maxPause)');
    expect(result.report.steps[0].pausedMs).toBeGreaterThanOrEqual(4 * HOUR);
    expect(result.report.steps[0].pausedMs).toBeLessThan(4 * HOUR + MIN);
  });
});
