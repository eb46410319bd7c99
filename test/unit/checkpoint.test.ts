// Issue 10, bounded history: when a run continues as new (src/workflows/checkpoint.ts), and why a
// carried state is believed only from the release itself.
import { defaultPlan } from '../../src/plan/load';
import { carriedProblem, checkpointDue, EVENTS_PER_RUN } from '../../src/workflows/checkpoint';
import type { ReleaseInput } from '../../src/workflows/definitions';
import { releaseInputProblems } from '../../src/workflows/input';

const at = {
  stage: 'canary',
  step: 2,
  window: { elapsedMs: 60_000, pausedMs: 0, counts: { inconclusiveRun: 0, healthFailures: 0 } },
};
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
    expect(carriedProblem(carried, undefined, 3)).toMatch(/^carried: only a run continued by the release itself/);
    const problems = releaseInputProblems(input({ carried }), 'release-1');
    expect(problems.some((p) => p.startsWith('carried: only a run continued'))).toBe(true);
  });
  test('a run the release continued itself may carry it; without carried state nothing changes', () => {
    expect(carriedProblem(carried, 'run-1', 3)).toBeUndefined();
    expect(releaseInputProblems(input({ carried }), 'release-1', 'run-1')).toEqual([]);
    expect(releaseInputProblems(input({}), 'release-1')).toEqual([]);
  });
  test('a malformed resume point is refused naming the field', () => {
    expect(carriedProblem({ ...carried, at: { ...at, stage: 'retention' } }, 'run-1', 3)).toMatch(
      /^carried\.at\.stage/,
    );
    expect(carriedProblem({ ...carried, at: { ...at, step: 9 } }, 'run-1', 3)).toMatch(/^carried\.at\.step/);
    expect(carriedProblem({ ...carried, at: { ...at, window: { elapsedMs: -1, pausedMs: 0 } } }, 'run-1', 3)).toMatch(
      /^carried\.at\.window/,
    );
    expect(carriedProblem({ at }, 'run-1', 3)).toMatch(/^carried\.state/);
  });
});
