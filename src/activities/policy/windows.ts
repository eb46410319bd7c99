// Resolves the release windows' local times to UTC instants with this worker's zone data (the workflow cannot:
// see src/workflows/windows.ts), and asks the org-wide stop-the-line whether releases may move.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { knownZone, occurrences, withoutFreezes } from '../../policy/zone-time';
import { freezeSchema, windowsSchema, type WindowRules } from '../../policy/windows';
import { stopTheLineState } from '../../stop-the-line-state';
import type { StopTheLineState } from '../../workflows/stop-the-line-defs';
import type { WindowCalendar } from '../../workflows/windows';

/** The longest span one call resolves. */
const MAX_SPAN_MS = 62 * 86_400_000;

/** The openings and freezes of `rules` over [fromMs, untilMs). Bad rules are refused, not retried. */
export function resolveWindows(input: { rules: WindowRules; fromMs: number; untilMs: number }): WindowCalendar {
  const { rules, fromMs, untilMs } = input;
  const windows = rules.windows ? windowsSchema.safeParse(rules.windows) : undefined;
  const freezes = freezeSchema.array().safeParse(rules.freezes ?? []);
  if (windows?.success === false || !freezes.success)
    throw ApplicationFailure.nonRetryable('the release window rules do not parse', 'InvalidWindows');
  if (!(untilMs > fromMs && untilMs - fromMs <= MAX_SPAN_MS))
    throw ApplicationFailure.nonRetryable(`span ${fromMs}..${untilMs} is not 1 ms to 62 days`, 'InvalidWindows');
  const w = windows?.data;
  if (w && !knownZone(w.timeZone))
    throw ApplicationFailure.nonRetryable(`this worker knows no time zone ${w.timeZone}`, 'InvalidWindows');
  const open = w ? occurrences(w, fromMs, untilMs) : [{ name: 'any-time', openMs: fromMs, closeMs: untilMs }];
  return {
    onClose: w?.onClose ?? 'hold',
    open: withoutFreezes(open, freezes.data),
    freezes: freezes.data
      .map((f) => ({ fromMs: Date.parse(f.from), untilMs: Date.parse(f.until), reason: f.reason }))
      .filter((f) => f.untilMs > fromMs && f.fromMs < untilMs),
    fromMs,
    untilMs,
  };
}

/** The singleton's state (stop-the-line-state.ts); an error retries, so the release holds until it knows. */
export async function readStopTheLine(): Promise<StopTheLineState> {
  return stopTheLineState(Context.current().client);
}

export const windowActivities = {
  resolveWindows: async (input: Parameters<typeof resolveWindows>[0]) => resolveWindows(input),
  readStopTheLine,
};
