// Chaos 5: Prometheus goes down during a canary step. Missing metrics are inconclusive, never a pass:
// after the plan's inconclusiveLimit the release pauses for a person and does not move traffic on.
// Prometheus comes back, `hwayo-release resume` continues, and the release completes.
import { cliOk } from '../integration/cli-runner';
import { killStackProcess, shortPlan, sleep, startComponent, until } from './harness';
import { all, begin, defaultPoints, drive, finish, idle, inStage, useChaosWorker } from './releases';
import { routeWrites } from './invariants';
import type { ReleaseStatus } from '../../src/workflows/definitions';

jest.setTimeout(10 * 60_000);
const { dir, taskQueue } = useChaosWorker('prom', () => startComponent('prometheus'));

const status = async (id: string) =>
  (JSON.parse(await cliOk('status', id, '--json')) as { status?: ReleaseStatus }).status;

test('chaos 5: Prometheus down at canary 25%: inconclusive, paused for a person, never promoted; back up, resume completes it', async () => {
  const run = await begin(
    'healthy',
    shortPlan(dir, 'plan', {
      steps: [
        { weight: 5, watch: '6s' },
        { weight: 25, watch: '20s' },
        { weight: 50, watch: '6s' },
      ],
    }),
    taskQueue,
  );
  await drive(
    run,
    [...defaultPoints('healthy'), { name: 'canary 25% mid-window', when: all(inStage('canary', 25), idle) }],
    async () => {
      await killStackProcess('prometheus', 'SIGKILL');
      return { downMs: 0, restartedAt: Date.now() };
    },
  );
  const paused = await until(
    'paused on inconclusive metrics',
    async () => {
      const s = await status(run.id);
      return s?.pendingDecision?.kind === 'inconclusive-metrics' ? s : undefined;
    },
    90_000,
    500,
  );
  expect(paused).toMatchObject({ stage: 'canary', greenWeight: 25, paused: true });
  expect(paused.lastAnalysis?.verdict).toBe('inconclusive');
  // It waits for a person: well past the 20 s window, traffic has not moved on.
  await sleep(25_000);
  expect(await status(run.id)).toMatchObject({ stage: 'canary', greenWeight: 25, paused: true });
  expect((await routeWrites(run.from, new Date())).map((w) => w.label)).toEqual(['green 5%', 'green 25%']);

  startComponent('prometheus');
  await cliOk('resume', run.id, '--by', 'chaos-suite', '--reason', 'Prometheus is back');
  const f = await finish(run);
  expect(f.problems).toEqual([]);
  expect(f.result.outcome).toBe('succeeded');
  expect(f.summary.routeWrites).toEqual(['green 5%', 'green 25%', 'green 50%', 'green 100%']);
  const step25 = f.result.report.steps.find((s) => s.weight === 25)!;
  expect(step25.pausedMs).toBeGreaterThan(20_000);
  expect(f.result.report.analyses.filter((a) => a.verdict === 'inconclusive').length).toBeGreaterThanOrEqual(3);
  expect(f.result.report.audit.some((a) => a.action === 'resume' && a.accepted)).toBe(true);
});
