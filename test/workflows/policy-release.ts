// A release under the seed's platform policy in skipped time: the policy reading the fake world answers, and the
// three approvals each signed by the platform's approver for the role.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PolicyReading } from '../../src/activities/policy';
import { parsePolicy } from '../../src/policy/schema';
import type { ReleaseStatus } from '../../src/workflows/definitions';
import { platformPeople, seedPolicy } from '../unit/policy-fixture';
import type { Handle } from './harness';
import { approveSigned as approveSignedBy } from './signed-approvals';

export type People = ReturnType<typeof platformPeople>;

/** The seed policy with `env`'s fields over its one environment, as the worker would hand it over. */
export function policyReading(keys: People['keys'], env: Record<string, unknown>): PolicyReading {
  const doc = seedPolicy(keys);
  Object.assign(doc.environments[0], env);
  const { policy, problems } = parsePolicy(doc);
  if (!policy) throw new Error(problems.join('; '));
  return { source: 'configmap hwayo-release/hwayo-release-policy', policy, problems: [] };
}

/** The three approvals, each signed by the platform's approver for the role (signed-approvals.ts). */
export const approveSigned = (
  env: TestWorkflowEnvironment,
  secrets: People['secrets'],
  handle: Handle,
  waitFor: (p: (s: ReleaseStatus) => boolean) => Promise<ReleaseStatus>,
): Promise<void> => approveSignedBy(env, handle, waitFor, secrets);
