// The full switch: all traffic to green, the final watch, then the final health and business checks.
import { leaveOn, Rollback } from '../exits';
import type { ReleaseState } from '../release-state';
import { checkHealth, setWeight } from '../steps';
import { watch } from './watch';

export async function fullSwitch(r: ReleaseState): Promise<void> {
  const { plan } = r;
  r.step = plan.canary.steps.length + 1;
  r.enter('full-switch');
  await setWeight(r, 100, 'full switch');
  leaveOn(await watch(r, 'full-switch', plan.fullSwitch.watchMs));
  const health = await checkHealth(r, true);
  if (!health.healthy) throw new Rollback({ kind: 'health-check' }, `final health check failed: ${health.detail}`, 'rolled-back');
}
