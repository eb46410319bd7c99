import { SA_OUTCOME, SA_STAGE, SA_WEIGHT } from '../../src/workflows/definitions';
import { useWorkflowEnv } from './env';
import { HOUR, MIN, runHistories, withRelease } from './harness';

jest.setTimeout(120_000);
const t = useWorkflowEnv();

test('a default release runs every seed stage in order, watches each step for its window and keeps blue 24 h', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ world, handle }) => {
    const wallStart = Date.now();
    const result = await handle.result();
    const wallMs = Date.now() - wallStart;

    expect(result.outcome).toBe('succeeded');
    expect(result.weights).toEqual([5, 25, 50, 100]);
    expect(result.report.steps.map((s) => [s.weight, s.plannedMs, s.result])).toEqual([
      [5, 15 * MIN, 'passed'],
      [25, 30 * MIN, 'passed'],
      [50, 30 * MIN, 'passed'],
      [100, 10 * MIN, 'passed'],
    ]);
    for (const s of result.report.steps) {
      expect(s.elapsedMs).toBeGreaterThanOrEqual(s.plannedMs);
      expect(s.elapsedMs).toBeLessThan(s.plannedMs + 5_000);
      expect(s.pausedMs).toBe(0);
    }
    // One analysis per minute of watching (the last one of each window checks the healthy thresholds).
    expect(world.named('queryMetrics')).toHaveLength(15 + 30 + 30 + 10);
    expect(result.report.analyses.filter((a) => a.kind === 'window-end')).toHaveLength(4);
    expect(result.report.analyses.every((a) => a.verdict === 'pass')).toBe(true);
    // The blue-green side effects, in order; nothing of the rollback path ran.
    expect(world.sequence(['queryMetrics', 'checkServiceHealth', 'runCheck', 'postSlack', 'storeReport'])).toEqual([
      'findLiveEnvironment',
      'createNamespace',
      'copySecretsAndConfig',
      'deployGreen',
      'waitForRollout',
      'setTrafficWeight',
      'setTrafficWeight',
      'setTrafficWeight',
      'setTrafficWeight',
      'smokeTest',
      'backupNamespace',
      'scaleDeployments',
      'deleteNamespace',
    ]);
    expect(world.named('deployGreen')[0].args).toMatchObject({
      from: 'hwayo-production',
      to: 'hwayo-production-green',
      imageTag: '1234-abc1234',
    });
    expect(world.named('scaleDeployments')[0].args).toEqual({ namespace: 'hwayo-production', replicas: 1 });
    expect(world.named('deleteNamespace')[0].args).toMatchObject({ name: 'hwayo-production' });
    // 17 preflight checks, and the release baseline once more after approval.
    expect(world.named('runCheck')).toHaveLength(18);
    expect((world.named('runCheck')[17].args as { check: { kind: string } }).check.kind).toBe('release-baseline');
    // The security-evidence check ties CI's reports to this release: app, version and image tag (threat 11).
    const evidenceCheck = world
      .named('runCheck')
      .find((c) => (c.args as { check: { kind: string } }).check.kind === 'security-evidence');
    expect((evidenceCheck?.args as { context: object }).context).toMatchObject({
      app: 'hwayo',
      version: expect.any(String),
      imageTag: '1234-abc1234',
      // The emergency path would deploy it: the evidence must cover its images too.
      lastKnownGoodTag: '1200-0ld600d',
    });
    expect(result.report.compensations).toEqual([]);
    // The stored report names the plan digest the approvals signed (the release attestation binds it)...
    expect(result.report.planDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // ...and the images green ran, carried across the runs the release continued as new in.
    expect(result.report.images).toEqual(
      ['api-gateway', 'auth-service', 'notification-service', 'report-generator', 'web-app', 'workflow-engine'].map(
        (s) => `registry.local/hwayo-${s}:1234-abc1234`,
      ),
    );
    for (const c of world.named('storeReport'))
      expect(JSON.parse((c.args as { json: string }).json).planDigest).toBe(result.report.planDigest);
    // Blue is deleted only after the 24 h retention window.
    const started = Date.parse(result.report.startedAt);
    const retention = result.report.timeline.find((t) => t.event.startsWith('retention window over'))!;
    const promoted = result.report.timeline.find((t) => t.stage === 'retention')!;
    expect(Date.parse(retention.at) - Date.parse(promoted.at)).toBeGreaterThanOrEqual(24 * HOUR);
    expect(Date.parse(retention.at) - Date.parse(promoted.at)).toBeLessThan(24 * HOUR + 1_000);
    expect(Date.parse(result.report.finishedAt) - started).toBeGreaterThan(25 * HOUR + 25 * MIN);
    // Notifications: approval request, each canary step, success; nobody paged.
    const slack = world
      .named('postSlack')
      .map((c) => c.args as { channel: string; text: string; idempotencyKey: string });
    expect(slack.map((m) => m.channel)).toEqual(Array(6).fill('#hwayo-releases'));
    expect(slack.map((m) => m.idempotencyKey.split(':').pop())).toEqual([
      'approval-requested',
      'canary-5',
      'canary-25',
      'canary-50',
      'succeeded',
      'blue-retired',
    ]);
    // Threat 10: keys carry the (first) run id, so a release started again under this id is not silenced by
    // these records; the runs it continues into keep the first run's id, so each key stays one notification.
    expect(slack.every((m) => m.idempotencyKey.startsWith(`${handle.workflowId}:${handle.firstExecutionRunId}:`))).toBe(
      true,
    );
    expect(new Set(slack.map((m) => m.idempotencyKey)).size).toBe(slack.length);
    expect(world.named('sendPage')).toHaveLength(0);
    // The report was stored when promoted and again at the end.
    expect(world.named('storeReport')).toHaveLength(2);
    const md = (world.named('storeReport')[1].args as { markdown: string }).markdown;
    expect(md).toContain('Outcome: **succeeded**');
    expect(md).toContain('| 25% | 30m | 30m | 0ms | passed |');
    // The Temporal UI sees where the release ended.
    const desc = await handle.describe();
    expect(desc.typedSearchAttributes.get(SA_OUTCOME)).toBe('succeeded');
    expect(desc.typedSearchAttributes.get(SA_STAGE)).toBe('done');
    expect(desc.typedSearchAttributes.get(SA_WEIGHT)).toBe(100);
    // Bounded history: the release continued as new between two looks of a watch; every run,
    // the first included, stays under the per-run bound, and the status and search attributes followed.
    expect(desc.runId).not.toBe(handle.firstExecutionRunId);
    const runs = (await runHistories(t.env, handle)).map((events) => events.length);
    console.log(`default release: events per run ${runs.join(', ')}`);
    expect(runs.length).toBeGreaterThan(1);
    expect(Math.max(...runs)).toBeLessThanOrEqual(1_500);
    console.log(
      `default release: ${((Date.parse(result.report.finishedAt) - started) / HOUR).toFixed(2)} h of workflow time in ${wallMs} ms wall`,
    );
  });
});

test('after a success the pair alternates: production is in the green namespace, so this release deploys into the other one', async () => {
  await withRelease(t.env, t.bundle, { scripts: { live: 'hwayo-production-green' } }, async ({ world, handle }) => {
    const result = await handle.result();
    expect(result.outcome).toBe('succeeded');
    expect(world.named('findLiveEnvironment').map((c) => c.args)).toEqual([
      {
        route: expect.objectContaining({ name: 'hwayo-canary' }),
        namespaces: ['hwayo-production', 'hwayo-production-green'],
      },
    ]);
    // Found before any check runs (only the platform policy and the stop-the-line are read before it), so the
    // checks (cluster-policies, release-baseline) look at the live side.
    expect(world.calls.slice(0, 3).map((c) => c.name)).toEqual([
      'readPlatformPolicy',
      'readStopTheLine',
      'findLiveEnvironment',
    ]);
    const contexts = world
      .named('runCheck')
      .map((c) => (c.args as { context: { blueNamespace: string; greenNamespace: string } }).context);
    expect(
      contexts.every((c) => c.blueNamespace === 'hwayo-production-green' && c.greenNamespace === 'hwayo-production'),
    ).toBe(true);
    expect(world.named('createNamespace')[0].args).toMatchObject({ name: 'hwayo-production' });
    expect(world.named('deployGreen')[0].args).toMatchObject({
      from: 'hwayo-production-green',
      to: 'hwayo-production',
    });
    expect(world.named('setTrafficWeight').map((c) => c.args)).toEqual(
      [5, 25, 50, 100].map((greenWeight) =>
        expect.objectContaining({
          blueNamespace: 'hwayo-production-green',
          greenNamespace: 'hwayo-production',
          greenWeight,
        }),
      ),
    );
    // The canary's metrics are read from the namespace the new version runs in.
    const firstCanaryQuery = (world.named('queryMetrics')[0].args as { queries: { promql: string }[] }).queries[0]
      .promql;
    expect(firstCanaryQuery).toContain('namespace="hwayo-production"');
    // The old production (now blue) is retired after the retention window.
    expect(world.named('deleteNamespace').map((c) => (c.args as { name: string }).name)).toEqual([
      'hwayo-production-green',
    ]);
    expect(result.report.timeline.map((e) => e.event)).toContainEqual(
      expect.stringContaining("blue hwayo-production-green, green hwayo-production (the plan's names swapped)"),
    );
  });
});

test('a route that splits traffic keeps the plan order (the baseline check then refuses); alternate: false never looks', async () => {
  await withRelease(t.env, t.bundle, { scripts: { live: null }, approve: false }, async ({ world, waitFor }) => {
    const s = await waitFor((x) => x.stage === 'awaiting-approval');
    expect(s.environments).toEqual({ blue: 'hwayo-production', green: 'hwayo-production-green' });
    expect(world.named('findLiveEnvironment')).toHaveLength(1);
  });
  await withRelease(
    t.env,
    t.bundle,
    {
      scripts: { live: 'hwayo-production-green' },
      approve: false,
      plan: (p) => {
        p.environments.alternate = false;
      },
    },
    async ({ world, waitFor }) => {
      const s = await waitFor((x) => x.stage === 'awaiting-approval');
      expect(s.environments).toEqual({ blue: 'hwayo-production', green: 'hwayo-production-green' });
      expect(world.named('findLiveEnvironment')).toHaveLength(0);
    },
  );
});
