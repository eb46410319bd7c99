// Replays committed histories of real runs (the Temporal test server's, and a demo release on the dev server with the
// real activities, signed approvals and a rollback after success) against today's workflow code: a change that would
// break releases already in flight (non-determinism) fails here. A committed history is never re-recorded in place: a
// behaviour change goes behind a new patched() name and a new recording is added under a new name (docs/patches.md;
// test/histories/SHA256SUMS pins every file, test/unit/histories-checksums.test.ts).
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { replaySinks } from '../../src/worker/metrics';
import { bundle } from './env';
import { patchIds } from './harness';

jest.setTimeout(120_000);
const dir = join(__dirname, '..', 'histories');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
let current: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  current = await bundle();
});

test('histories of every kind of release are committed', () => {
  expect(files).toEqual([
    'alternated.json',
    'continued-run-1.json',
    'continued-run-2.json',
    'emergency.json',
    'paused-and-resumed.json',
    'rejected.json',
    'release-hwayo-2.4.0-demo.20261126153027.json',
    'rolled-back-at-25.json',
    'succeeded-before-alternation.json',
    'succeeded-before-baseline-recheck.json',
    'succeeded.json',
  ]);
});

// Signed approvals name the workflow id, so a history exported from a real release replays under its
// own id: such files are named after it (release-<app>-<version>.json).
const ROOT = join(__dirname, '..', '..');
const load = (file: string) => historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));

test.each(files)('%s replays against the current workflow code', async (file) => {
  const history = load(file);
  // The size of each kind of release, so growth is visible in CI's log (Temporal warns at 10,240 events).
  console.log(`replay: ${file}: ${history.events?.length ?? 0} events`);
  await expect(
    Worker.runReplayHistory({ workflowBundle: current, sinks: replaySinks() }, history, file.replace(/\.json$/, '')),
  ).resolves.toBeUndefined();
});

/**
 * The real workflow with one real `patched()` guard taken out, bundled from a copy of src/: the guarded
 * command then runs for every history, and one recorded before the guard existed must fail replay.
 * This proves that the guard is what keeps releases started before it replaying, and that replay can fail.
 */
async function bundleWithoutGuard(name: string): Promise<WorkflowBundleWithSourceMap> {
  const copy = mkdtempSync(join(ROOT, '.replay-unpatched-'));
  try {
    cpSync(join(ROOT, 'src'), join(copy, 'src'), { recursive: true });
    // The guard is wherever its stages live (one patch may guard commands in several files): every one goes.
    const workflows = join(copy, 'src', 'workflows');
    const guard = `patched('${name}')`;
    const holders = readdirSync(workflows, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && readFileSync(join(workflows, f), 'utf8').includes(guard),
    );
    if (!holders.length) throw new Error(`no file of src/workflows has the ${guard} guard`);
    for (const holder of holders) {
      const file = join(workflows, holder);
      writeFileSync(file, readFileSync(file, 'utf8').split(guard).join('true'));
    }
    return await bundleWorkflowCode({
      workflowsPath: join(copy, 'src', 'workflows'),
      logger: new DefaultLogger('WARN'),
    });
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

test('the real workflow without its baseline-after-approval guard fails to replay a release recorded before it', async () => {
  const unguarded = await bundleWithoutGuard('baseline-after-approval');
  // Recorded (the `succeeded` scenario) with the workflow of 0536e64, the commit before the guard: the
  // release-baseline check ran, approval came within the freshness window, and nothing was re-checked.
  const before = 'succeeded-before-baseline-recheck.json';
  // The history predates the guard: no patch marker, and no baseline re-check after approval.
  expect(load(before).events?.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toBe(false);
  await expect(
    Worker.runReplayHistory(
      { workflowBundle: unguarded, sinks: replaySinks() },
      load(before),
      before.replace(/\.json$/, ''),
    ),
  ).rejects.toThrow(DeterminismViolationError);
  // With the guard in place the same history replays: see '%s replays against the current workflow code'.
});

// Every other patch that changes commands on a path a committed history recorded before it took: without its guard
// the history must fail, at the command the patch changed. The patches no history can catch this way are listed in
// docs/patches.md with the reason.
const guarded: [name: string, before: string, changed: string][] = [
  // Started with an input today's validation refuses: the unguarded workflow returns at once.
  ['validate-input', 'rejected.json', 'Complete workflow machine does not handle this event'],
  // Signed approvals whose statements name no version, tag or plan digest: refused, so the approval timer the
  // decision cancelled is never cancelled.
  ['approval-v2', 'release-hwayo-2.4.0-demo.20261126153027.json', 'No command scheduled for event'],
  // 1,603 events in one run: past EVENTS_PER_RUN the unguarded workflow continues as new between two looks.
  ['bounded-history', 'succeeded.json', 'Continue as new workflow machine does not handle this event'],
  // Paused at a canary step for longer than an analysis interval: before the guard nothing was looked at.
  ['pause-keeps-analysis', 'paused-and-resumed.json', 'Timer fired event did not have expected timer id'],
  // Every release writes its audit log after preflight: unguarded, an activity no history scheduled.
  ['audit-log', 'succeeded.json', 'Activity machine does not handle this event'],
  // Every release asks the stop-the-line before it starts: the unguarded workflow schedules that read first.
  ['stop-the-line', 'succeeded.json', 'Activity machine does not handle this event'],
  // Rolled back at 25%: the unguarded workflow starts the incident child where the history ends the release's UI.
  ['incident-child', 'rolled-back-at-25.json', 'Child workflow machine does not handle this event'],
  // A rollback in retention whose reason names no category: the update is refused where the history accepted it.
  ['rollback-reason', 'release-hwayo-2.4.0-demo.20261126153027.json', 'Update machine does not handle this event'],
];

test.each(guarded)(
  'the real workflow without its %s guard fails to replay %s, recorded before it',
  async (name, before, changed) => {
    expect(patchIds(load(before).events ?? [])).not.toContain(name);
    const unguarded = await bundleWithoutGuard(name);
    const err = await Worker.runReplayHistory(
      { workflowBundle: unguarded, sinks: replaySinks() },
      load(before),
      before.replace(/\.json$/, ''),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeterminismViolationError);
    expect((err as Error).message).toContain(changed);
  },
);

test('a workflow that changed the order of its steps fails replay', async () => {
  const changed = await bundleWorkflowCode({
    workflowsPath: require.resolve('./fixtures/reordered-release'),
    logger: new DefaultLogger('WARN'),
  });
  const history = historyFromJSON(JSON.parse(readFileSync(join(dir, 'succeeded.json'), 'utf8')));
  await expect(
    Worker.runReplayHistory({ workflowBundle: changed, sinks: replaySinks() }, history, 'succeeded.json'),
  ).rejects.toThrow(DeterminismViolationError);
});
