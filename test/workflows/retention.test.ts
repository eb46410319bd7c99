// A rollback within the retention window moves every user to a blue kept at one replica.
// It needs a listed operator's or approver's signature when the plan requires signatures, blue takes
// traffic only once it is scaled back and ready, and after a failed emergency green is kept.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ed25519 } from '@noble/curves/ed25519';
import { approveUpdate, auditQuery, rollbackUpdate, statusQuery } from '../../src/workflows/definitions';
import { approvalStatement, controlStatement } from '../../src/client/statements';
import { publicKeyOf, signControlStatement, signStatement } from '../../src/workflows/signatures';
import { ROLES, useWorkflowEnv } from './env';
import type { Scripts } from './fake-world';
import { withRelease } from './harness';

jest.setTimeout(60_000);
const t = useWorkflowEnv();

const BLUE = 'hwayo-production';
const GREEN = 'hwayo-production-green';
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof WorkflowUpdateFailedError ? (e.cause as Error).message : `unexpected: ${String(e)}`),
  );
const rollback = { by: 'oncall', reason: 'business: data problem found by support' };
/** What the release did, without the periodic looks and the messages. */
const QUIET = ['queryMetrics', 'checkServiceHealth', 'runCheck', 'postSlack', 'storeReport', 'sendPage', 'sendEmail'];

test('with signatures required, an unsigned rollback in retention is refused and audited; a signed one rolls back', async () => {
  const keys = Object.fromEntries([...ROLES, 'oncall'].map((id) => [id, ed25519.utils.randomPrivateKey()]));
  const plan = (p: Parameters<NonNullable<Parameters<typeof withRelease>[2]['plan']>>[0]) => {
    p.approval.allowUnsigned = false;
    p.approval.requireSignatures = true;
    for (const a of p.approval.approvers) a.publicKey = publicKeyOf(keys[a.id]);
    p.approval.operators = [{ id: 'oncall', publicKey: publicKeyOf(keys.oncall) }];
  };
  await withRelease(t.env, t.bundle, { approve: false, plan }, async ({ handle, waitFor }) => {
    const waiting = await waitFor((s) => s.stage === 'awaiting-approval');
    const workflowId = handle.workflowId;
    const runId = handle.firstExecutionRunId;
    const now = async () => new Date(await t.env.currentTimeMs()).toISOString();
    for (const role of ROLES) {
      const signedAt = await now();
      const statement = { workflowId, runId, decision: 'approve' as const, role, approverId: role, signedAt };
      const signature = signStatement(approvalStatement(statement, waiting), keys[role]);
      await handle.executeUpdate(approveUpdate, {
        args: [{ approverId: role, role, decision: 'approve', signedAt, signature }],
      });
    }
    await waitFor((s) => s.stage === 'retention');
    expect(await refusal(handle.executeUpdate(rollbackUpdate, { args: [{ by: 'mallory', reason: 'x' }] }))).toBe(
      "rollback during retention raises the release's risk: it needs a statement signed by an operator or approver listed in the plan (use --key)",
    );
    const signedAt = await now();
    // What the release asks a control to name now (its stage, step and nonce).
    const kept = await handle.query(statusQuery);
    const statement = controlStatement({ workflowId, runId, action: 'rollback', ...rollback, signedAt }, kept)!;
    const signature = signControlStatement(statement, keys.oncall);
    const nonce = 'nonce' in statement ? statement.nonce : undefined;
    expect(
      await refusal(handle.executeUpdate(rollbackUpdate, { args: [{ ...rollback, signedAt, signature, nonce }] })),
    ).toBe('accepted');
    const result = await handle.result();
    expect(result.outcome).toBe('rolled-back-after-success');
    const audit = (await handle.query(auditQuery)).filter((e) => e.action === 'rollback');
    expect(audit.map((e) => [e.by, e.accepted, e.signed])).toEqual([
      ['mallory', false, false],
      ['oncall', true, true],
    ]);
  });
});

/** A release rolled back within retention by oncall; blue goes bad (`scripts`) once the window is open. */
async function rolledBackInRetention(scripts: (retained: () => boolean) => Scripts) {
  let retained = false;
  return withRelease(t.env, t.bundle, { scripts: scripts(() => retained) }, async ({ world, handle, waitFor }) => {
    await waitFor((s) => s.stage === 'retention');
    retained = true;
    await handle.executeUpdate(rollbackUpdate, { args: [rollback] });
    return { world, result: await handle.result() };
  });
}

// The order with a blue that gets ready (scale, wait ready, switch, verify, delete green) is checked by
// control.test.ts, "a rollback request inside the 24 h window brings blue back".
test('a blue that never gets ready in a retention rollback takes no traffic: users stay on green', async () => {
  const { world, result } = await rolledBackInRetention((retained) => ({
    rolloutReady: (ns) => !(retained() && ns === BLUE),
  }));
  expect(result.outcome).toBe('failed');
  expect(result.reason).toContain(`blue not ready: api-gateway 0/2 ready`);
  expect(result.reason).toContain(`users stay on ${GREEN}, ${BLUE} and ${GREEN} are kept`);
  expect(world.sequence(QUIET).slice(-2)).toEqual(['scaleDeployments', 'waitForRollout']);
  expect(world.weights().at(-1)).toBe(100);
  expect(world.named('deleteNamespace')).toEqual([]);
});

test('after a failed emergency in a retention rollback green is kept, and the report says so', async () => {
  const { world, result } = await rolledBackInRetention((retained) => ({
    serviceHealth: ({ namespace }) => !(retained() && namespace === BLUE),
  }));
  expect(result.outcome).toBe('emergency-failed');
  expect(world.named('deleteNamespace')).toEqual([]);
  const kept = `${GREEN} kept (not deleted): the emergency did not restore blue, so it may be the only thing still serving`;
  expect(result.reason).toContain(kept);
  expect(result.report.timeline.map((e) => e.event)).toContain(kept);
});
