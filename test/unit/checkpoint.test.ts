// Bounded history: when a run continues as new (src/workflows/checkpoint.ts), and why a
// carried state is believed only from the release itself.
import { defaultPlan } from '../../src/plan/load';
import { carriedProblem, checkpointDue, EVENTS_PER_RUN, runOriginProblems } from '../../src/workflows/checkpoint';
import type { ReleaseInput } from '../../src/workflows/definitions';
import { releaseInputProblems } from '../../src/workflows/input';

const at = {
  stage: 'canary',
  step: 2,
  window: { elapsedMs: 60_000, pausedMs: 0, counts: { inconclusiveRun: 0, healthFailures: 0 } },
};
const continued = { continuedFromRunId: 'run-1', attempt: 1 };
const carried = { state: { saga: ['traffic-to-blue', 'verify-blue', 'delete-green'] }, at };
const input = (extra: object): ReleaseInput => ({
  plan: defaultPlan(),
  version: '2.4.0',
  imageTag: '1234-abc1234',
  ...extra,
});

describe('checkpointDue', () => {
  test('only once the history passes the per-run bound, or the server suggests it', () => {
    expect(checkpointDue(EVENTS_PER_RUN - 1, false, true)).toBe(false);
    expect(checkpointDue(EVENTS_PER_RUN, false, true)).toBe(true);
    expect(checkpointDue(10, true, true)).toBe(true);
  });
  test('never while an update or signal handler is still running (it would be lost with the run)', () => {
    expect(checkpointDue(EVENTS_PER_RUN * 2, true, false)).toBe(false);
  });
});

describe('carried state', () => {
  test('a client that starts a release with carried state is refused: it would skip preflight and the gate', () => {
    expect(carriedProblem(carried, {}, 3)).toMatch(/^carried: only a run continued by the release itself/);
    const problems = releaseInputProblems(input({ carried }), 'release-1');
    expect(problems.some((p) => p.startsWith('carried: only a run continued'))).toBe(true);
  });
  test('a run the release continued itself may carry it; without carried state nothing changes', () => {
    expect(carriedProblem(carried, continued, 3)).toBeUndefined();
    expect(releaseInputProblems(input({ carried }), 'release-1', continued)).toEqual([]);
    expect(releaseInputProblems(input({}), 'release-1')).toEqual([]);
  });
  test('a malformed resume point is refused naming the field', () => {
    expect(carriedProblem({ ...carried, at: { ...at, stage: 'retention' } }, continued, 3)).toMatch(
      /^carried\.at\.stage/,
    );
    expect(carriedProblem({ ...carried, at: { ...at, step: 9 } }, continued, 3)).toMatch(/^carried\.at\.step/);
    expect(carriedProblem({ ...carried, at: { ...at, window: { elapsedMs: -1, pausedMs: 0 } } }, continued, 3)).toMatch(
      /^carried\.at\.window/,
    );
    expect(carriedProblem({ at }, continued, 3)).toMatch(/^carried\.state/);
  });
});

describe('how the run began', () => {
  test('a cron or retry run of a continued release gets the original input: its carried state is refused', () => {
    const why = /^carried: only a run continued by the release itself/;
    expect(carriedProblem(carried, { ...continued, cronSchedule: '* * * * *' }, 3)).toMatch(why);
    expect(carriedProblem(carried, { ...continued, attempt: 2 }, 3)).toMatch(why);
  });
  test('a release never re-runs itself: a cron schedule or a retry policy is refused, also without carried state', () => {
    expect(runOriginProblems({ cronSchedule: '* * * * *' })).toEqual([
      'the release was started with a cron schedule ("* * * * *"): a release must never re-run itself',
    ]);
    expect(runOriginProblems({ retryPolicy: { maximumAttempts: 2 } })).toEqual([
      'the release was started with a workflow retry policy: a release must never re-run itself',
    ]);
    expect(releaseInputProblems(input({}), 'release-1', { retryPolicy: {}, cronSchedule: '@daily' })).toHaveLength(2);
    expect(releaseInputProblems(null, 'release-1', { retryPolicy: {} })).toHaveLength(2);
  });
  test('a first run, and a continue-as-new (a reset of one too: it keeps its continuedFrom), pass', () => {
    expect(runOriginProblems({ attempt: 1 })).toEqual([]);
    expect(releaseInputProblems(input({ carried }), 'release-1', continued)).toEqual([]);
  });
});
