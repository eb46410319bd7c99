// How blue is re-checked after a rollback (stages/rollback.ts blueVerification).
import { defaultPlan } from '../../src/plan/load';
import { blueVerification } from '../../src/workflows/stages/rollback';

test("blue's verification after a rollback: the canary's health-failure limit in rounds, spaced <= 10 s", () => {
  const p = defaultPlan();
  expect(blueVerification(p)).toEqual({ rounds: 3, pauseMs: 10_000 });
  p.canary.analysisIntervalMs = 2_000;
  p.canary.healthCheckFailureLimit = 5;
  expect(blueVerification(p)).toEqual({ rounds: 5, pauseMs: 2_000 });
  // A plan without a health-failure limit still checks blue once.
  p.canary.healthCheckFailureLimit = 0;
  expect(blueVerification(p).rounds).toBe(1);
  // The seed gives blue's health check 1 minute: the default plan's rounds and pauses fit in it.
  const d = blueVerification(defaultPlan());
  expect((d.rounds - 1) * d.pauseMs).toBeLessThanOrEqual(60_000 - 3 * 5_000);
});
