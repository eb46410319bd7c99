// A signed control is good once, at the stage and step it was signed for (control v2, nonce), and not
// dated ahead; an approval signs the last known good tag the emergency path would deploy (approval v3).
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ed25519 } from '@noble/curves/ed25519';
import { approvalStatement, controlStatement } from '../../src/client/statements';
import {
  approveUpdate,
  auditQuery,
  pauseUpdate,
  promoteUpdate,
  resumeUpdate,
  statusQuery,
  type ControlRequest,
  type ReleaseStatus,
} from '../../src/workflows/definitions';
import type { ReleasePlan } from '../../src/plan/types';
import { publicKeyOf, signControlStatement, signStatement, type ControlAction } from '../../src/workflows/signatures';
import { ROLES, useWorkflowEnv } from './env';
import { MIN, withRelease, type Handle } from './harness';

jest.setTimeout(120_000);
const t = useWorkflowEnv();

const keys = Object.fromEntries([...ROLES, 'oncall'].map((id) => [id, ed25519.utils.randomPrivateKey()]));

/** Signatures required, every person with a key; short windows so a statement is still fresh minutes later. */
const signedPlan = (plan: ReleasePlan) => {
  plan.approval.allowUnsigned = false;
  plan.approval.requireSignatures = true;
  for (const a of plan.approval.approvers) a.publicKey = publicKeyOf(keys[a.id]);
  plan.approval.operators = [{ id: 'oncall', publicKey: publicKeyOf(keys.oncall) }];
  plan.canary.steps = plan.canary.steps.map((s) => ({ ...s, watchMs: 3 * MIN }));
  plan.fullSwitch.watchMs = 3 * MIN;
};

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof WorkflowUpdateFailedError ? (e.cause as Error).message : `unexpected: ${String(e)}`),
  );

/** Signs what the release's status asks for, as the CLI does; `aheadMs` dates it ahead of the workflow's clock. */
async function signedControl(handle: Handle, action: ControlAction, reason: string, aheadMs = 0) {
  const { firstExecutionRunId: runId, workflowId } = handle;
  const signedAt = new Date((await t.env.currentTimeMs()) + aheadMs).toISOString();
  const statement = controlStatement(
    { workflowId, runId, action, by: 'oncall', reason, signedAt },
    await handle.query(statusQuery),
  )!;
  const req: ControlRequest = {
    by: 'oncall',
    reason,
    signedAt,
    signature: signControlStatement(statement, keys.oncall),
  };
  if ('nonce' in statement) req.nonce = statement.nonce;
  return req;
}

async function approveSigned(handle: Handle, status: ReleaseStatus) {
  const signedAt = new Date(await t.env.currentTimeMs()).toISOString();
  for (const role of ROLES) {
    const base = {
      workflowId: handle.workflowId,
      runId: handle.firstExecutionRunId,
      decision: 'approve' as const,
      role,
      approverId: role,
      signedAt,
    };
    const signature = signStatement(approvalStatement(base, status), keys[role]);
    await handle.executeUpdate(approveUpdate, {
      args: [{ approverId: role, role, decision: 'approve', signedAt, signature }],
    });
  }
}

const STALE = 'nonce already used or stale';

test('a promote signed in canary step 1 is refused in step 2; one accepted in step 2 is refused when replayed in retention', async () => {
  await withRelease(t.env, t.bundle, { approve: false, plan: signedPlan }, async ({ handle, waitFor }) => {
    await approveSigned(handle, await waitFor((s) => s.stage === 'awaiting-approval'));
    await waitFor((s) => s.stage === 'canary' && s.step === 1 && s.window !== undefined);
    const fromStep1 = await signedControl(handle, 'promote', 'ship it');
    await waitFor((s) => s.step === 2 && s.window !== undefined);
    expect(await refusal(handle.executeUpdate(promoteUpdate, { args: [fromStep1] }))).toContain(STALE);
    const fromStep2 = await signedControl(handle, 'promote', 'ship it');
    expect(await refusal(handle.executeUpdate(promoteUpdate, { args: [fromStep2] }))).toBe('accepted');
    // Promoted: retention within minutes, while the step 2 statement is still fresh. Replayed, it would retire blue.
    await waitFor((s) => s.stage === 'retention');
    expect(await refusal(handle.executeUpdate(promoteUpdate, { args: [fromStep2] }))).toContain(STALE);
    const audit = (await handle.query(auditQuery)).filter((e) => e.action === 'promote');
    expect(audit.map((e) => [e.accepted, e.detail.startsWith(STALE)])).toEqual([
      [false, true],
      [true, false],
      [false, true],
    ]);
    const now = await handle.query(statusQuery);
    expect(now.stage).toBe('retention');
    expect(now.nonce).toMatch(/^[0-9a-f-]{36}$/);
    expect([fromStep1.nonce, fromStep2.nonce]).not.toContain(now.nonce);
  });
}, 180_000);

test('the same signed pause sent twice is accepted once', async () => {
  await withRelease(t.env, t.bundle, { approve: false, plan: signedPlan }, async ({ handle, waitFor }) => {
    await approveSigned(handle, await waitFor((s) => s.stage === 'awaiting-approval'));
    await waitFor((s) => s.stage === 'canary' && s.window !== undefined);
    const pause = await signedControl(handle, 'pause', 'checking a report');
    expect(await refusal(handle.executeUpdate(pauseUpdate, { args: [pause] }))).toBe('accepted');
    const resume = await signedControl(handle, 'resume', 'report checked');
    expect(await refusal(handle.executeUpdate(resumeUpdate, { args: [resume] }))).toBe('accepted');
    expect(await refusal(handle.executeUpdate(pauseUpdate, { args: [pause] }))).toContain(STALE);
    expect((await handle.query(statusQuery)).paused).toBe(false);
  });
}, 180_000);

test('a signed control dated 2 minutes ahead of the workflow is refused; 30 seconds ahead is accepted', async () => {
  await withRelease(t.env, t.bundle, { approve: false, plan: signedPlan }, async ({ handle, waitFor }) => {
    await approveSigned(handle, await waitFor((s) => s.stage === 'awaiting-approval'));
    await waitFor((s) => s.stage === 'canary' && s.window !== undefined);
    const ahead = await signedControl(handle, 'pause', 'dated ahead', 2 * MIN);
    expect(await refusal(handle.executeUpdate(pauseUpdate, { args: [ahead] }))).toBe(
      `the signature is dated ${ahead.signedAt}, more than 60 seconds ahead of the workflow's time`,
    );
    const soon = await signedControl(handle, 'pause', 'clock a little ahead', 30_000);
    expect(await refusal(handle.executeUpdate(pauseUpdate, { args: [soon] }))).toBe('accepted');
  });
}, 180_000);

test('the nonce survives continue-as-new: a pause signed just before the new run is accepted by it', async () => {
  const plan = (p: ReleasePlan) => {
    p.approval.operators = [{ id: 'oncall', publicKey: publicKeyOf(keys.oncall) }];
  };
  await withRelease(t.env, t.bundle, { plan }, async ({ handle, waitFor }) => {
    await waitFor((s) => s.stage === 'canary');
    let before: { status: ReleaseStatus; pause: ControlRequest } | undefined;
    // The default release continues as new mid-canary (bounded history); sign each minute until it has.
    while ((await handle.describe()).runId === handle.firstExecutionRunId) {
      before = { status: await handle.query(statusQuery), pause: await signedControl(handle, 'pause', 'look') };
      await t.env.sleep(MIN);
    }
    const after = await handle.query(statusQuery);
    expect([after.stage, after.step]).toEqual([before!.status.stage, before!.status.step]);
    expect(after.nonce).toBe(before!.status.nonce);
    expect(await refusal(handle.executeUpdate(pauseUpdate, { args: [before!.pause] }))).toBe('accepted');
  });
}, 180_000);

test('an approval signed over another last known good tag, or over none, is refused', async () => {
  await withRelease(t.env, t.bundle, { approve: false, plan: signedPlan }, async ({ handle, waitFor }) => {
    const status = await waitFor((s) => s.stage === 'awaiting-approval');
    expect(status).toMatchObject({ lastKnownGoodTag: '1200-0ld600d', approvalStatement: 3 });
    const signedAt = new Date(await t.env.currentTimeMs()).toISOString();
    const base = {
      workflowId: handle.workflowId,
      runId: handle.firstExecutionRunId,
      decision: 'approve' as const,
      role: 'tech-lead',
      approverId: 'tech-lead',
      signedAt,
    };
    const approve = (s: ReleaseStatus) =>
      refusal(
        handle.executeUpdate(approveUpdate, {
          args: [
            {
              approverId: 'tech-lead',
              role: 'tech-lead',
              decision: 'approve',
              signedAt,
              signature: signStatement(approvalStatement(base, s), keys['tech-lead']),
            },
          ],
        }),
      );
    expect(await approve({ ...status, lastKnownGoodTag: '1199-0ther00' })).toMatch(
      /^the signature does not verify for "tech-lead" on this release \(2\.4\.0, 1234-abc1234, last known good 1200-0ld600d,/,
    );
    expect(await approve({ ...status, approvalStatement: undefined })).toMatch(/does not verify/);
    expect(await approve(status)).toBe('accepted');
  });
});
