// A firing alert reaches the release as a signal: one the platform policy permits, for green, mid-canary, starts
// the rollback at once (the 60 s analysis tick is not waited for); any other is audited and ignored.
import type { ReleasePlan } from '../../src/plan/types';
import { alertFiringSignal, type AlertSignal } from '../../src/workflows/alert-rules';
import { auditQuery, statusQuery } from '../../src/workflows/definitions';
import { platformPeople, signedByPlatform } from '../unit/policy-fixture';
import { useWorkflowEnv } from './env';
import { MIN, withRelease } from './harness';
import { approveSigned, policyReading } from './policy-release';

jest.setTimeout(120_000);
const t = useWorkflowEnv();

const people = platformPeople();
const GREEN = 'hwayo-production-green';
// No incidents (the policy's `incidents: false`): a rollback's incident outlives its release, which locks the
// time-skipping server's clock for the next test; incidents have their own tests.
const scripts = { policy: policyReading(people.keys, { rollbackOnAlerts: ['HighErrorRate'], incidents: false }) };
const signedBy = (plan: ReleasePlan): void => void signedByPlatform(plan, people.keys);
const firing = (alertname: string, namespace: string): AlertSignal => ({
  alertname,
  labels: { alertname, namespace, severity: 'critical' },
  startsAt: '2026-12-06T08:00:00.000Z',
});

test('a permitted alert for green mid-canary rolls back at once, with a 60 s analysis interval', async () => {
  await withRelease(
    t.env,
    t.bundle,
    { approve: false, scripts, plan: signedBy },
    async ({ world, handle, waitFor }) => {
      const moves: [number, number][] = [];
      world.onCall = (c) => {
        if (c.name === 'setTrafficWeight')
          void t.env.currentTimeMs().then((ms) => moves.push([(c.args as { greenWeight: number }).greenWeight, ms]));
      };
      await approveSigned(t.env, people.secrets, handle, waitFor);
      const live = await waitFor((s) => s.stage === 'canary' && s.greenWeight === 5 && s.window !== undefined);
      expect(live.window?.remainingMs).toBeGreaterThan(MIN);
      const looks = world.named('queryMetrics').length;
      const sentMs = await t.env.currentTimeMs();
      await handle.signal(alertFiringSignal, firing('HighErrorRate', GREEN));
      const result = await handle.result();
      expect(result.outcome).toBe('rolled-back');
      expect(result.weights).toEqual([5, 0]);
      expect(result.reason).toBe(
        `canary at 5%: alert HighErrorRate firing for ${GREEN} since 2026-12-06T08:00:00.000Z`,
      );
      // Back to blue before any further analysis, and well within one 60 s interval of workflow time.
      const [, backMs] = moves.find(([w]) => w === 0)!;
      expect(backMs - sentMs).toBeLessThan(10_000);
      const callsBeforeBack = world.calls.slice(
        0,
        world.calls.findIndex(
          (c) => c.name === 'setTrafficWeight' && (c.args as { greenWeight: number }).greenWeight === 0,
        ),
      );
      expect(callsBeforeBack.filter((c) => c.name === 'queryMetrics')).toHaveLength(looks);
      expect(result.report.rollbacks?.map((r) => [r.kind, r.trigger])).toEqual([['automatic', 'alert']]);
      expect(result.report.audit.filter((e) => e.action === 'alert')).toEqual([
        expect.objectContaining({
          by: 'alertmanager',
          accepted: true,
          detail: expect.stringContaining('HighErrorRate'),
        }),
      ]);
    },
  );
});

test('an alert for another namespace, one the policy does not permit, or a malformed one is audited and ignored', async () => {
  await withRelease(
    t.env,
    t.bundle,
    { approve: false, scripts, plan: signedBy },
    async ({ world, handle, waitFor }) => {
      await approveSigned(t.env, people.secrets, handle, waitFor);
      await waitFor((s) => s.stage === 'canary' && s.greenWeight === 5 && s.window !== undefined);
      await handle.signal(alertFiringSignal, firing('HighErrorRate', 'hwayo-production'));
      await handle.signal(alertFiringSignal, firing('HighCPUUsage', GREEN));
      await handle.signal(alertFiringSignal, { alertname: 'HighErrorRate', labels: { namespace: GREEN } } as never);
      await t.env.sleep(3 * MIN);
      const status = await handle.query(statusQuery);
      expect([status.stage, status.greenWeight]).toEqual(['canary', 5]);
      expect(world.weights()).toEqual([5]);
      const alerts = (await handle.query(auditQuery)).filter((e) => e.action === 'alert');
      expect(alerts.map((e) => [e.accepted, e.detail])).toEqual([
        [false, expect.stringContaining(`ignored: namespace hwayo-production is not green (${GREEN})`)],
        [false, expect.stringContaining('ignored: the platform policy does not roll back on HighCPUUsage')],
        [false, 'alert ignored: invalid alert: startsAt is not an RFC 3339 time'],
      ]);
    },
  );
});
