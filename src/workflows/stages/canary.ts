// The canary: each step shifts traffic to green and watches its window. From the first shift on,
// undoing means traffic back to blue, then blue verified.
import { formatDuration } from '../../plan/duration';
import { leaveOn } from '../exits';
import type { ReleaseState } from '../release-state';
import { notify, setWeight } from '../steps';
import { verifyBlue } from './rollback';
import { watch } from './watch';

export async function canary(r: ReleaseState): Promise<void> {
  const { plan, saga } = r;
  const steps = plan.canary.steps.length;
  saga.add('verify-blue', () => verifyBlue(r));
  saga.add('traffic-to-blue', () => setWeight(r, 0, 'rollback'));
  r.enter('canary');
  for (const [i, s] of plan.canary.steps.entries()) {
    r.step = i + 1;
    await setWeight(r, s.weight, `canary step ${r.step}/${steps}`);
    const o = await watch(r, 'canary', s.watchMs);
    leaveOn(o);
    if (o.result === 'promote') {
      r.event(`promoted by ${r.control.promote?.by}: skipping ${steps - r.step} remaining canary step(s)`);
      break;
    }
    await notify(r, 'info', `canary-${s.weight}`, `Canary ${s.weight}% passed its ${formatDuration(s.watchMs)} watch`);
  }
}
