// The platform's environment policy, read before anything else: what the platform team requires of every release
// into the plan's namespaces (approvers and their keys, checks, the least canary, the shortest retention). The plan
// may only tighten it; a plan that loosens a rule ends the release as invalid input, having touched nothing.
import { patched } from '@temporalio/workflow';
import type { PolicyReading } from '../../activities/policy';
import { parsePolicy, type PolicyRecord } from '../../policy/schema';
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
  if (reading.source === 'none' && !reading.policy) return { record: { source: 'none' }, problems: [] };
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
  const rollbackOnAlerts = environmentFor(policy, input.plan)?.rollbackOnAlerts;
  return {
    record,
    problems: policyProblems(policy, input.plan),
    windowRules: windowRulesFor(policy, input.plan),
    ...(rollbackOnAlerts ? { rollbackOnAlerts: [...rollbackOnAlerts] } : {}),
  };
}
