// Before anything in production changes: which namespace is production, every preflight check, and
// the checks that may have gone stale while people decided.
import { patched } from '@temporalio/workflow';
import type { CheckResult } from '../../activities/contract';
import { formatDuration } from '../../plan/duration';
import { Finish } from '../exits';
import { call, DEFAULT_OPTIONS } from '../proxies';
import type { ReleaseState } from '../release-state';
import { describeFailures, failedChecks, runChecks } from '../steps';

/** Ends the release before production changes when any check failed. */
function finishOnFailures(failed: CheckResult[], what: string): void {
  if (failed.length)
    throw new Finish({ kind: 'preflight', failed: failed.map((f) => f.name) }, `${what}: ${describeFailures(failed)}`);
}

/**
 * Which namespace is production: after a success, the other one of the pair. (Plans from before
 * `alternate` existed lack the field, so their histories replay without this call.)
 */
export async function chooseSides(r: ReleaseState): Promise<void> {
  if (!r.plan.environments.alternate) return;
  const found = await call(DEFAULT_OPTIONS, 'find the live environment', 'findLiveEnvironment', {
    route: r.plan.traffic,
    namespaces: [r.blue, r.green],
  });
  const sides = sidesFor(r.plan.environments, found.live);
  [r.blue, r.green] = [sides.blue, sides.green];
  r.event(`${found.detail}: blue ${r.blue}, green ${r.green}${sides.swapped ? " (the plan's names swapped)" : ''}`);
  r.updateUi();
}

/** Every check of the plan; nothing changes in production unless all pass. Returns when they ran. */
export async function preflight(r: ReleaseState): Promise<number> {
  const results = await runChecks(r);
  const checkedAtMs = Date.now();
  finishOnFailures(failedChecks(results), 'preflight failed');
  r.event(`preflight passed (${results.length} checks)`);
  return checkedAtMs;
}

/** Stale infrastructure checks run again before anything in production changes. */
export async function recheckAfterApproval(r: ReleaseState, checkedAtMs: number): Promise<void> {
  const { plan } = r;
  if (Date.now() - checkedAtMs > plan.preflight.freshnessMs) {
    r.enter(
      'preflight-recheck',
      `approval came ${formatDuration(Date.now() - checkedAtMs)} after preflight; re-running infrastructure checks`,
    );
    finishOnFailures(
      failedChecks(await runChecks(r, (c) => c.group === 'infrastructure')),
      'infrastructure re-check failed',
    );
  } else if (patched('baseline-after-approval') && plan.preflight.checks.some((c) => c.kind === 'release-baseline')) {
    // However fresh the other checks are, what may have moved while people decided (another release
    // of the app deploying into the same green, a manual switch) is looked at again before green.
    finishOnFailures(
      failedChecks(await runChecks(r, (c) => c.kind === 'release-baseline')),
      'release baseline changed while waiting for approval',
    );
    r.event('release baseline re-checked after approval');
  }
}

/**
 * Blue is the namespace of the plan's pair that carries production (`live`), green the other. When
 * nothing carries all traffic (a release in flight, maintenance, no route) the plan's order stands and
 * the release-baseline check says what is wrong.
 */
export function sidesFor(
  pair: { blue: string; green: string },
  live: string | undefined,
): { blue: string; green: string; swapped: boolean } {
  return live === pair.green
    ? { blue: pair.green, green: pair.blue, swapped: true }
    : { blue: pair.blue, green: pair.green, swapped: false };
}
