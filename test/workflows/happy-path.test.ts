import { SA_OUTCOME, SA_STAGE, SA_WEIGHT } from '../../src/workflows/definitions';
import { useWorkflowEnv } from './env';
import { HOUR, MIN, withRelease } from './harness';

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
      [5, 15 * MIN, 'passed'], [25, 30 * MIN, 'passed'], [50, 30 * MIN, 'passed'], [100, 10 * MIN, 'passed'],
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
      'createNamespace', 'copySecretsAndConfig', 'deployGreen', 'waitForRollout',
      'setTrafficWeight', 'setTrafficWeight', 'setTrafficWeight', 'setTrafficWeight',
      'backupNamespace', 'scaleDeployments', 'deleteNamespace',
    ]);
    expect(world.named('deployGreen')[0].args).toMatchObject({ from: 'hwayo-production', to: 'hwayo-production-green', imageTag: '1234-abc1234' });
    expect(world.named('scaleDeployments')[0].args).toEqual({ namespace: 'hwayo-production', replicas: 1 });
    expect(world.named('deleteNamespace')[0].args).toMatchObject({ name: 'hwayo-production' });
    expect(world.named('runCheck')).toHaveLength(12);
    expect(result.report.compensations).toEqual([]);
    // Blue is deleted only after the 24 h retention window.
    const started = Date.parse(result.report.startedAt);
    const retention = result.report.timeline.find((t) => t.event.startsWith('retention window over'))!;
    const promoted = result.report.timeline.find((t) => t.stage === 'retention')!;
    expect(Date.parse(retention.at) - Date.parse(promoted.at)).toBeGreaterThanOrEqual(24 * HOUR);
    expect(Date.parse(retention.at) - Date.parse(promoted.at)).toBeLessThan(24 * HOUR + 1_000);
    expect(Date.parse(result.report.finishedAt) - started).toBeGreaterThan(25 * HOUR + 25 * MIN);
    // Notifications: approval request, each canary step, success; nobody paged.
    const slack = world.named('postSlack').map((c) => c.args as { channel: string; text: string; idempotencyKey: string });
    expect(slack.map((m) => m.channel)).toEqual(Array(6).fill('#hwayo-releases'));
    expect(slack.map((m) => m.idempotencyKey.split(':').pop())).toEqual(['approval-requested', 'canary-5', 'canary-25', 'canary-50', 'succeeded', 'blue-retired']);
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
    console.log(`default release: ${((Date.parse(result.report.finishedAt) - started) / HOUR).toFixed(2)} h of workflow time in ${wallMs} ms wall`);
  });
});
