// The full switch: all traffic to green, the final watch, then the final health and business checks and
// the smoke test of the plan's endpoints.
import type { WindowProgress } from '../checkpoint';
import { leaveOn, Rollback } from '../exits';
import type { ReleaseState } from '../release-state';
import { checkHealth, setWeight } from '../steps';
import { smokeStage } from './smoke';
import { beforeIncrease } from './gate';
import { watch } from './watch';

/** All traffic to green and its watch; `resumed` continues a watch that a previous run began. */
export async function fullSwitch(r: ReleaseState, resumed?: WindowProgress): Promise<void> {
  const { plan } = r;
  if (!resumed) {
    await beforeIncrease(r, 100);
    r.step = plan.canary.steps.length + 1;
    r.enter('full-switch');
    await setWeight(r, 100, 'full switch');
  }
  leaveOn(await watch(r, 'full-switch', plan.fullSwitch.watchMs, resumed));
  const health = await checkHealth(r, true);
  if (!health.healthy)
    throw new Rollback({ kind: 'health-check' }, `final health check failed: ${health.detail}`, 'rolled-back');
  await smokeStage(r);
}
