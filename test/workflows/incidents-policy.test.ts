// Incidents are the platform's call (src/policy/incidents.ts, patch incidents-policy), in skipped time: an input
// that turns off what the policy requires is refused and audited; a policy that leaves them off opens none unless
// the input turns them on; and an incident a release opens is ended by the harness, so the file's later releases
// still skip time.
import type { PolicyReading } from '../../src/activities/policy';
import { parsePolicy } from '../../src/policy/schema';
import { incidentIdOf } from '../../src/workflows/incident-definitions';
import { platformPeople, seedPolicy, signedByPlatform } from '../unit/policy-fixture';
import { useWorkflowEnv } from './env';
import { patchIds, runHistories, withRelease, type RunOptions } from './harness';
import { approveSigned } from './signed-approvals';

jest.setTimeout(120_000);
const t = useWorkflowEnv();
const { secrets: SECRETS, keys: KEYS } = platformPeople();

function reading(incidents?: boolean): PolicyReading {
  const doc = seedPolicy(KEYS);
  if (incidents !== undefined) Object.assign(doc.environments[0], { incidents });
  const { policy, problems } = parsePolicy(doc);
  if (!policy) throw new Error(problems.join('; '));
  return { source: 'configmap hwayo-release/hwayo-release-policy', policy, problems: [] };
}

/** A signed release under `policy` whose canary breaches at 25% and rolls back automatically. */
async function rollingBack(policy: PolicyReading, input: RunOptions['input'] = {}) {
  let ticks = 0;
  return withRelease(
    t.env,
    t.bundle,
    {
      approve: false,
      input,
      plan: (p) => void signedByPlatform(p, KEYS),
      scripts: { policy, canary: (ctx) => (ctx.weight === 25 && ++ticks >= 2 ? { error_rate: 12.5 } : {}) },
    },
    async ({ handle, waitFor }) => {
      await approveSigned(t.env, handle, waitFor, SECRETS);
      const result = await handle.result();
      const incident = await t.env.client.workflow
        .getHandle(incidentIdOf(handle.workflowId))
        .describe()
        .then((d) => d.status.name)
        .catch(() => 'none');
      const [first] = await runHistories(t.env, handle);
      return { result, incident, patches: patchIds(first) };
    },
  );
}

test('an input that turns off the incidents the policy requires is refused, audited, and runs nothing', async () => {
  await withRelease(
    t.env,
    t.bundle,
    {
      approve: false,
      input: { incidents: false },
      scripts: { policy: reading() },
      plan: (p) => void signedByPlatform(p, KEYS),
    },
    async ({ world, handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('invalid-input');
      expect(result.reason).toBe(
        'invalid input, nothing was done: policy rule incidents: the platform opens incidents for releases into ' +
          'production; the input may not turn them off (incidents: false)',
      );
      expect(world.calls.map((c) => c.name)).toEqual(['readPlatformPolicy', 'appendAuditLog']);
      const outcome = [...world.auditLog.values()].find((e) => e.kind === 'outcome');
      expect(outcome?.detail).toContain('policy rule incidents');
    },
  );
});

test('where the policy requires incidents, a rollback opens one (the harness ends it after the test)', async () => {
  const { result, incident, patches } = await rollingBack(reading());
  expect(result.outcome).toBe('rolled-back');
  expect(incident).toBe('RUNNING');
  expect(patches).not.toContain('incidents-policy');
});

test('where the policy leaves incidents off, a rollback opens none; the input may turn them on', async () => {
  const off = await rollingBack(reading(false));
  expect(off.result.outcome).toBe('rolled-back');
  expect(off.incident).toBe('none');
  expect(off.patches).toContain('incidents-policy');
  const on = await rollingBack(reading(false), { incidents: true });
  expect(on.result.outcome).toBe('rolled-back');
  expect(on.incident).toBe('RUNNING');
});
