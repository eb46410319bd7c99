// A plan may tighten the platform's policy, never loosen it. Each problem names the policy rule it breaks, so the
// person who wrote the plan sees what to change and the platform team sees what was tried. Pure: the workflow runs
// it on the policy the worker read, the CLI before a start.
import { formatDuration } from '../plan/duration';
import type { ReleasePlan } from '../plan/types';
import { maxPauseMs } from '../workflows/analysis';
import { loosenedErrorBudget } from './error-budget';
import type { EnvironmentPolicy, PlatformPolicy } from './schema';
import { minutesOf, type WeeklyWindow, type WindowRules } from './windows';

/** The environment whose namespace pair is the plan's (in either order). */
export function environmentFor(policy: PlatformPolicy, plan: ReleasePlan): EnvironmentPolicy | undefined {
  const pair = [plan.environments.blue, plan.environments.green].sort().join(' ');
  return policy.environments.find((e) => [...e.namespaces].sort().join(' ') === pair);
}

const at = (rule: string, text: string) => `policy rule ${rule}: ${text}`;
const d = formatDuration;

/** Every rule of the environment's policy the plan loosens; empty when the plan is at least as strict. */
export function loosenedRules(plan: ReleasePlan, env: EnvironmentPolicy): string[] {
  const problems: string[] = [];
  const { approval } = plan;
  const pol = env.approval;
  for (const role of pol.requiredRoles)
    if (!approval.requiredRoles.includes(role))
      problems.push(at('approval.requiredRoles', `the plan drops the required role ${role}`));
  if (approval.allowUnsigned || !approval.requireSignatures)
    problems.push(at('approval.signatures', 'decisions and controls are always signed; the plan allows unsigned'));
  for (const a of approval.approvers) {
    const listed = pol.approvers.find((p) => p.id === a.id);
    if (!listed) problems.push(at('approval.approvers', `"${a.id}" is not an approver of ${env.name}`));
    else if (listed.role !== a.role)
      problems.push(at('approval.approvers', `"${a.id}" approves as ${listed.role} in ${env.name}, not ${a.role}`));
    else if (!a.publicKey)
      problems.push(
        at('approval.approvers', `the plan gives "${a.id}" no key; the platform's key for them is required`),
      );
    else if (a.publicKey !== listed.publicKey)
      problems.push(at('approval.approvers', `the key the plan gives "${a.id}" is not the platform's key for them`));
  }
  const keyed = [...pol.approvers, ...pol.operators];
  for (const o of approval.operators ?? []) {
    const listed = keyed.find((p) => p.id === o.id);
    if (!listed) problems.push(at('approval.operators', `"${o.id}" is not an operator or approver of ${env.name}`));
    else if (listed.publicKey !== o.publicKey)
      problems.push(at('approval.operators', `the key the plan gives "${o.id}" is not the platform's key for them`));
  }
  if (approval.timeoutMs > pol.maxTimeout)
    problems.push(at('approval.maxTimeout', `the plan waits ${d(approval.timeoutMs)} (at most ${d(pol.maxTimeout)})`));
  const kinds = new Set(plan.preflight.checks.map((c) => c.kind));
  for (const kind of env.checks)
    if (!kinds.has(kind as never)) problems.push(at('checks', `the plan has no ${kind} check`));
  const { canary } = plan;
  if (canary.steps.length < env.canary.minSteps)
    problems.push(at('canary.minSteps', `the plan has ${canary.steps.length} steps (at least ${env.canary.minSteps})`));
  if ((canary.steps[0]?.weight ?? 100) > env.canary.maxFirstWeight)
    problems.push(
      at(
        'canary.maxFirstWeight',
        `the first step sends ${canary.steps[0]?.weight}% (at most ${env.canary.maxFirstWeight}%)`,
      ),
    );
  canary.steps.forEach((s, i) => {
    if (s.watchMs < env.canary.minWatch)
      problems.push(
        at('canary.minWatch', `step ${i + 1} watches ${d(s.watchMs)} (at least ${d(env.canary.minWatch)})`),
      );
  });
  if (canary.analysisIntervalMs > env.canary.maxAnalysisInterval)
    problems.push(
      at(
        'canary.maxAnalysisInterval',
        `the plan analyses every ${d(canary.analysisIntervalMs)} (at most every ${d(env.canary.maxAnalysisInterval)})`,
      ),
    );
  // A plan without maxPause pauses for the default at most.
  const maxPause = maxPauseMs(plan);
  if (maxPause > env.canary.maxPause)
    problems.push(
      at('canary.maxPause', `the plan lets a pause last ${d(maxPause)} (at most ${d(env.canary.maxPause)})`),
    );
  if (plan.fullSwitch.watchMs < env.fullSwitch.minWatch)
    problems.push(
      at(
        'fullSwitch.minWatch',
        `the plan watches ${d(plan.fullSwitch.watchMs)} (at least ${d(env.fullSwitch.minWatch)})`,
      ),
    );
  if (plan.retention.blueKeepMs < env.retention.minBlueKeep)
    problems.push(
      at(
        'retention.minBlueKeep',
        `the plan keeps blue ${d(plan.retention.blueKeepMs)} (at least ${d(env.retention.minBlueKeep)})`,
      ),
    );
  problems.push(...loosenedWindows(plan, env));
  problems.push(...loosenedErrorBudget(plan, env));
  return problems;
}

/**
 * A plan's windows may only narrow the policy's: same zone, each inside one of the policy's (its hours and its
 * maxWeight), hold only if it holds.
 */
function loosenedWindows(plan: ReleasePlan, env: EnvironmentPolicy): string[] {
  const mine = plan.windows;
  const theirs = env.windows;
  if (!mine || !theirs) return [];
  if (mine.timeZone !== theirs.timeZone)
    return [at('windows.timeZone', `the plan's windows are in ${mine.timeZone}, the policy's in ${theirs.timeZone}`)];
  const problems: string[] = [];
  if (mine.onClose === 'hold' && theirs.onClose === 'rollback')
    problems.push(at('windows.onClose', 'the policy rolls back when a window closes; the plan would hold'));
  const inside = (w: WeeklyWindow, p: WeeklyWindow) =>
    w.days.every((d) => p.days.includes(d)) &&
    minutesOf(w.start) >= minutesOf(p.start) &&
    minutesOf(w.end) <= minutesOf(p.end) &&
    (w.maxWeight ?? 100) <= (p.maxWeight ?? 100);
  for (const w of mine.weekly)
    if (!theirs.weekly.some((p) => inside(w, p)))
      problems.push(
        at(
          'windows.weekly',
          `the plan's window ${w.name} is not inside one of the policy's windows (days, hours, maxWeight)`,
        ),
      );
  return problems;
}

/** Why a plan may not run under the policy: no environment covers it, or it loosens a rule. */
export function policyProblems(policy: PlatformPolicy, plan: ReleasePlan): string[] {
  const env = environmentFor(policy, plan);
  if (!env)
    return [
      `policy: no environment of the platform policy covers namespaces ${plan.environments.blue} and ${plan.environments.green}`,
    ];
  return loosenedRules(plan, env);
}

/** The windows (the plan's, checked narrower above, or the policy's) and freezes a release waits for. */
export function windowRulesFor(policy: PlatformPolicy, plan: ReleasePlan): WindowRules | undefined {
  const env = environmentFor(policy, plan);
  if (!env || (!env.windows && !plan.windows && env.freezes.length === 0)) return undefined;
  const windows = plan.windows ?? env.windows;
  return { ...(windows ? { windows } : {}), freezes: env.freezes };
}
