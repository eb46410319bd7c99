import { ApplicationFailure } from '@temporalio/common';
import { defaultPlan } from '../../src/plan/load';
import { useWorkflowEnv } from './env';
import { firingValue } from './fake-world';
import { MIN, withRelease } from './harness';

jest.setTimeout(120_000);
const t = useWorkflowEnv();

const triggers = defaultPlan().metrics.filter((m) => m.rollback);
const stages = [5, 25, 50, 100];
const cases = triggers.flatMap((m) => stages.map((weight) => [m.name, weight, firingValue(m)] as const));

// The rollback path, newest compensation first: traffic back to blue, blue ready + healthy, green deleted.
const ROLLBACK_TAIL = ['setTrafficWeight', 'waitForRollout', 'deleteNamespace'];

test("the default plan has the seed's eight metric triggers", () => {
  expect(triggers.map((m) => [m.name, m.rollback])).toEqual([
    ['error_rate', { above: 5 }],
    ['p95_latency', { above: 5 }],
    ['cpu', { above: 95 }],
    ['memory', { above: 95 }],
    ['login_success', { below: 90 }],
    ['data_submission_success', { below: 95 }],
    ['report_generation_success', { below: 98 }],
    ['api_availability', { below: 99 }],
  ]);
});

test.each(cases)('%s trigger fires at %i%% and rolls back at once', async (metric, weight, value) => {
  // The trigger fires on the third analysis at the target weight.
  let ticksAtWeight = 0;
  await withRelease(
    t.env,
    t.bundle,
    {
      scripts: { canary: (ctx) => (ctx.weight === weight && ++ticksAtWeight >= 3 ? { [metric]: value } : {}) },
    },
    async ({ world, handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('rolled-back');
      expect(result.reason).toContain(`${metric} `);
      expect(result.reason).toContain('(rollback trigger)');
      expect(result.weights).toEqual([...stages.slice(0, stages.indexOf(weight) + 1), 0]);
      const last = result.report.steps[result.report.steps.length - 1];
      expect(last.weight).toBe(weight);
      expect(last.elapsedMs).toBeGreaterThanOrEqual(3 * MIN);
      expect(last.elapsedMs).toBeLessThan(3 * MIN + 5_000);
      expect(result.report.compensations).toEqual(['traffic-to-blue', 'verify-blue', 'delete-green']);
      const tail = world
        .sequence([
          'queryMetrics',
          'checkServiceHealth',
          'runCheck',
          'postSlack',
          'storeReport',
          'sendPage',
          'sendEmail',
        ])
        .slice(-3);
      expect(tail).toEqual(ROLLBACK_TAIL);
      expect(world.named('waitForRollout').pop()!.args).toMatchObject({ namespace: 'hwayo-production' });
      expect(world.named('deleteNamespace').pop()!.args).toMatchObject({ name: 'hwayo-production-green' });
      // Critical: on-call paged once per kind of event of this run (threat 10: dedup key = release id, run id
      // and kind, so a restarted release or another kind is not folded into an old incident), mail and #hwayo-critical.
      const pages = world.named('sendPage').map((c) => c.args as { dedupKey: string; action: string });
      // The fake world sends each message once and never fails: exactly one of each, no retry, no repeat.
      expect(pages.map((p) => [p.dedupKey, p.action])).toEqual([
        [`${handle.workflowId}:${handle.firstExecutionRunId}:rollback-started`, 'trigger'],
      ]);
      const critical = world
        .named('postSlack')
        .filter((c) => (c.args as { channel: string }).channel === '#hwayo-critical');
      expect(critical).toHaveLength(1);
      expect(world.named('sendEmail')).toHaveLength(1);
    },
  );
});

test.each(stages)('green health failing more than 3 times in a row at %i%% rolls back', async (weight) => {
  await withRelease(
    t.env,
    t.bundle,
    {
      scripts: { serviceHealth: (ctx) => !(ctx.namespace === 'hwayo-production-green' && ctx.weight === weight) },
    },
    async ({ handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('rolled-back');
      expect(result.reason).toContain('health check failed 4 times in a row');
      expect(result.weights).toEqual([...stages.slice(0, stages.indexOf(weight) + 1), 0]);
      const last = result.report.steps[result.report.steps.length - 1];
      expect(last.elapsedMs).toBeGreaterThanOrEqual(4 * MIN);
      expect(last.elapsedMs).toBeLessThan(4 * MIN + 5_000);
    },
  );
});

test('a healthy threshold missed at the end of a window rolls back after the full window', async () => {
  // 2% errors: below the 5% trigger, above the 1% healthy maximum.
  await withRelease(
    t.env,
    t.bundle,
    { scripts: { canary: (ctx) => (ctx.weight === 25 ? { error_rate: 2 } : {}) } },
    async ({ handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('rolled-back');
      expect(result.reason).toBe('canary at 25%: error_rate 2 > 1 (healthy maximum)');
      expect(result.weights).toEqual([5, 25, 0]);
      expect(result.report.steps[1]).toMatchObject({ weight: 25, plannedMs: 30 * MIN });
      expect(result.report.steps[1].elapsedMs).toBeGreaterThanOrEqual(30 * MIN);
      expect(result.report.analyses.filter((a) => a.weight === 25 && a.verdict === 'unhealthy')).toHaveLength(1);
    },
  );
});

test('canary compared with stable: a canary error rate more than 1 point over stable rolls back', async () => {
  await withRelease(
    t.env,
    t.bundle,
    {
      plan: (plan) => {
        plan.metrics.find((m) => m.name === 'error_rate')!.compareToStable = { maxIncrease: 1 };
      },
      scripts: { canary: (ctx) => (ctx.weight === 5 ? { error_rate: 1.8 } : {}), stable: () => ({ error_rate: 0.3 }) },
    },
    async ({ handle, world }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('rolled-back');
      expect(result.reason).toContain('error_rate canary 1.8 > stable 0.3 + 1');
      expect(result.weights).toEqual([5, 0]);
      const stableQueries = world
        .named('queryMetrics')
        .filter((c) => JSON.stringify(c.args).includes('namespace=\\"hwayo-production\\"'));
      expect(stableQueries.length).toBeGreaterThan(0);
    },
  );
});

test('green that never becomes ready is deleted and no traffic moves', async () => {
  await withRelease(
    t.env,
    t.bundle,
    { scripts: { rolloutReady: (ns) => ns !== 'hwayo-production-green' } },
    async ({ world, handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('failed');
      expect(result.reason).toContain('green not ready within 10m');
      expect(result.weights).toEqual([]);
      expect(result.report.compensations).toEqual(['delete-green']);
      expect(world.named('setTrafficWeight')).toHaveLength(0);
      expect(world.named('deleteNamespace').map((c) => c.args)).toEqual([
        { name: 'hwayo-production-green', waitMs: 10 * MIN },
      ]);
    },
  );
});

// Patch verify-blue-rounds: blue is checked in up to healthCheckFailureLimit rounds (3) before a database restore.
const isBlueCheck = (c: { name: string; args: unknown }) =>
  c.name === 'checkServiceHealth' && (c.args as { namespace: string }).namespace === 'hwayo-production';

/** A release rolled back at 25% whose blue fails its first `failedRounds` health checks. */
function rollbackWithBlueFailing(failedRounds: number, check: Parameters<typeof withRelease>[3]): Promise<unknown> {
  let blueRounds = 0;
  return withRelease(
    t.env,
    t.bundle,
    {
      scripts: {
        canary: (ctx) => (ctx.weight === 25 ? { error_rate: 9 } : {}),
        serviceHealth: (ctx) => ctx.namespace !== 'hwayo-production' || ++blueRounds > failedRounds,
      },
    },
    check,
  );
}

test('blue failing one health round after a rollback is checked again and the rollback ends without the emergency', () =>
  rollbackWithBlueFailing(1, async ({ world, handle }) => {
    const result = await handle.result();
    expect(result.outcome).toBe('rolled-back');
    expect(world.calls.filter(isBlueCheck)).toHaveLength(2);
    expect(world.named('setMaintenanceMode')).toHaveLength(0);
    expect(world.named('snapshotDatabase')).toHaveLength(0);
    expect(result.report.timeline.map((e) => e.event)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^blue health round 1 of 3 failed \(.*HTTP 503.*\); checking again in 10 s$/),
        'blue verified healthy',
      ]),
    );
    // The rounds are spaced: a timer between the two checks of blue.
    const events = (await handle.fetchHistory()).events ?? [];
    const blueScheduled = events.flatMap((e, i) => {
      const a = e.activityTaskScheduledEventAttributes;
      const input =
        a?.activityType?.name === 'checkServiceHealth'
          ? (a.input?.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString()).join()
          : '';
      return input.includes('hwayo-production') && !input.includes('hwayo-production-green') ? [i] : [];
    });
    expect(blueScheduled).toHaveLength(2);
    expect(events.slice(blueScheduled[0], blueScheduled[1]).filter((e) => e.timerStartedEventAttributes)).toHaveLength(
      1,
    );
  }));

// Unhealthy in the three rounds of its verification (healthy later, whatever the emergency checks).
test('blue unhealthy in every round: three rounds, then the emergency path', () =>
  rollbackWithBlueFailing(3, async ({ world, handle }) => {
    const result = await handle.result();
    expect(result.outcome).toBe('emergency-recovered');
    const firstMaintenance = world.calls.findIndex((c) => c.name === 'setMaintenanceMode');
    expect(world.calls.slice(0, firstMaintenance).filter(isBlueCheck)).toHaveLength(3);
    const timeline = result.report.timeline.map((e) => e.event);
    expect(timeline.filter((e) => /^blue health round \d of 3 failed/.test(e))).toHaveLength(2);
    expect(timeline).toEqual(expect.arrayContaining([expect.stringMatching(/^blue verification failed: /)]));
  }));

test("blue failing verification after a rollback runs the emergency path in the seed's order", async () => {
  let blueWaits = 0;
  await withRelease(
    t.env,
    t.bundle,
    {
      plan: (p) => {
        p.database.snapshotTimeoutMs = 90 * MIN;
        p.database.restoreTimeoutMs = 3 * 60 * MIN;
      },
      scripts: {
        canary: (ctx) => (ctx.weight === 25 ? { error_rate: 9 } : {}),
        // Blue is not ready when first verified; after the database restore and redeploy it is.
        rolloutReady: (ns) => ns !== 'hwayo-production' || ++blueWaits > 1,
      },
    },
    async ({ world, handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('emergency-recovered');
      expect(result.weights).toEqual([5, 25, 0]);
      const seq = world.sequence([
        'queryMetrics',
        'checkServiceHealth',
        'runCheck',
        'postSlack',
        'storeReport',
        'sendEmail',
      ]);
      const from = seq.indexOf('setMaintenanceMode');
      expect(seq.slice(from)).toEqual([
        'setMaintenanceMode',
        'scaleDeployments',
        'scaleDeployments',
        'snapshotDatabase',
        'restoreDatabase',
        'switchDatabaseConnection',
        'scaleDeployments',
        'deployVersion',
        'waitForRollout',
        'setMaintenanceMode',
        'sendPage',
        'deleteNamespace',
      ]);
      // On-call is paged as the emergency begins, before the first emergency step.
      expect(seq.slice(from - 3, from)).toEqual(['setTrafficWeight', 'waitForRollout', 'sendPage']);
      expect(
        world
          .named('scaleDeployments')
          .slice(0, 2)
          .map((c) => c.args),
      ).toEqual([
        { namespace: 'hwayo-production', replicas: 0 },
        { namespace: 'hwayo-production-green', replicas: 0 },
      ]);
      const snapshot = world.named('snapshotDatabase')[0].args as {
        snapshotId: string;
        database: { instance: string };
      };
      expect(snapshot.snapshotId).toMatch(/^emergency-snapshot-\d{8}t\d{6}z$/);
      expect(snapshot.database.instance).toBe('hwayo-prod-db');
      // Threat 9: restored into an instance of this emergency (never one another release left), owned by this run.
      const restore = world.named('restoreDatabase')[0].args as { instance: string; owner: string };
      expect(restore).toMatchObject({
        database: { backupSnapshot: 'hwayo-prod-db-backup-latest', restoredInstance: 'hwayo-prod-db-restored' },
      });
      expect(restore.instance).toBe(
        `hwayo-prod-db-restored-${snapshot.snapshotId.slice('emergency-snapshot-'.length)}`,
      );
      expect(restore.owner).toBe(`${handle.workflowId}/${handle.firstExecutionRunId}`);
      expect(world.named('switchDatabaseConnection')[0].args).toEqual({
        namespaces: ['hwayo-production', 'hwayo-production-green'],
        secret: { name: 'hwayo-database', key: 'DATABASE_HOST' },
        endpoint: `${restore.instance}.rds.local`,
      });
      // Threat 9: snapshot and restore are heartbeating activities bounded by the plan's budgets, not 1 minute x 5.
      const scheduled = ((await handle.fetchHistory()).events ?? [])
        .map((e) => e.activityTaskScheduledEventAttributes)
        .filter((a) => a !== undefined && a !== null);
      const optionsOf = (type: string) => {
        const a = scheduled.find((x) => x.activityType?.name === type)!;
        return {
          scheduleToClose: Number(a.scheduleToCloseTimeout?.seconds),
          heartbeat: Number(a.heartbeatTimeout?.seconds),
          attempts: a.retryPolicy?.maximumAttempts ?? 0,
        };
      };
      // Heartbeat 10 s since the patch fast-recovery (30 s before): the worker's liveness heartbeat keeps it alive.
      expect(optionsOf('snapshotDatabase')).toEqual({ scheduleToClose: 90 * 60 + 120, heartbeat: 10, attempts: 0 });
      expect(optionsOf('restoreDatabase')).toEqual({ scheduleToClose: 3 * 3600 + 120, heartbeat: 10, attempts: 0 });
      expect(world.named('deployVersion')[0].args).toMatchObject({
        namespace: 'hwayo-production',
        imageTag: '1200-0ld600d',
      });
      expect(world.named('setMaintenanceMode').map((c) => (c.args as { on: boolean }).on)).toEqual([true, false]);
      expect(result.report.compensations).toEqual(['traffic-to-blue', 'verify-blue', 'delete-green']);
    },
  );
});

test('a green namespace that is not ours (createNamespace refuses to adopt it) is never deleted on the way out', async () => {
  await withRelease(
    t.env,
    t.bundle,
    {
      scripts: {
        createNamespace: (name) => {
          throw ApplicationFailure.nonRetryable(
            `namespace ${name} already exists and was not created by hwayo-release`,
            'NamespaceNotOwned',
          );
        },
      },
    },
    async ({ world, handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('failed');
      expect(result.reason).toContain('not created by hwayo-release');
      expect(world.named('deleteNamespace')).toEqual([]);
      expect(world.named('setTrafficWeight')).toEqual([]);
      expect(result.report.compensations).toEqual([]);
    },
  );
});
