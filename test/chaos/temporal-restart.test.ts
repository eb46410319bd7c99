// Chaos 3: the Temporal dev server is SIGKILLed mid-canary and restarted from its persisted state
// (scripts/stack/components/temporal.sh: --db-filename .stack/temporal/temporal.db). The worker and
// the CLI reconnect by themselves; the release completes as a fault-free one does.
import { killStackProcess, shortPlan, sleep, startComponent } from './harness';
import { all, begin, defaultPoints, drive, finish, idle, inStage, useChaosWorker } from './releases';

jest.setTimeout(10 * 60_000);
const { dir, taskQueue } = useChaosWorker('temporal', () => startComponent('temporal'));

test('chaos 3: Temporal server SIGKILLed at canary 25% and restarted from its database: the release completes', async () => {
  const run = await begin('healthy', shortPlan(dir, 'plan'), taskQueue);
  let downMs = 0;
  await drive(
    run,
    [...defaultPoints('healthy'), { name: 'canary 25% mid-window', when: all(inStage('canary', 25), idle) }],
    async () => {
      const t0 = Date.now();
      await killStackProcess('temporal', 'SIGKILL');
      await sleep(2000);
      startComponent('temporal');
      downMs = Date.now() - t0;
      return { downMs, restartedAt: Date.now() };
    },
  );
  const f = await finish(run);
  console.log(`Temporal server down ${downMs} ms (kill, 2 s, restart until ready); release ${f.result.outcome}`);
  expect(f.problems).toEqual([]);
  expect(f.result.outcome).toBe('succeeded');
  expect(f.summary.routeWrites).toEqual(['green 5%', 'green 25%', 'green 50%', 'green 100%']);
  expect(f.summary.steps).toEqual(['5% passed', '25% passed', '50% passed', '100% passed']);
});
