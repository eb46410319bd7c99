import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { releaseWorkflow } from '../../src/workflows';
import {
  abortUpdate,
  approveSignal,
  approveUpdate,
  auditQuery,
  pauseUpdate,
  promoteUpdate,
  rejectUpdate,
  resumeUpdate,
  rollbackUpdate,
  statusQuery,
} from '../../src/workflows/definitions';
import { approvalStatement, controlStatement } from '../../src/client/statements';
import { publicKeyOf, signControlStatement, signStatement } from '../../src/workflows/signatures';
import { ed25519 } from '@noble/curves/ed25519';
import { viewRelease } from '../../src/client/release';
import { defaultPlan } from '../../src/plan/load';
import { useWorkflowEnv, createWorker, ROLES, uniqueId, waitForStatus } from './env';
import { FakeWorld } from './fake-world';
import { HOUR, MIN, withRelease } from './harness';

jest.setTimeout(60_000);
const t = useWorkflowEnv();

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof WorkflowUpdateFailedError ? (e.cause as Error).message : `unexpected: ${String(e)}`),
  );

test('pause freezes the watch window: a 10 minute pause at 5% makes that step last 25 minutes', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ handle, waitFor }) => {
    await waitFor((s) => s.greenWeight === 5 && s.window !== undefined);
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'alice', reason: 'checking a customer report' }] });
    expect(await refusal(handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob' }] }))).toBe('already paused by alice');
    const paused = await handle.query(statusQuery);
    expect(paused.paused).toBe(true);
    expect(paused.pendingDecision?.kind).toBe('paused');
    await t.env.sleep(10 * MIN);
    const later = await handle.query(statusQuery);
    expect(later.window!.remainingMs).toBe(paused.window!.remainingMs);
    await handle.executeUpdate(resumeUpdate, { args: [{ by: 'alice' }] });
    const result = await handle.result();
    expect(result.outcome).toBe('succeeded');
    expect(result.weights).toEqual([5, 25, 50, 100]);
    const first = result.report.steps[0];
    expect(first.plannedMs).toBe(15 * MIN);
    expect(first.pausedMs).toBeGreaterThanOrEqual(10 * MIN);
    expect(first.elapsedMs - first.pausedMs).toBeGreaterThanOrEqual(15 * MIN);
    expect(first.elapsedMs - first.pausedMs).toBeLessThan(15 * MIN + 5_000);
    expect(result.report.steps.slice(1).map((s) => s.pausedMs)).toEqual([0, 0, 0]);
  });
});

test('metrics that stay inconclusive pause the release for a human, who resumes it', async () => {
  let broken = true;
  await withRelease(
    t.env,
    t.bundle,
    {
      // Longer than the hour this test waits: the pause must still be there for the person to resume.
      plan: (plan) => {
        plan.canary.maxPauseMs = 2 * HOUR;
      },
      scripts: { canary: (ctx) => (ctx.weight === 25 && broken ? { error_rate: 'empty', p95_latency: 'nan' } : {}) },
    },
    async ({ handle, waitFor }) => {
      const s = await waitFor((x) => x.pendingDecision?.kind === 'inconclusive-metrics');
      expect(s.paused).toBe(true);
      expect(s.greenWeight).toBe(25);
      expect(s.pendingDecision!.detail).toContain('error_rate: empty-result');
      expect(s.pendingDecision!.detail).toContain('p95_latency: not-a-number');
      expect(s.lastAnalysis?.verdict).toBe('inconclusive');
      broken = false;
      await t.env.sleep(HOUR);
      expect((await handle.query(statusQuery)).greenWeight).toBe(25);
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'oncall', reason: 'prometheus restarted' }] });
      const result = await handle.result();
      expect(result.outcome).toBe('succeeded');
      expect(result.weights).toEqual([5, 25, 50, 100]);
      const step25 = result.report.steps[1];
      expect(step25.pausedMs).toBeGreaterThanOrEqual(HOUR);
      expect(result.report.analyses.filter((a) => a.verdict === 'inconclusive')).toHaveLength(3);
    },
  );
});

test('inconclusive metrics roll back when the plan says so', async () => {
  await withRelease(
    t.env,
    t.bundle,
    {
      plan: (plan) => {
        plan.canary.onInconclusive = 'rollback';
      },
      scripts: { canary: (ctx) => (ctx.weight === 5 ? 'fail' : {}) },
    },
    async ({ handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('rolled-back');
      expect(result.reason).toContain('metrics inconclusive 3 times in a row');
      expect(result.reason).toContain('unreachable');
      expect(result.weights).toEqual([5, 0]);
    },
  );
});

test('missing data at the end of a window never passes', async () => {
  await withRelease(
    t.env,
    t.bundle,
    {
      plan: (plan) => {
        plan.canary.onInconclusive = 'rollback';
        plan.canary.inconclusiveLimit = 1;
      },
      // login_success has only a healthy bound: it is read at the window end, and is missing there.
      scripts: { canary: (ctx) => (ctx.weight === 5 && ctx.query === 15 ? { login_success: 'empty' } : {}) },
    },
    async ({ handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('rolled-back');
      expect(result.reason).toContain('login_success: empty-result');
      expect(result.weights).toEqual([5, 0]);
    },
  );
});

test('abort mid-canary puts traffic back on blue and deletes green', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ world, handle, waitFor }) => {
    await waitFor((s) => s.greenWeight === 25 && s.window !== undefined);
    await handle.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'customer complaints' }] });
    const result = await handle.result();
    expect(result.outcome).toBe('aborted');
    expect(result.reason).toBe('aborted by carol: customer complaints');
    expect(result.weights).toEqual([5, 25, 0]);
    expect(result.report.compensations).toEqual(['traffic-to-blue', 'verify-blue', 'delete-green']);
    expect(world.named('deleteNamespace').map((c) => (c.args as { name: string }).name)).toEqual([
      'hwayo-production-green',
    ]);
    expect(result.report.audit.find((e) => e.action === 'abort')).toMatchObject({ by: 'carol', accepted: true });
  });
});

test('promote skips the remaining canary steps but still runs the full-switch watch and checks', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ world, handle, waitFor }) => {
    await waitFor((s) => s.greenWeight === 5 && s.window !== undefined);
    expect(await refusal(handle.executeUpdate(rollbackUpdate, { args: [{ by: 'dave' }] }))).toBe(
      'a rollback needs a reason',
    );
    await handle.executeUpdate(promoteUpdate, { args: [{ by: 'dave', reason: 'hotfix' }] });
    const result = await handle.result();
    expect(result.outcome).toBe('succeeded');
    expect(result.weights).toEqual([5, 100]);
    expect(result.report.steps.map((s) => [s.weight, s.result])).toEqual([
      [5, 'promoted'],
      [100, 'passed'],
    ]);
    expect(result.report.steps[1].elapsedMs).toBeGreaterThanOrEqual(10 * MIN);
    expect(
      world.named('checkServiceHealth').some((c) => (c.args as { includeDataStores: boolean }).includeDataStores),
    ).toBe(true);
  });
});

test('a rollback request inside the 24 h window brings blue back; after the window the release is closed', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ world, handle, waitFor }) => {
    const s = await waitFor((x) => x.stage === 'retention');
    expect(Date.parse(s.rollbackWindowEndsAt!)).toBeGreaterThan(Date.now() - 1);
    expect(await refusal(handle.executeUpdate(abortUpdate, { args: [{ by: 'erin' }] }))).toBe(
      'the release is already promoted; use rollback within the retention window',
    );
    await t.env.sleep(23 * HOUR);
    await handle.executeUpdate(rollbackUpdate, {
      args: [{ by: 'erin', reason: 'business: data-integrity problem found by support' }],
    });
    const result = await handle.result();
    expect(result.outcome).toBe('rolled-back-after-success');
    expect(result.weights).toEqual([5, 25, 50, 100, 0]);
    // Blue is scaled back and ready before the compensations run (retention-rollback-safe).
    expect(result.report.compensations).toEqual(['traffic-to-blue', 'verify-blue', 'delete-green']);
    const scales = world.named('scaleDeployments').map((c) => (c.args as { replicas: unknown }).replicas);
    expect(scales).toEqual([1, { 'web-app': 2, 'api-gateway': 3 }]);
    const tail = world
      .sequence(['queryMetrics', 'checkServiceHealth', 'runCheck', 'postSlack', 'storeReport', 'sendPage', 'sendEmail'])
      .slice(-5);
    expect(tail).toEqual([
      'scaleDeployments',
      'waitForRollout',
      'setTrafficWeight',
      'waitForRollout',
      'deleteNamespace',
    ]);
    expect(world.named('deleteNamespace').map((c) => (c.args as { name: string }).name)).toEqual([
      'hwayo-production-green',
    ]);
  });
  await withRelease(t.env, t.bundle, {}, async ({ world, handle }) => {
    const result = await handle.result();
    expect(result.outcome).toBe('succeeded');
    expect(world.named('deleteNamespace').map((c) => (c.args as { name: string }).name)).toEqual(['hwayo-production']);
    const late = await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'erin', reason: 'too late' }] }).then(
      () => 'accepted',
      (e: Error) => e.message,
    );
    expect(late).toMatch(/completed|closed|not found/i);
  });
});

test('cancelling the workflow mid-canary still compensates', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ world, handle, waitFor }) => {
    await waitFor((s) => s.greenWeight === 25 && s.window !== undefined);
    await handle.cancel();
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(world.weights()).toEqual([5, 25, 0]);
    expect(
      world.sequence(['queryMetrics', 'checkServiceHealth', 'runCheck', 'postSlack', 'storeReport']).slice(-3),
    ).toEqual(['setTrafficWeight', 'waitForRollout', 'deleteNamespace']);
    expect(world.named('storeReport')).toHaveLength(1);
  });
});

test('a worker stopped mid-canary and a new worker finish the release with no traffic step repeated or skipped', async () => {
  const world = new FakeWorld();
  const taskQueue = uniqueId('tq');
  const workflowId = uniqueId('release');
  // The first worker keeps no sticky cache, so no task is pinned to it after it is gone; the second
  // worker rebuilds the release's state from history alone.
  const first = await createWorker(t.env, t.bundle, world.activities(), taskQueue, true);
  const handle = await first.runUntil(async () => {
    const h = await t.env.client.workflow.start(releaseWorkflow, {
      args: [{ plan: defaultPlan(), version: '2.4.0', imageTag: '1234-abc1234' }],
      taskQueue,
      workflowId,
    });
    await waitForStatus(
      () => h.query(statusQuery),
      (s) => s.stage === 'awaiting-approval',
      (ms) => t.env.sleep(ms),
    );
    for (const role of ROLES) await h.signal(approveSignal, { approverId: role, role, decision: 'approve' });
    // A cacheless worker replays the whole history for every query: slow on a busy machine.
    await waitForStatus(
      () => h.query(statusQuery),
      (s) => s.greenWeight === 25 && s.window !== undefined,
      (ms) => t.env.sleep(ms),
      120_000,
    );
    // Stop while the release sits on its analysis timer (time does not move without a result waiter).
    await new Promise((r) => setTimeout(r, 500));
    return h;
  });
  // The first worker is gone; its in-memory state with it. A new worker picks up from history.
  const callsBefore = world.calls.length;
  const second = await createWorker(t.env, t.bundle, world.activities(), taskQueue);
  const result = await second.runUntil(handle.result());
  expect(result.outcome).toBe('succeeded');
  expect(result.weights).toEqual([5, 25, 50, 100]);
  expect(world.weights()).toEqual([5, 25, 50, 100]);
  expect(world.named('createNamespace')).toHaveLength(1);
  expect(world.named('deployGreen')).toHaveLength(1);
  expect(world.calls.length).toBeGreaterThan(callsBefore);
  expect(result.report.steps.map((s) => [s.weight, s.result])).toEqual([
    [5, 'passed'],
    [25, 'passed'],
    [50, 'passed'],
    [100, 'passed'],
  ]);
}, 240_000);

test('the CLI reads a release whose outcome is decided but whose report is still being stored as finished', async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await withRelease(
    t.env,
    t.bundle,
    { approve: false, scripts: { storeReport: () => held } },
    async ({ handle, waitFor }) => {
      // The gate takes decisions once preflight has passed; a refused reject would leave storeReport held.
      await waitFor((s) => s.stage === 'awaiting-approval');
      await handle.executeUpdate(rejectUpdate, {
        args: [{ approverId: 'qa-lead', role: 'qa-lead', decision: 'reject', comment: 'not this week' }],
      });
      await waitFor((s) => s.stage === 'done');
      const viewing = viewRelease(t.env.client, handle.workflowId);
      setTimeout(release, 500);
      const view = await viewing;
      expect(view.running).toBe(false);
      expect(view).toMatchObject({
        closedAs: 'COMPLETED',
        result: { outcome: 'rejected', report: { outcome: 'rejected' } },
      });
    },
  );
});

test('promote during retention ends the rollback window early: blue is deleted now and the release is final', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ world, handle, waitFor }) => {
    await waitFor((x) => x.stage === 'retention');
    await t.env.sleep(2 * HOUR);
    const entry = await handle.executeUpdate(promoteUpdate, {
      args: [{ by: 'erin', reason: 'hotfix 2.4.1 must ship' }],
    });
    expect(entry).toMatchObject({ action: 'promote', by: 'erin', accepted: true });
    const result = await handle.result();
    expect(result.outcome).toBe('succeeded');
    expect(world.named('deleteNamespace').map((c) => (c.args as { name: string }).name)).toEqual(['hwayo-production']);
    const retention = result.report.timeline.find((e) => e.stage === 'retention')!;
    const ended = result.report.timeline.find((e) =>
      e.event.startsWith('retention ended early by erin (hotfix 2.4.1 must ship)'),
    )!;
    expect(Date.parse(ended.at) - Date.parse(retention.at)).toBeGreaterThanOrEqual(2 * HOUR);
    expect(Date.parse(ended.at) - Date.parse(retention.at)).toBeLessThan(3 * HOUR);
    const slack = world.named('postSlack').map((c) => (c.args as { text: string }).text);
    expect(slack[slack.length - 1]).toContain(
      'Retention ended early by erin (hotfix 2.4.1 must ship): hwayo-production deleted; the release is final',
    );
  });
});

test('promote outside the canary and retention is refused with the reason', async () => {
  await withRelease(t.env, t.bundle, { approve: false }, async ({ handle, waitFor }) => {
    await waitFor((x) => x.stage === 'awaiting-approval');
    expect(await refusal(handle.executeUpdate(promoteUpdate, { args: [{ by: 'erin' }] }))).toBe(
      'promote skips canary steps (or, in retention, retires blue early); the release is in awaiting-approval',
    );
  });
});

test("hole 5: with signatures required, promote needs a listed operator's signature; refusals are audited; abort stays open", async () => {
  const keys = Object.fromEntries(
    ['tech-lead', 'product-manager', 'qa-lead', 'oncall'].map((id) => [id, ed25519.utils.randomPrivateKey()]),
  );
  await withRelease(
    t.env,
    t.bundle,
    {
      approve: false,
      plan: (plan) => {
        plan.approval.allowUnsigned = false;
        plan.approval.requireSignatures = true;
        for (const a of plan.approval.approvers) a.publicKey = publicKeyOf(keys[a.id]);
        plan.approval.operators = [{ id: 'oncall', publicKey: publicKeyOf(keys.oncall) }];
      },
    },
    async ({ handle, waitFor }) => {
      const waiting = await waitFor((s) => s.stage === 'awaiting-approval');
      const { runId } = await handle.describe();
      const now = async () => new Date(await t.env.currentTimeMs()).toISOString();
      for (const role of ROLES) {
        const signedAt = await now();
        const signature = signStatement(
          approvalStatement(
            { workflowId: handle.workflowId, runId, decision: 'approve', role, approverId: role, signedAt },
            waiting,
          ),
          keys[role],
        );
        await handle.executeUpdate(approveUpdate, {
          args: [{ approverId: role, role, decision: 'approve', signedAt, signature }],
        });
      }
      await waitFor((s) => s.stage === 'canary' && s.greenWeight === 5);
      const signed = async (by: string, key: Uint8Array, reason: string) => {
        const signedAt = await now();
        const base = { workflowId: handle.workflowId, runId, action: 'promote' as const, by, reason, signedAt };
        const statement = controlStatement(base, await handle.query(statusQuery))!;
        const nonce = 'nonce' in statement ? statement.nonce : undefined;
        return { by, reason, signedAt, nonce, signature: signControlStatement(statement, key) };
      };
      expect(await refusal(handle.executeUpdate(promoteUpdate, { args: [{ by: 'mallory', reason: 'ship it' }] }))).toBe(
        "promote raises the release's risk: it needs a statement signed by an operator or approver listed in the plan (use --key)",
      );
      expect(await refusal(handle.executeUpdate(promoteUpdate, { args: [{ by: 'oncall', reason: 'ship it' }] }))).toBe(
        '"oncall" has a key in the plan: a promote in their name must be signed (use --key)',
      );
      expect(
        await refusal(
          handle.executeUpdate(promoteUpdate, { args: [await signed('oncall', keys['tech-lead'], 'ship it')] }),
        ),
      ).toBe('the signature does not verify for "oncall" on this release and promote');
      expect(
        await refusal(handle.executeUpdate(promoteUpdate, { args: [await signed('oncall', keys.oncall, 'ship it')] })),
      ).toBe('accepted');
      const audit = await handle.query(auditQuery);
      expect(audit.filter((e) => e.action === 'promote').map((e) => [e.by, e.accepted, e.signed])).toEqual([
        ['mallory', false, false],
        ['oncall', false, false],
        ['oncall', false, false],
        ['oncall', true, true],
      ]);
      // The accepted promote skipped the remaining canary steps.
      expect((await waitFor((s) => s.greenWeight === 100)).stage).toBe('full-switch');
    },
  );
}, 180_000);
