// A release across two clusters on the time-skipping server: the parent on the main queue, each cluster's
// activities on its own queue (`hwayo-a`, `hwayo-b`), served by its own worker with its own fake world. Every
// call is logged with the queue and the workflow that made it, so a test sees which worker touched what.
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import type { Activities } from '../../src/activities';
import type { PolicyReading } from '../../src/activities/policy';
import { approvalStatement, controlStatement } from '../../src/client/statements';
import { defaultPlan } from '../../src/plan/load';
import type { ReleasePlan } from '../../src/plan/types';
import type { OnFailure, Wave } from '../../src/plan/waves';
import { parsePolicy } from '../../src/policy/schema';
import { multiClusterReleaseWorkflow } from '../../src/workflows';
import {
  abortUpdate,
  approveUpdate,
  promoteUpdate,
  SA_CLUSTER,
  SA_CLUSTERS,
  statusQuery,
  type ReleaseResult,
  type ReleaseStatus,
} from '../../src/workflows/definitions';
import { incidentIdOf } from '../../src/workflows/incident-definitions';
import {
  clusterProgressSignal,
  clusterWorkflowId,
  parentRollbackSignal,
  type ClusterProgress,
} from '../../src/workflows/multi-cluster-definitions';
import { signControlStatement, signStatement } from '../../src/workflows/signatures';
import type { ClusterRow } from '../../src/workflows/wave-rules';
import { platformPeople, seedPolicy, signedByPlatform } from '../unit/policy-fixture';
import { createWorker, uniqueId, useWorkflowEnv, waitForStatus } from './env';
import { FakeWorld, type Scripts } from './fake-world';
import { patchIds } from './harness';
import { loadWorkerConfig } from '../../src/worker/config';
import { workflowSource } from '../../src/worker/role';
import { Worker } from '@temporalio/worker';

jest.setTimeout(180_000);
const t = useWorkflowEnv();
const { secrets, keys } = platformPeople();
// These releases open no incidents (the policy's `incidents: false`; the input may not turn them off under a policy
// that opens them): a child's incident outlives it, which the time-skipping server cannot follow.
const seed = seedPolicy(keys);
Object.assign(seed.environments[0], { incidents: false });
const { policy } = parsePolicy({
  ...seed,
  clusters: [
    { name: 'a', region: 'region-a' },
    { name: 'b', region: 'region-b', taskQueue: 'hwayo-b' },
  ],
});
const READING: PolicyReading = { source: 'configmap hwayo-release/hwayo-release-policy', policy, problems: [] };
const B_STEPS = [
  { weight: 5, watchMs: 15 * 60_000 },
  { weight: 30, watchMs: 15 * 60_000 },
  { weight: 60, watchMs: 15 * 60_000 },
];
const TWO_WAVES: Wave[] = [
  { clusters: [{ name: 'a' }], bakeMs: 30 * 60_000, gate: false },
  { clusters: [{ name: 'b', steps: B_STEPS }], bakeMs: 0, gate: false },
];
const WHO = { alice: 'tech-lead', bob: 'product-manager', carol: 'qa-lead' } as const;

interface Logged {
  queue: string;
  workflowId: string;
  name: string;
}

/** Wraps every activity so the call is logged with the task queue it ran on and the workflow that asked. */
function logged(world: FakeWorld, queue: string, log: Logged[]): Activities {
  const acts = world.activities() as unknown as Record<string, (...a: unknown[]) => unknown>;
  return Object.fromEntries(
    Object.entries(acts).map(([name, fn]) => [
      name,
      (...args: unknown[]) => {
        const info = Context.current().info;
        log.push({ queue: info.taskQueue, workflowId: info.workflowExecution?.workflowId ?? '', name });
        expect(info.taskQueue).toBe(queue);
        return fn(...args);
      },
    ]),
  ) as unknown as Activities;
}

/** A worker configured as the worker is for HWAYO_CLUSTER=<name>: activities only, on hwayo-<name>; fake activities. */
async function clusterWorker(name: string, activities: Activities) {
  const config = loadWorkerConfig([], {
    HWAYO_CLUSTER: name,
    HWAYO_KUBE_IN_CLUSTER: 'true',
    HWAYO_CODEC: 'off',
    TEMPORAL_NAMESPACE: t.env.namespace ?? 'default',
  });
  expect(config.temporal.taskQueue).toBe(`hwayo-${name}`);
  const source = workflowSource(config);
  expect(source.mode).toBe('none');
  return Worker.create({
    connection: t.env.nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...source.options,
    activities,
  });
}

interface Multi {
  log: Logged[];
  worlds: { main: FakeWorld; a: FakeWorld; b: FakeWorld };
  handle: WorkflowHandle<typeof multiClusterReleaseWorkflow>;
  status: () => Promise<ReleaseStatus>;
  approveAs: (who: keyof typeof WHO, clusters?: string[]) => Promise<string>;
}

async function withMulti<T>(
  opts: {
    waves?: Wave[];
    onFailure?: OnFailure;
    a?: Scripts;
    b?: Scripts;
    refused?: boolean;
    policyOnly?: boolean;
    plan?: (p: ReleasePlan) => void;
  },
  body: (m: Multi) => Promise<T>,
): Promise<T> {
  const log: Logged[] = [];
  const worlds = {
    main: new FakeWorld({ policy: READING }),
    a: new FakeWorld(opts.a),
    b: new FakeWorld(opts.b),
  };
  const main = uniqueId('tq');
  const workers = await Promise.all([
    createWorker(t.env, t.bundle, logged(worlds.main, main, log), main),
    clusterWorker('a', logged(worlds.a, 'hwayo-a', log)),
    clusterWorker('b', logged(worlds.b, 'hwayo-b', log)),
  ]);
  const unsigned = defaultPlan();
  opts.plan?.(unsigned);
  const plan = signedByPlatform(unsigned, keys);
  const runAll = async () => {
    const handle = await t.env.client.workflow.start(multiClusterReleaseWorkflow, {
      args: [
        {
          plan,
          version: '2.4.0',
          imageTag: '1234-abc1234',
          lastKnownGoodTag: '1200-0ld600d',
          // policyOnly: the input says nothing about incidents, the policy's `incidents: false` decides.
          ...(opts.policyOnly ? {} : { incidents: false as const }),
          waves: opts.waves ?? TWO_WAVES,
          onFailure: opts.onFailure ?? 'rollback-all',
        },
      ],
      taskQueue: main,
      workflowId: uniqueId('multi'),
    });
    const status = () => handle.query(statusQuery);
    const approveAs = async (who: keyof typeof WHO, clusters?: string[]) => {
      const s = await status();
      const { runId } = await handle.describe();
      const signedAt = new Date(await t.env.currentTimeMs()).toISOString();
      const base = { workflowId: handle.workflowId, runId, decision: 'approve' as const, role: WHO[who] };
      const statement = approvalStatement({ ...base, approverId: who, signedAt }, s);
      const signed = clusters ? { ...statement, clusters } : statement;
      const req = { approverId: who, role: WHO[who], decision: 'approve' as const, signedAt };
      return handle
        .executeUpdate(approveUpdate, { args: [{ ...req, signature: signStatement(signed, secrets[who]) }] })
        .then(
          () => 'accepted',
          (e: { cause?: Error }) => e.cause?.message ?? 'refused',
        );
    };
    if (!opts.refused)
      await waitForStatus(
        status,
        (s) => s.stage === 'awaiting-approval',
        () => t.env.sleep(1_000),
      );
    return body({ log, worlds, handle, status, approveAs });
  };
  const [first, ...rest] = workers;
  return first.runUntil(rest.reduce<() => Promise<T>>((inner, w) => () => w.runUntil(inner), runAll)());
}

/** Skips workflow time (only while no fake activity runs) until the parent's row of cluster a matches. */
const untilRowA = (m: Multi, matches: (row: ClusterRow) => boolean) => {
  const idle = () => Object.values(m.worlds).every((w) => w.inFlight === 0);
  return waitForStatus(
    m.status,
    (s) => s.multiCluster !== undefined && matches(s.multiCluster.rows[0]),
    () => (idle() ? t.env.sleep(60_000) : Promise.resolve()),
    60_000,
  );
};

const approveAll = async (m: Multi) => {
  for (const who of ['alice', 'bob', 'carol'] as const) expect(await m.approveAs(who)).toBe('accepted');
};

/** One plan for every cluster: its queries and health URLs name the cluster each child runs in. */
const perCluster = (p: ReleasePlan) => {
  for (const m of p.metrics)
    if (typeof m.query === 'string') m.query = m.query.replace('namespace=', 'cluster="{{cluster}}", namespace=');
  p.healthUrlTemplate = 'http://{{service}}.{{namespace}}.svc.{{cluster}}.{{region}}.example{{path}}';
};

/** Each cluster's analysis and health checks name that cluster only, and no placeholder is left. */
function expectQueriesOfItsOwnCluster(m: Multi): void {
  for (const [c, region] of [
    ['a', 'region-a'],
    ['b', 'region-b'],
  ] as const) {
    const promql = m.worlds[c]
      .named('queryMetrics')
      .flatMap((call) => (call.args as { queries: { promql?: string }[] }).queries.map((q) => q.promql ?? ''));
    expect(promql.length).toBeGreaterThan(0);
    for (const q of promql) expect(q).toContain(`cluster="${c}", namespace=`);
    expect(promql.join('\n')).not.toContain('{{');
    const urls = m.worlds[c]
      .named('checkServiceHealth')
      .map((x) => (x.args as { healthUrlTemplate: string }).healthUrlTemplate);
    expect(new Set(urls)).toEqual(new Set([`http://{{service}}.{{namespace}}.svc.${c}.${region}.example{{path}}`]));
  }
}

test('happy path: one approval names both clusters; wave 2 starts after wave 1 runs at 100% and bakes', async () => {
  await withMulti({ plan: perCluster }, async (m) => {
    const s = await m.status();
    expect(s.approvalStatement).toBe(4);
    expect(s.multiCluster?.clusters).toEqual(['a', 'b']);
    await approveAll(m);
    const result = await m.handle.result();
    expect(result.outcome).toBe('succeeded');
    expect(result.report.mixedVersions).toBeUndefined();
    expect(result.report.clusters?.map((c) => [c.cluster, c.outcome, c.weights])).toEqual([
      ['a', 'succeeded', [5, 25, 50, 100]],
      ['b', 'succeeded', [5, 30, 60, 100]],
    ]);
    // b's first activity comes after a was promoted (blue scaled down for retention).
    const aPromoted = m.log.findIndex((l) => l.queue === 'hwayo-a' && l.name === 'scaleDeployments');
    const bFirst = m.log.findIndex((l) => l.queue === 'hwayo-b');
    expect(aPromoted).toBeGreaterThan(-1);
    expect(bFirst).toBeGreaterThan(aPromoted);
    expectEachQueueServesItsOwn(m, result.report.releaseId);
    // The children continued as new during their watches (checkpoint.ts), and kept to their queues after it.
    const child = (c: string) => t.env.client.workflow.getHandle(clusterWorkflowId(result.report.releaseId, c));
    const lastRun = await child('a').fetchHistory();
    expect(lastRun.events?.[0].workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBeTruthy();
    // The UI filters releases by cluster: each child (its last run too) names its own, the parent all of them.
    for (const c of ['a', 'b']) expect((await child(c).describe()).typedSearchAttributes.get(SA_CLUSTER)).toBe(c);
    expect((await m.handle.describe()).typedSearchAttributes.get(SA_CLUSTERS)).toEqual(['a', 'b']);
    expectQueriesOfItsOwnCluster(m);
  });
});

test('a forged progress signal moves no decision: the parent reads its child itself and audits the claim refused', async () => {
  await withMulti({}, async (m) => {
    await approveAll(m);
    await untilRowA(m, (a) => a.stage === 'canary');
    // As `temporal workflow signal` could: a failing, then finished, a (rollback-all, or wave 2 now); b at 100%.
    const forge = (p: object) => m.handle.signal(clusterProgressSignal, p as ClusterProgress);
    await forge({ cluster: 'a', stage: 'rolling-back', weight: 0 });
    await forge({ cluster: 'a', stage: 'retention', weight: 100, outcome: 'succeeded' });
    await forge({ cluster: 'b', stage: 'retention', weight: 100, outcome: 'succeeded' });
    const result = await m.handle.result();
    expect(result.outcome).toBe('succeeded');
    expect(m.worlds.a.weights()).toEqual([5, 25, 50, 100]);
    const aPromoted = m.log.findIndex((l) => l.queue === 'hwayo-a' && l.name === 'scaleDeployments');
    expect(m.log.findIndex((l) => l.queue === 'hwayo-b')).toBeGreaterThan(aPromoted);
    const refused = result.report.audit.filter((e) => e.action === 'cluster-progress');
    expect(refused.every((e) => !e.accepted)).toBe(true);
    expect(refused.map((e) => e.detail).sort()).toEqual([
      expect.stringMatching(
        /^a progress signal claimed a retention at 100%, succeeded; its child says canary at \d+%: ignored$/,
      ),
      expect.stringMatching(/^a progress signal claimed a rolling-back at 0%; its child says canary at \d+%: ignored$/),
      'a progress signal named "b", no running cluster of this release: ignored',
    ]);
  });
});

test('a forged parentRollback signal to a child moves nothing: the child asks its parent, which asked nothing, and audits it refused', async () => {
  await withMulti({}, async (m) => {
    await approveAll(m);
    await untilRowA(m, (a) => a.stage === 'canary');
    // As `temporal workflow signal --name parentRollback` could, to cluster a's child workflow.
    const childA = t.env.client.workflow.getHandle(clusterWorkflowId(m.handle.workflowId, 'a'));
    await childA.signal(parentRollbackSignal, { by: 'release forged', reason: 'regression: forged' });
    const result = await m.handle.result();
    expect(result.outcome).toBe('succeeded');
    expect(m.worlds.a.weights()).toEqual([5, 25, 50, 100]);
    const a = (await childA.result()) as ReleaseResult;
    expect(a.report.audit.filter((e) => e.action === 'rollback')).toEqual([
      expect.objectContaining({
        by: 'a parentRollback signal (release forged)',
        accepted: false,
        detail: `the parent release ${m.handle.workflowId} asked a for nothing: ignored`,
      }),
    ]);
  });
});

function expectEachQueueServesItsOwn(m: Multi, releaseId: string): void {
  const byQueue = (q: string) => new Set(m.log.filter((l) => l.queue === q).map((l) => l.workflowId));
  expect([...byQueue('hwayo-a')]).toEqual([`${releaseId}-a`]);
  expect([...byQueue('hwayo-b')]).toEqual([`${releaseId}-b`]);
  const mainQueue = m.log.filter((l) => l.queue !== 'hwayo-a' && l.queue !== 'hwayo-b');
  // The main queue runs the parent's work, and of a child only its local readParentRollback (Temporal only).
  expect(mainQueue.some((l) => l.workflowId === releaseId)).toBe(true);
  const ofChildren = mainQueue.filter((l) => l.workflowId !== releaseId);
  expect(
    ofChildren.filter((l) => l.name !== 'readParentRollback' || !l.workflowId.startsWith(`${releaseId}-`)),
  ).toEqual([]);
  // Nothing that touches a cluster ran on the main queue.
  expect(mainQueue.map((l) => l.name).filter((n) => /Traffic|Namespace|Green|Rollout|Deployments/.test(n))).toEqual([]);
}

/** The report's cluster sections by cluster name. */
const sections = (result: ReleaseResult) =>
  Object.fromEntries((result.report.clusters ?? []).map((c) => [c.cluster, c]));

const sickB: Scripts = { canary: (ctx) => (ctx.weight === 30 ? { error_rate: 40 } : {}) };

test('sick canary in b, rollback-all: b rolls back at 30%, a (already at 100%) is rolled back too', async () => {
  await withMulti({ b: sickB, onFailure: 'rollback-all' }, async (m) => {
    await approveAll(m);
    const result = await m.handle.result();
    const byCluster = sections(result);
    expect(byCluster.b.outcome).toBe('rolled-back');
    expect(byCluster.b.weights).toEqual([5, 30, 0]);
    expect(byCluster.a.outcome).toBe('rolled-back-after-success');
    expect(byCluster.a.weights).toEqual([5, 25, 50, 100, 0]);
    expect(result.report.mixedVersions).toBeUndefined();
    expect(result.reason).toContain('every cluster is on the previous version');
    expectEachQueueServesItsOwn(m, result.report.releaseId);
  });
});

test('sick canary in b, rollback-failing: b rolls back, a holds at 100%; the outcome says the versions differ', async () => {
  await withMulti({ b: sickB, onFailure: 'rollback-failing' }, async (m) => {
    await approveAll(m);
    const result = await m.handle.result();
    const byCluster = sections(result);
    expect(byCluster.b.outcome).toBe('rolled-back');
    expect(byCluster.a.outcome).toBe('succeeded');
    expect(m.worlds.a.weights()).toEqual([5, 25, 50, 100]);
    expect(result.outcome).toBe('rolled-back');
    expect(result.report.mixedVersions).toEqual({ onNew: ['a'], onPrevious: ['b'] });
    expect(result.reason).toBe(
      'clusters end on different versions: a on 2.4.0; b on the previous version (b rolled-back)',
    );
  });
});

test('where the policy leaves incidents off, a failed multi-cluster release opens none, in the parent or a cluster', async () => {
  await withMulti({ b: sickB, onFailure: 'rollback-failing', policyOnly: true }, async (m) => {
    await approveAll(m);
    const result = await m.handle.result();
    expect(result.outcome).not.toBe('succeeded');
    const id = result.report.releaseId;
    const opened = async (releaseId: string) =>
      t.env.client.workflow
        .getHandle(incidentIdOf(releaseId))
        .describe()
        .then(
          () => true,
          () => false,
        );
    expect(await opened(id)).toBe(false);
    expect(await opened(clusterWorkflowId(id, 'b'))).toBe(false);
    const { events } = await m.handle.fetchHistory();
    expect(patchIds(events ?? [])).toContain('multi-cluster-incidents');
  });
});

test('an approval signed over another cluster list is refused; the gate stays open', async () => {
  await withMulti({}, async (m) => {
    expect(await m.approveAs('alice', ['a'])).toContain('clusters a, b');
    expect(await m.approveAs('alice', ['b', 'a'])).toContain('the signature does not verify');
    const s = await m.status();
    expect(s.stage).toBe('awaiting-approval');
    expect(s.missingRoles).toContain('tech-lead');
    expect(m.log.some((l) => l.queue === 'hwayo-a' || l.queue === 'hwayo-b')).toBe(false);
    await m.handle.cancel();
    await m.handle.result().catch(() => undefined);
  });
});

test('a gate before wave 2: nothing runs in b until a signed promote opens it; an unsigned one is refused', async () => {
  const gated: Wave[] = [TWO_WAVES[0], { ...TWO_WAVES[1], gate: true }];
  await withMulti({ waves: gated }, async (m) => {
    await approveAll(m);
    // Time is skipped only while no fake activity runs (it would outlive its heartbeat timeout in skipped time).
    const idle = () => Object.values(m.worlds).every((w) => w.inFlight === 0);
    const atGate = await waitForStatus(
      m.status,
      (s) => s.stage === 'wave-gate',
      () => (idle() ? t.env.sleep(5 * 60_000) : Promise.resolve()),
      90_000,
    );
    expect(atGate.pendingDecision?.kind).toBe('wave-gate');
    expect(atGate.multiCluster?.rows.map((r) => [r.cluster, r.stage])).toEqual([
      ['a', 'retention'],
      ['b', 'waiting'],
    ]);
    expect(m.log.some((l) => l.queue === 'hwayo-b')).toBe(false);
    const refused = await m.handle.executeUpdate(promoteUpdate, { args: [{ by: 'alice', reason: 'unsigned' }] }).then(
      () => 'accepted',
      (e: { cause?: Error }) => e.cause?.message ?? 'refused',
    );
    expect(refused).toMatch(/sign/);
    const s = await m.status();
    const { runId } = await m.handle.describe();
    const signedAt = new Date(await t.env.currentTimeMs()).toISOString();
    const base = { workflowId: m.handle.workflowId, runId, action: 'promote' as const, by: 'alice', signedAt };
    const statement = controlStatement({ ...base, reason: 'a looks good' }, s)!;
    await m.handle.executeUpdate(promoteUpdate, {
      args: [
        {
          by: 'alice',
          reason: 'a looks good',
          signedAt,
          nonce: s.nonce,
          signature: signControlStatement(statement, secrets.alice),
        },
      ],
    });
    const result = await m.handle.result();
    expect(result.outcome).toBe('succeeded');
    expect(result.report.timeline.map((e) => e.event)).toContain('wave 2 opened by alice');
  });
});

test('a plan naming a cluster the policy does not register is refused before anything runs', async () => {
  const waves: Wave[] = [{ clusters: [{ name: 'a' }, { name: 'x' }], bakeMs: 0, gate: false }];
  await withMulti({ waves, refused: true }, async (m) => {
    const result = await m.handle.result();
    expect(result.outcome).toBe('invalid-input');
    expect(result.reason).toContain('cluster "x" is not registered in the platform policy (registered: a, b)');
    const calls = m.log.filter((l) => l.name !== 'appendAuditLog');
    expect(calls.map((l) => [l.queue.startsWith('hwayo-') ? l.queue : 'main', l.name])).toEqual([
      ['main', 'readPlatformPolicy'],
    ]);
  });
});

test('two clusters in one wave run side by side', async () => {
  const oneWave: Wave[] = [{ clusters: [{ name: 'a' }, { name: 'b', steps: B_STEPS }], bakeMs: 0, gate: false }];
  await withMulti({ waves: oneWave }, async (m) => {
    await approveAll(m);
    const result = await m.handle.result();
    expect(result.outcome).toBe('succeeded');
    // Each started before the other reached 100%.
    const first100 = (q: string) => m.log.findIndex((l) => l.queue === q && l.name === 'scaleDeployments');
    const start = (q: string) => m.log.findIndex((l) => l.queue === q);
    expect(start('hwayo-b')).toBeLessThan(first100('hwayo-a'));
    expect(start('hwayo-a')).toBeLessThan(first100('hwayo-b'));
    expect(m.worlds.b.weights()).toEqual([5, 30, 60, 100]);
    expectEachQueueServesItsOwn(m, result.report.releaseId);
  });
});

test('rollback-all in one wave: b fails at 30%, a (still in its canary) is rolled back before it reaches 100%', async () => {
  const oneWave: Wave[] = [{ clusters: [{ name: 'a' }, { name: 'b', steps: B_STEPS }], bakeMs: 0, gate: false }];
  await withMulti({ waves: oneWave, b: sickB, onFailure: 'rollback-all' }, async (m) => {
    await approveAll(m);
    const result = await m.handle.result();
    const byCluster = sections(result);
    expect(byCluster.b.outcome).toBe('rolled-back');
    expect(byCluster.a.outcome).toBe('rolled-back');
    expect(byCluster.a.reason).toContain('regression: wave 1 failed in b (onFailure rollback-all)');
    expect(m.worlds.a.weights()).not.toContain(100);
    expect(m.worlds.a.weights().at(-1)).toBe(0);
  });
});

test("an abort of the parent during wave 1 rolls back a's canary; b never starts", async () => {
  await withMulti({}, async (m) => {
    await approveAll(m);
    await untilRowA(m, (a) => a.stage === 'canary' && a.weight === 25);
    await m.handle.executeUpdate(abortUpdate, { args: [{ by: 'ops-bot', reason: 'incident elsewhere' }] });
    const result = await m.handle.result();
    const byCluster = sections(result);
    expect(byCluster.a.outcome).toBe('rolled-back');
    expect(byCluster.b.outcome).toBeUndefined();
    expect(byCluster.b.reason).toBe('held: an earlier wave failed');
    expect(result.reason).toBe('every cluster is on the previous version (a rolled-back)');
    expect(m.log.some((l) => l.queue === 'hwayo-b')).toBe(false);
  });
});
