// The platform's environment policy, read before anything else: what the platform team requires of every release
// into the plan's namespaces (approvers and their keys, checks, the least canary, the shortest retention). The plan
// may only tighten it; a plan that loosens a rule ends the release as invalid input, having touched nothing.
import { patched } from '@temporalio/workflow';
import type { PolicyReading } from '../../activities/policy';
import { parsePolicy, type PlatformPolicy, type PolicyRecord } from '../../policy/schema';
import { incidentsDecision } from '../../policy/incidents';
import { withPlanFreezes } from '../../policy/plan-freezes';
import { environmentFor, policyProblems, windowRulesFor } from '../../policy/tighten';
import type { WindowRules } from '../../policy/windows';
import type { ReleaseInput } from '../definitions';
import { errorText } from '../exits';
import { call, DEFAULT_OPTIONS } from '../proxies';
import { planDigest } from '../signatures';

export interface PolicyVerdict {
  /** What the release records; undefined for releases from before the policy (no patch marker). */
  record?: PolicyRecord;
  /** Why the release may not run; empty when it may. */
  problems: string[];
  /** The windows and freezes its traffic increases wait for (absent: none). */
  windowRules?: WindowRules;
  /** The document itself (a multi-cluster release reads its clusters and checks each cluster's plan). */
  policy?: PlatformPolicy;
  /** False when the policy leaves incidents off and the input did not turn them on (patch incidents-policy). */
  incidents?: false;
  /** The alerts that roll a live canary back (absent: none). */
  rollbackOnAlerts?: string[];
}

/** Reads the policy (one activity) and checks the plan against it; never throws. */
export async function platformPolicy(input: ReleaseInput): Promise<PolicyVerdict> {
  if (!patched('platform-policy')) return { problems: [] };
  let reading: PolicyReading;
  try {
    reading = await call(DEFAULT_OPTIONS, 'read the platform policy', 'readPlatformPolicy');
  } catch (err) {
    return { problems: [`the platform policy could not be read: ${errorText(err)}`] };
  }
  if (reading.source === 'none' && !reading.policy)
    return { record: { source: 'none' }, problems: [], windowRules: planFreezes(undefined, input) };
  if (!reading.policy)
    return { problems: reading.problems.length ? reading.problems : [`no platform policy at ${reading.source}`] };
  // The worker parsed it already; parsed again here, as the workflow trusts nothing it is handed.
  const { policy, problems } = parsePolicy(reading.policy);
  if (!policy) return { problems: problems.map((p) => `the platform policy ${reading.source}: ${p}`) };
  const record: PolicyRecord = {
    source: reading.source,
    digest: planDigest(policy),
    environment: environmentFor(policy, input.plan)?.name,
  };
  const windowRules = planFreezes(windowRulesFor(policy, input.plan), input);
  const loosened = policyProblems(policy, input.plan);
  const rollbackOnAlerts = environmentFor(policy, input.plan)?.rollbackOnAlerts;
  const common = {
    record,
    windowRules,
    policy,
    ...(rollbackOnAlerts ? { rollbackOnAlerts: [...rollbackOnAlerts] } : {}),
  };
  // The marker is written only where the policy changes what the input alone would have decided.
  const incidents = incidentsDecision(environmentFor(policy, input.plan), input.incidents);
  if (!incidents.changed || !patched('incidents-policy')) return { ...common, problems: loosened };
  if (incidents.problem) loosened.push(incidents.problem);
  return { ...common, problems: loosened, ...(incidents.opens ? {} : { incidents: false as const }) };
}

/** The plan's freezes join the policy's; the marker is only written for plans that have some. */
function planFreezes(rules: WindowRules | undefined, input: ReleaseInput): WindowRules | undefined {
  return input.plan.freezes?.length && patched('plan-freezes') ? withPlanFreezes(rules, input.plan) : rules;
}
