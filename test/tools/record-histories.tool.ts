// Records workflow histories for the replay suite: `npm run histories:record`. Each scenario is a
// real run of the release workflow on the Temporal test server; the histories are committed so that
// a change that breaks determinism for releases already in flight fails `test/workflows/replay.test.ts`.
// A committed history is kept: a new recording goes under a new name (history-target.ts); add it to
// test/histories/SHA256SUMS and to the replay test's list (docs/patches.md says when a history may change).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { pauseUpdate, rejectSignal, resumeUpdate } from '../../src/workflows/definitions';
import { useWorkflowEnv } from '../workflows/env';
import { runHistories, withRelease, type RunOptions, type Run } from '../workflows/harness';
import { historyTarget } from './history-target';

jest.setTimeout(120_000);
const t = useWorkflowEnv();
const DIR = join(__dirname, '..', 'histories');
const DAY = new Date().toISOString().slice(0, 10);
/** Writes `history` (JSON) for scenario `name` and says where. */
function save(name: string, json: string): void {
  const path = historyTarget(DIR, name, DAY);
  writeFileSync(path, json + '\n');
  console.log(`recorded ${name}: ${path}`);
}

const scenarios: [string, RunOptions, (run: Run) => Promise<void>][] = [
  ['succeeded', {}, async () => undefined],
  // Production already in the plan's green namespace: the pair swaps.
  ['alternated', { scripts: { live: 'hwayo-production-green' } }, async () => undefined],
  [
    'rolled-back-at-25',
    { scripts: { canary: (c) => (c.weight === 25 && c.query > 20 ? { error_rate: 7 } : {}) } },
    async () => undefined,
  ],
  [
    'emergency',
    (() => {
      let blueWaits = 0;
      return {
        scripts: {
          canary: (c) => (c.weight === 50 ? { login_success: 80 } : {}),
          rolloutReady: (ns: string) => ns !== 'hwayo-production' || ++blueWaits > 1,
        },
      };
    })(),
    async () => undefined,
  ],
  [
    'rejected',
    { approve: false },
    async ({ handle, waitFor }) => {
      await waitFor((s) => s.stage === 'awaiting-approval');
      await handle.signal(rejectSignal, {
        approverId: 'qa-lead',
        role: 'qa-lead',
        decision: 'reject',
        comment: 'not ready',
      });
    },
  ],
  [
    'paused-and-resumed',
    {},
    async ({ handle, waitFor }) => {
      await waitFor((s) => s.greenWeight === 5 && s.window !== undefined);
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'alice', reason: 'looking at a report' }] });
      await t.env.sleep(5 * 60_000);
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'alice' }] });
    },
  ],
];

test.each(scenarios)('record %s', async (name, opts, drive) => {
  await withRelease(t.env, t.bundle, opts, async (run) => {
    await drive(run);
    const result = await run.handle.result();
    const history = await run.handle.fetchHistory();
    save(name, historyToJSON(history));
    expect(history.events?.length).toBeGreaterThan(10);
    expect(result.outcome).toBeDefined();
  });
});

// A default release continues as new mid-canary (src/workflows/checkpoint.ts): each run is a history of
// its own, and the second starts from the state the first carried.
test('record continued (one file per run)', async () => {
  await withRelease(t.env, t.bundle, {}, async (run) => {
    const result = await run.handle.result();
    expect(result.outcome).toBe('succeeded');
    const runs = await runHistories(t.env, run.handle);
    expect(runs.length).toBeGreaterThan(1);
    runs.forEach((events, i) => save(`continued-run-${i + 1}`, historyToJSON({ events })));
  });
});
