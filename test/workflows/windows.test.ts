// Release windows and the stop-the-line at the workflow boundary, in skipped time: a release waits for its window
// at 0%, a window that closes mid-canary holds the weight (analysis going on) or rolls back by policy, a freeze
// holds a running release before its next increase until unfreeze, and a new start is refused while frozen.
import type { PolicyReading } from '../../src/activities/policy';
import type { ReleasePlan } from '../../src/plan/types';
import { parsePolicy } from '../../src/policy/schema';
import { statusQuery } from '../../src/workflows/definitions';
import { platformPeople, seedPolicy, signedByPlatform } from '../unit/policy-fixture';
import { useWorkflowEnv } from './env';
import { HOUR, MIN, patchIds, runHistories, withRelease } from './harness';
import { approveSigned } from './signed-approvals';

jest.setTimeout(120_000);
const t = useWorkflowEnv();

const { secrets: SECRETS, keys: KEYS } = platformPeople();
const ALL_DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/**
 * Windows relative to the test server's clock: a fixed-offset zone in which it is about 06:00 now, window a
 * 08:00-08:40 and window b 10:00-12:00 every day. Returns the instants they open and close next.
 */
async function windowsNow(onClose: 'hold' | 'rollback') {
  const now = await t.env.currentTimeMs();
  const d = new Date(now);
  const offset = ((((6 - d.getUTCHours() + 12) % 24) + 24) % 24) - 12;
  const timeZone = offset === 0 ? 'Etc/UTC' : offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
  const day = now + offset * HOUR - ((now + offset * HOUR) % (24 * HOUR)) - offset * HOUR;
  const at = (minutes: number) => day + minutes * MIN;
  const windows = {
    timeZone,
    onClose,
    weekly: [
      { name: 'a', days: ALL_DAYS, start: hhmm(8 * 60), end: hhmm(8 * 60 + 40) },
      { name: 'b', days: ALL_DAYS, start: hhmm(10 * 60), end: hhmm(12 * 60) },
    ],
  };
  return { windows, aOpens: at(8 * 60), aCloses: at(8 * 60 + 40), bOpens: at(10 * 60) };
}

// No incidents (the policy's `incidents: false`): the onClose-rollback release's incident outlives it, which can lock
// the time-skipping server's clock for the next test (seen under load); incidents have their own tests.
function reading(env: Record<string, unknown>): PolicyReading {
  const doc = seedPolicy(KEYS);
  Object.assign(doc.environments[0], { incidents: false }, env);
  const { policy, problems } = parsePolicy(doc);
  if (!policy) throw new Error(problems.join('; '));
  return { source: 'configmap hwayo-release/hwayo-release-policy', policy, problems: [] };
}

const signedBy = (plan: ReleasePlan): void => void signedByPlatform(plan, KEYS);

test.each(['hold', 'rollback'] as const)(
  'a release waits for its window at 0%%, and a window that closes mid-canary makes it %s',
  async (onClose) => {
    const w = await windowsNow(onClose);
    const moves: [number, number][] = [];
    await withRelease(
      t.env,
      t.bundle,
      { approve: false, scripts: { policy: reading({ windows: w.windows }) }, plan: signedBy },
      async ({ world, handle, waitFor }) => {
        world.onCall = (c) => {
          if (c.name === 'setTrafficWeight')
            void t.env.currentTimeMs().then((ms) => moves.push([(c.args as { greenWeight: number }).greenWeight, ms]));
        };
        await approveSigned(t.env, handle, waitFor, SECRETS);
        const waiting = await waitFor((s) => s.pendingDecision?.kind === 'window');
        expect(waiting.greenWeight).toBe(0);
        expect(waiting.pendingDecision!.detail).toBe(`waiting for window a at ${new Date(w.aOpens).toISOString()}`);
        const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
        expect(meta.currentDetails).toContain(`waiting for window a at ${new Date(w.aOpens).toISOString()}`);
        if (onClose === 'rollback') {
          const result = await handle.result();
          expect(result.outcome).toBe('rolled-back');
          expect(result.reason).toContain('outside every release window at 25% (policy: onClose rollback)');
          expect(result.weights).toEqual([5, 25, 0]);
          expect(moves.slice(0, 2).every(([, ms]) => ms >= w.aOpens && ms < w.aCloses)).toBe(true);
          return;
        }
        // Window a closed at 08:40 during step 2's 30-minute watch: the release holds 25% until b opens.
        await t.env.sleep(w.aCloses + 10 * MIN - (await t.env.currentTimeMs()));
        const held = await handle.query(statusQuery);
        expect(held.greenWeight).toBe(25);
        expect(held.pendingDecision!.detail).toBe(`waiting for window b at ${new Date(w.bOpens).toISOString()}`);
        const looksBefore = world.named('queryMetrics').length;
        expect((await handle.result()).outcome).toBe('succeeded');
        expect(world.weights()).toEqual([5, 25, 50, 100]);
        // Analysis went on while it held (rollback triggers kept acting): ticks between 08:45 and 10:00.
        expect(world.named('queryMetrics').length - looksBefore).toBeGreaterThan(60);
        const [[, five], [, twentyFive], [, fifty]] = moves;
        expect(five).toBeGreaterThanOrEqual(w.aOpens);
        expect(twentyFive).toBeLessThan(w.aCloses);
        expect(fifty).toBeGreaterThanOrEqual(w.bOpens);
      },
    );
  },
);

test("a production day's timeline (SEED 12): each weight moves at its own time, not before", async () => {
  const w = await windowsNow('hold');
  // As the seed's day, two hours earlier: 5% at 08:00, 25% at 08:30, 50% at 09:30, full switch 11:30, done 12:30.
  const slot = (name: string, start: number, maxWeight?: number) => ({
    name,
    days: ALL_DAYS,
    start: hhmm(start),
    end: hhmm(12 * 60 + 30),
    ...(maxWeight ? { maxWeight } : {}),
  });
  const windows = {
    ...w.windows,
    weekly: [
      slot('canary-5', 8 * 60, 5),
      slot('canary-25', 8 * 60 + 30, 25),
      slot('canary-50', 9 * 60 + 30, 50),
      slot('full-switch', 11 * 60 + 30),
    ],
  };
  const opens = [0, 30, 90, 210].map((m) => w.aOpens + m * MIN);
  const moves: [number, number][] = [];
  await withRelease(
    t.env,
    t.bundle,
    { approve: false, scripts: { policy: reading({ windows }) }, plan: signedBy },
    async ({ world, handle, waitFor }) => {
      world.onCall = (c) => {
        if (c.name === 'setTrafficWeight')
          void t.env.currentTimeMs().then((ms) => moves.push([(c.args as { greenWeight: number }).greenWeight, ms]));
      };
      await approveSigned(t.env, handle, waitFor, SECRETS);
      const at5 = await waitFor((s) => s.greenWeight === 5 && s.pendingDecision?.kind === 'window');
      expect(at5.pendingDecision!.detail).toBe(`waiting for window canary-25 at ${new Date(opens[1]).toISOString()}`);
      expect((await handle.result()).outcome).toBe('succeeded');
      expect(moves.map(([weight]) => weight)).toEqual([5, 25, 50, 100]);
      // Each move at its slot, none before it (the plan's watches end earlier: the release waited, watching).
      moves.forEach(([, ms], i) => {
        expect(ms).toBeGreaterThanOrEqual(opens[i]);
        expect(ms).toBeLessThan(opens[i] + 2 * MIN);
      });
      const [first] = await runHistories(t.env, handle);
      expect(patchIds(first)).toContain('timeline-windows');
    },
  );
});

test('a freeze during a canary holds it before its next increase; unfreeze lets it go on', async () => {
  let frozen = false;
  const state = () =>
    frozen
      ? { frozen: true, by: 'olga', since: '2026-12-06T05:00:00.000Z', reason: 'payments incident', seq: 1 }
      : { frozen: false, seq: frozen ? 1 : 0 };
  await withRelease(t.env, t.bundle, { scripts: { stopTheLine: state } }, async ({ world, waitFor, handle }) => {
    world.onCall = (c) => {
      if (c.name === 'setTrafficWeight' && (c.args as { greenWeight: number }).greenWeight === 5) frozen = true;
    };
    const held = await waitFor((s) => s.pendingDecision?.kind === 'stop-the-line');
    expect(held.greenWeight).toBe(5);
    expect(held.pendingDecision!.detail).toBe(
      'held by stop-the-line by olga since 2026-12-06T05:00:00.000Z: payments incident',
    );
    await t.env.sleep(20 * MIN);
    expect(world.weights()).toEqual([5]);
    expect((await handle.query(statusQuery)).pendingDecision?.kind).toBe('stop-the-line');
    frozen = false;
    expect((await handle.result()).outcome).toBe('succeeded');
    expect(world.weights()).toEqual([5, 25, 50, 100]);
  });
});

test('a new release is refused while the line is stopped, before it changes anything', async () => {
  const state = () => ({ frozen: true, by: 'olga', since: '2026-12-06T05:00:00.000Z', reason: 'freeze', seq: 3 });
  await withRelease(t.env, t.bundle, { approve: false, scripts: { stopTheLine: state } }, async ({ world, handle }) => {
    const result = await handle.result();
    expect(result.outcome).toBe('rejected');
    expect(result.reason).toBe(
      'refused, nothing was done: stop-the-line by olga since 2026-12-06T05:00:00.000Z: freeze; ' +
        'no release starts until unfreeze',
    );
    expect(world.calls.map((c) => c.name)).toEqual(['readPlatformPolicy', 'readStopTheLine']);
  });
});
