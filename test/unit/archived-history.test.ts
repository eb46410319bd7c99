// The archived runs of a release, put back in order: first run first, along continue-as-new.
import type { temporal } from '@temporalio/proto';
import { chainOf } from '../../src/client/archived-history';

type Event = temporal.api.history.v1.IHistoryEvent;

const run = (startedAt: number, next?: string): Event[] =>
  [
    { eventId: 1, eventTime: { seconds: startedAt }, workflowExecutionStartedEventAttributes: {} },
    next
      ? { eventId: 2, workflowExecutionContinuedAsNewEventAttributes: { newExecutionRunId: next } }
      : { eventId: 2, workflowExecutionCompletedEventAttributes: {} },
  ] as unknown as Event[];

test('the runs come back first run first, whatever order the archive listed them in', () => {
  const [a, b, c] = [run(100, 'b'), run(200, 'c'), run(300)];
  expect(
    chainOf(
      new Map([
        ['c', c],
        ['a', a],
        ['b', b],
      ]),
    ),
  ).toEqual([a, b, c]);
});

test('an id reused by a later release: the newest chain, not a mix of both', () => {
  const [old, newer, newerNext] = [run(100), run(500, 'n2'), run(600)];
  expect(
    chainOf(
      new Map([
        ['o', old],
        ['n1', newer],
        ['n2', newerNext],
      ]),
    ),
  ).toEqual([newer, newerNext]);
});

test('a chain whose next run is not archived (yet) ends at the last one there; a loop ends too', () => {
  const first = run(100, 'missing');
  expect(chainOf(new Map([['a', first]]))).toEqual([first]);
  expect(chainOf(new Map())).toEqual([]);
  expect(
    chainOf(
      new Map([
        ['a', run(100, 'b')],
        ['b', run(200, 'a')],
      ]),
    ),
  ).toEqual([]);
});
