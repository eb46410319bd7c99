// A release under the seed's platform policy in skipped time: the policy reading the fake world answers, and the
// three approvals each signed by the platform's approver for the role.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PolicyReading } from '../../src/activities/policy';
import { approvalStatement } from '../../src/client/statements';
import { parsePolicy } from '../../src/policy/schema';
import { approveUpdate, statusQuery, type ReleaseStatus } from '../../src/workflows/definitions';
import { signStatement } from '../../src/workflows/signatures';
import { platformPeople, seedPolicy } from '../unit/policy-fixture';
import type { Handle } from './harness';

export type People = ReturnType<typeof platformPeople>;

/** The seed policy with `env`'s fields over its one environment, as the worker would hand it over. */
export function policyReading(keys: People['keys'], env: Record<string, unknown>): PolicyReading {
  const doc = seedPolicy(keys);
  Object.assign(doc.environments[0], env);
  const { policy, problems } = parsePolicy(doc);
  if (!policy) throw new Error(problems.join('; '));
  return { source: 'configmap hwayo-release/hwayo-release-policy', policy, problems: [] };
}

/** The three approvals, each signed by the platform's approver for the role. */
export async function approveSigned(
  env: TestWorkflowEnvironment,
  secrets: People['secrets'],
  handle: Handle,
  waitFor: (p: (s: ReleaseStatus) => boolean) => Promise<ReleaseStatus>,
): Promise<void> {
  await waitFor((s) => s.stage === 'awaiting-approval');
  const { runId } = await handle.describe();
  const people = [
    ['alice', 'tech-lead'],
    ['bob', 'product-manager'],
    ['carol', 'qa-lead'],
  ] as const;
  for (const [id, role] of people) {
    const status = await handle.query(statusQuery);
    const signedAt = new Date(await env.currentTimeMs()).toISOString();
    const base = { workflowId: handle.workflowId, runId, decision: 'approve' as const, role, approverId: id, signedAt };
    const signature = signStatement(approvalStatement(base, status), secrets[id]);
    await handle.executeUpdate(approveUpdate, {
      args: [{ approverId: id, role, decision: 'approve', signedAt, signature }],
    });
  }
}
