// Replays committed histories of real runs (the Temporal test server's, and a demo release on the dev
// server with the real activities, signed approvals and a rollback after success) against today's workflow code: a change that would break
// releases already in flight (non-determinism) fails here. Re-record deliberately with
// `npm run histories:record` (and use workflow patching for running releases) when behaviour changes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { replaySinks } from '../../src/worker/metrics';
import { bundle } from './env';

jest.setTimeout(120_000);
const dir = join(__dirname, '..', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
let current: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  current = await bundle();
});

test('histories of every kind of release are committed', () => {
  expect(files).toEqual([
    'alternated.json', 'emergency.json', 'paused-and-resumed.json', 'rejected.json', 'release-hwayo-2.4.0-demo.20261126153027.json',
    'rolled-back-at-25.json', 'succeeded-before-alternation.json', 'succeeded.json',
  ]);
});

// Signed approvals name the workflow id, so a history exported from a real release replays under its
// own id: such files are named after it (release-<app>-<version>.json).
test.each(files)('%s replays against the current workflow code', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  await expect(Worker.runReplayHistory({ workflowBundle: current, sinks: replaySinks() }, history, file.replace(/\.json$/, ''))).resolves.toBeUndefined();
});

test('a workflow that changed the order of its steps fails replay', async () => {
  const changed = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/reordered-release'), logger: new DefaultLogger('WARN') });
  const history = historyFromJSON(JSON.parse(readFileSync(join(dir, 'succeeded.json'), 'utf8')));
  await expect(Worker.runReplayHistory({ workflowBundle: changed, sinks: replaySinks() }, history, 'succeeded.json')).rejects.toThrow(DeterminismViolationError);
});
