// A plan's own freezes at the workflow boundary, in skipped time: traffic holds during one exactly as during a
// policy freeze (at 0%, waiting on a timer, the reason shown), the policy's freezes still hold beside it, and a
// malformed plan freeze is refused before anything runs.
import type { PolicyReading } from '../../src/activities/policy';
import { parsePolicy } from '../../src/policy/schema';
import { platformPeople, seedPolicy, signedByPlatform } from '../unit/policy-fixture';
import { useWorkflowEnv } from './env';
import { HOUR, MIN, patchIds, runHistories, withRelease } from './harness';
import { approveSigned } from './signed-approvals';

jest.setTimeout(120_000);
const t = useWorkflowEnv();
const { secrets: SECRETS, keys: KEYS } = platformPeople();
const iso = (ms: number) => new Date(ms).toISOString();

function policyWithFreeze(from: number, until: number): PolicyReading {
  const doc = seedPolicy(KEYS);
  Object.assign(doc.environments[0], { freezes: [{ from: iso(from), until: iso(until), reason: 'platform freeze' }] });
  const { policy, problems } = parsePolicy(doc);
  if (!policy) throw new Error(problems.join('; '));
  return { source: 'configmap hwayo-release/hwayo-release-policy', policy, problems: [] };
}

test('a plan freeze holds the release at 0% until it ends, as a policy freeze does', async () => {
  const now = await t.env.currentTimeMs();
  const until = now + 2 * HOUR;
  const moves: number[] = [];
  await withRelease(
    t.env,
    t.bundle,
    { plan: (p) => void (p.freezes = [{ from: iso(now - MIN), until: iso(until), reason: 'quarter close' }]) },
    async ({ world, handle, waitFor }) => {
      world.onCall = (c) => {
        if (c.name === 'setTrafficWeight') void t.env.currentTimeMs().then((ms) => moves.push(ms));
      };
      const held = await waitFor((s) => s.pendingDecision?.kind === 'window');
      expect(held.greenWeight).toBe(0);
      expect(held.pendingDecision!.detail).toBe(
        `waiting for window any-time at ${iso(until)} (freeze until ${iso(until)}: quarter close)`,
      );
      const result = await handle.result();
      expect(result.outcome).toBe('succeeded');
      expect(moves.length).toBe(4);
      expect(Math.min(...moves)).toBeGreaterThanOrEqual(until);
      // The first run decided on the freeze (a long hold continues as new).
      const [first] = await runHistories(t.env, handle);
      expect(patchIds(first)).toContain('plan-freezes');
    },
  );
});

test("the policy's freeze still holds when the plan adds its own (a plan only tightens)", async () => {
  const now = await t.env.currentTimeMs();
  const policyUntil = now + 3 * HOUR;
  const planFreeze = { from: iso(now + 5 * HOUR), until: iso(now + 6 * HOUR), reason: 'plan freeze' };
  const moves: number[] = [];
  await withRelease(
    t.env,
    t.bundle,
    {
      approve: false,
      scripts: { policy: policyWithFreeze(now - MIN, policyUntil) },
      plan: (p) => {
        signedByPlatform(p, KEYS);
        p.freezes = [planFreeze];
      },
    },
    async ({ world, handle, waitFor }) => {
      world.onCall = (c) => {
        if (c.name === 'setTrafficWeight') void t.env.currentTimeMs().then((ms) => moves.push(ms));
      };
      await approveSigned(t.env, handle, waitFor, SECRETS);
      const held = await waitFor((s) => s.pendingDecision?.kind === 'window');
      expect(held.pendingDecision!.detail).toContain('platform freeze');
      const resolved = world.named('resolveWindows')[0].args as { rules: { freezes: { reason: string }[] } };
      expect(resolved.rules.freezes.map((f) => f.reason)).toEqual(['platform freeze', 'plan freeze']);
      expect((await handle.result()).outcome).toBe('succeeded');
      expect(Math.min(...moves)).toBeGreaterThanOrEqual(policyUntil);
    },
  );
});

test('a plan freeze that ends before it starts is refused at the workflow boundary, nothing run', async () => {
  const now = await t.env.currentTimeMs();
  await withRelease(
    t.env,
    t.bundle,
    {
      approve: false,
      plan: (p) => void (p.freezes = [{ from: iso(now + HOUR), until: iso(now), reason: 'backwards' }]),
    },
    async ({ world, handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('invalid-input');
      expect(result.reason).toContain('plan.freezes[0]');
      expect(world.calls).toEqual([]);
    },
  );
});
