// The stop-the-line singleton's starting state (patch stop-the-line-chain): only a run it continued itself
// carries a state, and the chain is always the first run's id.
import { startingState } from '../../src/workflows/stop-the-line';

const frozen = { frozen: true, by: 'olga', reason: 'incident', seq: 3, chain: 'run-0' };

test('a continue-as-new carries the state, under the chain of its first run', () => {
  expect(startingState(frozen, { continuedFromRunId: 'run-2', attempt: 1 }, 'run-0')).toEqual({
    state: frozen,
    ignored: false,
  });
});

test.each([
  ['a first run', {}],
  ['a cron run', { continuedFromRunId: 'run-2', attempt: 1, cronSchedule: '* * * * *' }],
  ['a retry', { continuedFromRunId: 'run-2', attempt: 2 }],
])('%s given a state starts unfrozen at seq 0 and says it ignored it', (_name, run) => {
  expect(startingState(frozen, run, 'run-9')).toEqual({
    state: { frozen: false, seq: 0, chain: 'run-9' },
    ignored: true,
  });
});

test('a first run without a state is not an ignored one', () => {
  expect(startingState(undefined, {}, 'run-9')).toEqual({
    state: { frozen: false, seq: 0, chain: 'run-9' },
    ignored: false,
  });
});
