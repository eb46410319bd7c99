// A plan's own freezes (patch plan-freezes). A plan may only tighten the platform policy, so its freezes are
// added to the policy's, never in place of them, and hold traffic exactly as the policy's do (gate.ts). Pure.
import type { ReleasePlan } from '../plan/types';
import type { WindowRules } from './windows';

/** The rules a release waits for: the policy's (windows and freezes, if any) plus the plan's freezes. */
export function withPlanFreezes(rules: WindowRules | undefined, plan: ReleasePlan): WindowRules | undefined {
  if (!plan.freezes?.length) return rules;
  return { ...rules, freezes: [...(rules?.freezes ?? []), ...plan.freezes] };
}
