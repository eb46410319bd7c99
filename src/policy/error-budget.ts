// The policy's floor for the error-budget check: a plan may raise the target or lengthen the window, never lower
// either, and with a floor named it must carry the check. Pure, like tighten.ts that calls it.
import { formatDuration } from '../plan/duration';
import { DEFAULT_TARGET_PERCENT, DEFAULT_WINDOW_MS } from '../plan/error-budget';
import type { ReleasePlan } from '../plan/types';
import type { EnvironmentPolicy } from './schema';

export function loosenedErrorBudget(plan: ReleasePlan, env: EnvironmentPolicy): string[] {
  const floor = env.errorBudget;
  if (!floor) return [];
  const rule = (text: string) => `policy rule errorBudget: ${text}`;
  const checks = plan.preflight.checks.flatMap((c) => (c.kind === 'error-budget' ? [c] : []));
  if (checks.length === 0)
    return [
      rule(`the plan has no error-budget check (at least ${floor.minTarget}% over ${formatDuration(floor.minWindow)})`),
    ];
  return checks.flatMap((c) => {
    const target = c.target ?? DEFAULT_TARGET_PERCENT;
    const windowMs = c.window ?? DEFAULT_WINDOW_MS;
    return [
      ...(target < floor.minTarget ? [rule(`${c.name} targets ${target}% (at least ${floor.minTarget}%)`)] : []),
      ...(windowMs < floor.minWindow
        ? [rule(`${c.name} reads ${formatDuration(windowMs)} (at least ${formatDuration(floor.minWindow)})`)]
        : []),
    ];
  });
}
