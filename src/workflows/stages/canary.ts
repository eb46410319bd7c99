// The canary: each step shifts traffic to green and watches its window. From the first shift on,
// undoing means traffic back to blue, then blue verified.
import { formatDuration } from '../../plan/duration';
import type { ResumePoint } from '../checkpoint';
import { leaveOn } from '../exits';
import type { ReleaseState } from '../release-state';
import { notify, setWeight } from '../steps';
import { beforeIncrease } from './gate';
import { owe } from './rollback';
import { watch } from './watch';

/** Runs the canary steps; `from` resumes a step's window that a previous run was watching. */
export async function canary(r: ReleaseState, from?: ResumePoint): Promise<void> {
  const { plan } = r;
  const steps = plan.canary.steps.length;
  if (!from) {
    owe(r, 'verify-blue');
    owe(r, 'traffic-to-blue');
    r.enter('canary');
  }
  for (const [i, s] of plan.canary.steps.entries()) {
    if (from && i + 1 < from.step) continue;
    const resumed = from && i + 1 === from.step ? from.window : undefined;
    // Held before the step begins, so a hold's checkpoint resumes the step before it (whose watch then ends).
    if (!resumed && (await beforeIncrease(r, s.weight)) === 'promote') {
      r.event(`promoted by ${r.control.promote?.by} while held: skipping ${steps - i} canary step(s)`);
      break;
    }
    r.step = i + 1;
    if (!resumed) await setWeight(r, s.weight, `canary step ${r.step}/${steps}`);
    const o = await watch(r, 'canary', s.watchMs, resumed);
    leaveOn(o);
    if (o.result === 'promote') {
      r.event(`promoted by ${r.control.promote?.by}: skipping ${steps - r.step} remaining canary step(s)`);
      break;
    }
    await notify(r, 'info', `canary-${s.weight}`, `Canary ${s.weight}% passed its ${formatDuration(s.watchMs)} watch`);
  }
}
