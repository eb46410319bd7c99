// Incident response in skipped time: an incident nobody takes escalates to the next on-call every
// response target, a taken one does not; status updates every 30 minutes; a signed resolve stores the
// post-incident review; a release that rolls back opens one and states its rollback against the budget.
import { WorkflowUpdateFailedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ed25519 } from '@noble/curves/ed25519';
import { incidentWorkflow } from '../../src/workflows';
import {
  ackIncidentUpdate,
  incidentIdOf,
  incidentStatusQuery,
  resolveIncidentUpdate,
  type IncidentAction,
  type IncidentInput,
  type IncidentRequest,
} from '../../src/workflows/incident-definitions';
import { signIncidentStatement } from '../../src/workflows/incident-signatures';
import { publicKeyOf } from '../../src/workflows/signatures';
import { defaultPlan } from '../../src/plan/load';
import { rollbackUpdate } from '../../src/workflows/definitions';
import { createWorker, uniqueId, useWorkflowEnv } from './env';
import { FakeWorld } from './fake-world';
import { HOUR, MIN, withRelease } from './harness';

jest.setTimeout(120_000);
const t = useWorkflowEnv();

const key = ed25519.utils.randomPrivateKey();
const ON_CALL = ['first@hwayo.com', 'second@hwayo.com', 'third@hwayo.com'];

function incidentInput(severity: IncidentInput['severity']): IncidentInput {
  return {
    releaseId: uniqueId('release'),
    app: 'hwayo',
    version: '2.4.0',
    severity,
    outcome: 'rolled-back',
    cause: 'error_rate 12.5 above 5 (rollback trigger)',
    notifications: { ...defaultPlan().notifications, onCall: ON_CALL },
    onCall: ON_CALL,
    people: [{ id: 'oncall', publicKey: publicKeyOf(key) }],
    signaturesRequired: true,
    artifactsBucket: 'hwayo-release-artifacts',
    timeline: [{ at: '2026-01-06T10:00:00.000Z', stage: 'canary', event: 'green weight 25% (canary step 2)' }],
    audit: [{ at: '2026-01-06T10:01:00.000Z', action: 'pause', by: 'oncall', accepted: true, detail: 'looking' }],
    rollbacks: [],
    impact: { minutesDegraded: 4, requestsFailed: null, detail: 'peak error rate 12.5%' },
  };
}

type IncidentHandle = WorkflowHandleWithFirstExecutionRunId<typeof incidentWorkflow>;

/** One incident with a worker serving it; the incident is terminated after `body` unless resolved. */
async function withIncident<T>(
  severity: IncidentInput['severity'],
  body: (ctx: { world: FakeWorld; handle: IncidentHandle }) => Promise<T>,
): Promise<T> {
  const world = new FakeWorld();
  const taskQueue = uniqueId('tq');
  const input = incidentInput(severity);
  const worker = await createWorker(t.env, t.bundle, world.activities(), taskQueue);
  return worker.runUntil(async () => {
    const handle = await t.env.client.workflow.start(incidentWorkflow, {
      args: [input],
      taskQueue,
      workflowId: incidentIdOf(input.releaseId),
    });
    try {
      return await body({ world, handle });
    } finally {
      // A standalone incident (no parent) may be terminated; a release's child is left open: the test
      // server's clock stays locked after a child of a closed parent ends.
      await handle.terminate('test finished').catch(() => undefined);
    }
  });
}

/** Signs an ack or resolve for the incident's current nonce, as the CLI does. */
async function signed(
  handle: {
    workflowId: string;
    firstExecutionRunId: string;
    query: (q: typeof incidentStatusQuery) => Promise<{ nonce: string }>;
  },
  action: IncidentAction,
  note?: string,
): Promise<IncidentRequest> {
  const { nonce } = await handle.query(incidentStatusQuery);
  const signedAt = new Date(await t.env.currentTimeMs()).toISOString();
  const statement = {
    incidentId: handle.workflowId,
    runId: handle.firstExecutionRunId,
    action,
    by: 'oncall',
    note,
    signedAt,
    nonce,
  };
  return { by: 'oncall', note, signedAt, nonce, signature: signIncidentStatement(statement, key) };
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof WorkflowUpdateFailedError ? (e.cause as Error).message : `unexpected: ${String(e)}`),
  );

const named = (world: FakeWorld, name: string) => world.incident.filter((c) => c.name === name).map((c) => c.args);

test('an unacknowledged critical incident pages again every 15 minutes, each time the next on-call', async () => {
  await withIncident('critical', async ({ world, handle }) => {
    await t.env.sleep(46 * MIN);
    const status = await handle.query(incidentStatusQuery);
    expect(status).toMatchObject({ state: 'open', escalations: 3, updates: 1 });
    const pages = named(world, 'sendPage') as { dedupKey: string }[];
    expect(pages.map((p) => p.dedupKey.split(':').pop())).toEqual([
      'opened',
      'escalation-1',
      'escalation-2',
      'escalation-3',
    ]);
    const mails = named(world, 'sendEmail') as { to: string }[];
    expect(mails.map((m) => m.to)).toEqual([...ON_CALL, ON_CALL[2]]);
  });
});

test('an acknowledged critical incident does not escalate', async () => {
  await withIncident('critical', async ({ world, handle }) => {
    await t.env.sleep(5 * MIN);
    // Unsigned, in a listed name with a key: refused, and the incident stays open.
    expect(await refusal(handle.executeUpdate(ackIncidentUpdate, { args: [{ by: 'oncall' }] }))).toMatch(
      /has a key in the plan: sign the ack/,
    );
    const ack = await signed(handle, 'ack', 'on it');
    await handle.executeUpdate(ackIncidentUpdate, { args: [ack] });
    // The same statement again names a spent nonce.
    expect(await refusal(handle.executeUpdate(ackIncidentUpdate, { args: [ack] }))).toBe('already taken by oncall');
    await t.env.sleep(2 * HOUR);
    const status = await handle.query(incidentStatusQuery);
    expect(status).toMatchObject({ state: 'acknowledged', commander: 'oncall', escalations: 0 });
    expect((named(world, 'sendPage') as { dedupKey: string }[]).map((p) => p.dedupKey.split(':').pop())).toEqual([
      'opened',
    ]);
  });
});

test('status updates every 30 minutes: exactly 6 in 3 hours', async () => {
  await withIncident('high', async ({ world, handle }) => {
    await handle.executeUpdate(ackIncidentUpdate, { args: [await signed(handle, 'ack')] });
    await t.env.sleep(3 * HOUR + 10 * MIN);
    const updates = (named(world, 'postSlack') as { text: string; channel: string }[]).filter((m) =>
      m.text.includes('status update'),
    );
    expect(updates.map((m) => m.text.match(/status update (\d+): open (\d+) min/)?.slice(1))).toEqual([
      ['1', '30'],
      ['2', '60'],
      ['3', '90'],
      ['4', '120'],
      ['5', '150'],
      ['6', '180'],
    ]);
    expect(new Set(updates.map((m) => m.channel))).toEqual(new Set(['#hwayo-critical']));
    expect((await handle.query(incidentStatusQuery)).updates).toBe(6);
  });
});

test('a signed resolve stores the post-incident review and ends the incident', async () => {
  await withIncident('medium', async ({ world, handle }) => {
    await handle.executeUpdate(ackIncidentUpdate, { args: [await signed(handle, 'ack')] });
    await t.env.sleep(40 * MIN);
    // A statement signed for the ack does not resolve: it names another action and a spent nonce.
    const forged = { ...(await signed(handle, 'ack')), nonce: (await handle.query(incidentStatusQuery)).nonce };
    expect(await refusal(handle.executeUpdate(resolveIncidentUpdate, { args: [forged] }))).toMatch(
      /signature does not verify/,
    );
    await handle.executeUpdate(resolveIncidentUpdate, { args: [await signed(handle, 'resolve', 'blue serves')] });
    const final = await handle.result();
    expect(final).toMatchObject({ state: 'resolved', resolvedBy: 'oncall', updates: 1 });
    const stored = named(world, 'storeIncidentReview') as { key: string; markdown: string; json: string }[];
    expect(stored).toHaveLength(1);
    const input = incidentInput('medium');
    expect(stored[0].key).toMatch(/^incidents\/release-[0-9a-f]{8}\/review$/);
    expect(final.review).toBe(`s3://${input.artifactsBucket}/${stored[0].key}.md`);
    const review = JSON.parse(stored[0].json);
    // The release's record first (older), then the incident's own events, each with its time.
    const timeline = review.timeline as { at: string; source: string; event: string }[];
    expect(timeline.slice(0, 2).map((e) => e.source)).toEqual(['release', 'control']);
    expect(timeline.slice(2).map((e) => e.event)).toEqual([
      expect.stringMatching(/^opened: medium/),
      'taken by oncall (signed) as incident commander',
      'status update 1',
      expect.stringMatching(/^resolve by oncall refused: the signature does not verify/),
      'resolved by oncall (signed): blue serves',
    ]);
    expect(review.impact).toEqual(input.impact);
    expect(review.openQuestions.join('\n')).toContain('How many requests failed?');
    expect(stored[0].markdown).toContain('## Open questions');
    expect(stored[0].markdown).toContain('- Minutes degraded: 4');
  });
});

test('a rollback over its budget is reported as over it', async () => {
  let ticks = 0;
  let blueChecks = 0;
  await withRelease(
    t.env,
    t.bundle,
    {
      // Blue fails 35 health rounds 10 s apart before it passes: the rollback takes about 6 minutes.
      plan: (plan) => void (plan.canary.healthCheckFailureLimit = 40),
      scripts: {
        canary: (ctx) => (ctx.weight === 25 && ++ticks >= 2 ? { p95_latency: 9 } : {}),
        serviceHealth: (ctx) => ctx.namespace !== defaultPlan().environments.blue || ++blueChecks > 35,
      },
    },
    async ({ handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('rolled-back');
      const [rollback] = result.report.rollbacks ?? [];
      expect(rollback).toMatchObject({ kind: 'automatic', withinBudget: false, budgetMs: 5 * MIN });
      expect(rollback.durationMs).toBeGreaterThan(5 * MIN);
    },
  );
});

test('a manual rollback needs a category; with one it runs within its 10-minute budget', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ handle, waitFor }) => {
    await waitFor((s) => s.greenWeight === 25);
    expect(
      await refusal(handle.executeUpdate(rollbackUpdate, { args: [{ by: 'oncall', reason: 'looks wrong' }] })),
    ).toMatch(/^a rollback's reason must start with its category \(errors, latency, business, security, other\)/);
    await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'oncall', reason: 'business: refunds failing' }] });
    const result = await handle.result();
    expect(result.outcome).toBe('rolled-back');
    expect(result.report.audit.filter((e) => e.action === 'rollback').map((e) => e.accepted)).toEqual([false, true]);
    expect(result.report.rollbacks).toEqual([
      expect.objectContaining({ kind: 'manual', trigger: 'manual', budgetMs: 10 * MIN, withinBudget: true }),
    ]);
  });
});

// The incident it opens is terminated by the harness once the test is done (harness.ts, endIncident).
test('an automatic rollback within its budget: a critical incident opens and the report states 5 min', async () => {
  let ticks = 0;
  await withRelease(
    t.env,
    t.bundle,
    {
      input: { incidents: true },
      scripts: { canary: (ctx) => (ctx.weight === 25 && ++ticks >= 2 ? { error_rate: 12.5 } : {}) },
    },
    async ({ world, handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('rolled-back');
      expect(result.report.rollbacks).toEqual([
        expect.objectContaining({ kind: 'automatic', trigger: 'metric', budgetMs: 5 * MIN, withinBudget: true }),
      ]);
      const incident = t.env.client.workflow.getHandle(incidentIdOf(handle.workflowId));
      const status = await incident.query(incidentStatusQuery);
      expect(status).toMatchObject({ severity: 'critical', state: 'open', releaseId: handle.workflowId });
      expect(result.report.timeline.some((e) => e.event === `incident ${status.incidentId} opened (critical)`)).toBe(
        true,
      );
      expect((named(world, 'postSlack') as { text: string }[])[0].text).toContain('Incident opened (critical)');
    },
  );
});
