// The three approvals of a release under the platform policy, each signed by the platform's approver for the role.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { approvalStatement } from '../../src/client/statements';
import { approveUpdate, statusQuery, type ReleaseStatus } from '../../src/workflows/definitions';
import { signStatement } from '../../src/workflows/signatures';
import type { Handle } from './harness';

export async function approveSigned(
  env: TestWorkflowEnvironment,
  handle: Handle,
  waitFor: (p: (s: ReleaseStatus) => boolean) => Promise<ReleaseStatus>,
  secrets: Record<'alice' | 'bob' | 'carol', Uint8Array>,
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
