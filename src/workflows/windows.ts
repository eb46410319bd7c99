// When a release may move traffic up: pure arithmetic on window openings already resolved to UTC instants.
// The workflow does not resolve "Sunday 02:00 Asia/Singapore" itself: Intl.DateTimeFormat with a timeZone runs
// in the workflow sandbox, but its answer comes from the worker's ICU zone data, which differs between Node builds
// and changes when a country moves its clocks, so a replay on another worker could decide differently. The
// resolveWindows activity answers instead (zone-time.ts) and its answer is in the history.
import type { OpenWindow } from '../policy/zone-time';

export type { OpenWindow };

/** The resolved windows a release is held to, from one resolveWindows call. */
export interface WindowCalendar {
  onClose: 'hold' | 'rollback';
  /** Openings (freezes cut out) overlapping [fromMs, untilMs), by opening time. */
  open: OpenWindow[];
  /** The freezes overlapping the same span, for the reason a release waits. */
  freezes: { fromMs: number; untilMs: number; reason: string }[];
  fromMs: number;
  untilMs: number;
}

/** The window open at t (the one that stays open longest when several are), if any. */
export function windowAt(open: OpenWindow[], t: number): OpenWindow | undefined {
  return open
    .filter((w) => w.openMs <= t && t < w.closeMs)
    .reduce<OpenWindow | undefined>((a, w) => (!a || w.closeMs > a.closeMs ? w : a), undefined);
}

/** The first window to open after t. */
export function nextOpening(open: OpenWindow[], t: number): OpenWindow | undefined {
  return open.find((w) => w.openMs > t);
}

/** When the windows open at t stop covering it: back-to-back and overlapping windows count as one. */
export function closesAt(open: OpenWindow[], t: number): number | undefined {
  let end = windowAt(open, t)?.closeMs;
  if (end === undefined) return undefined;
  for (let moved = true; moved;) {
    const next = windowAt(open, end);
    moved = next !== undefined && next.closeMs > end;
    if (next && moved) end = next.closeMs;
  }
  return end;
}

export type WindowGate =
  | { do: 'go'; window: OpenWindow }
  | { do: 'wait'; window: OpenWindow; detail: string }
  | { do: 'rollback'; reason: string }
  /** The calendar ends before a window opens: resolve the next span (and wait until it begins if it is empty). */
  | { do: 'resolve'; fromMs: number };

const iso = (ms: number) => new Date(ms).toISOString();

/** The windows that let traffic move up to `weight` (a window without maxWeight lets it go to 100). */
export const admitting = (open: OpenWindow[], weight: number): OpenWindow[] =>
  open.filter((w) => (w.maxWeight ?? 100) >= weight);

/**
 * Whether traffic may move from `greenWeight` up (to `toWeight`, when windows limit weights) at t, and if not,
 * what the release does. A window for a lower weight still open is not "closed": the release waits at its weight.
 */
export function windowGate(cal: WindowCalendar, t: number, greenWeight: number, toWeight?: number): WindowGate {
  // Past the resolved span nothing is known: never read "no window" there as "closed".
  if (t >= cal.untilMs || t < cal.fromMs) return { do: 'resolve', fromMs: t };
  const open = toWeight === undefined ? cal.open : admitting(cal.open, toWeight);
  const now = windowAt(open, t);
  if (now) return { do: 'go', window: now };
  const closed = toWeight === undefined || !windowAt(admitting(cal.open, greenWeight), t);
  if (cal.onClose === 'rollback' && greenWeight > 0 && closed)
    return { do: 'rollback', reason: `outside every release window at ${greenWeight}% (policy: onClose rollback)` };
  const next = nextOpening(open, t);
  if (!next) return { do: 'resolve', fromMs: Math.max(t, cal.untilMs) };
  const freeze = cal.freezes.find((f) => f.fromMs <= t && t < f.untilMs);
  const why = freeze ? ` (freeze until ${iso(freeze.untilMs)}: ${freeze.reason})` : '';
  return { do: 'wait', window: next, detail: `waiting for window ${next.name} at ${iso(next.openMs)}${why}` };
}
