// Before traffic moves up: the org-wide stop-the-line (patch stop-the-line) and the release windows and freezes
// (patch release-windows). A release that may not move holds its weight: at 0% on a durable timer, above it
// through watch(), so the rollback triggers and controls keep acting while it waits.
import { condition, log, patched } from '@temporalio/workflow';
import type { PolicyRecord } from '../../policy/schema';
import type { ReleaseInput, ReleaseResult } from '../definitions';
import { refusedResult } from '../input';
import type { StopTheLineState } from '../stop-the-line-defs';
import { errorText, leaveOn, Rollback } from '../exits';
import { call, DEFAULT_OPTIONS } from '../proxies';
import { iso, type ReleaseState } from '../release-state';
import { interruption } from '../analysis';
import { windowGate, type WindowCalendar } from '../windows';
import { watch } from './watch';

/** How far ahead one resolveWindows call reaches; the gate asks again past it. */
const SPAN_MS = 14 * 86_400_000;
/** How often a release held by the stop-the-line asks again. */
export const STOP_THE_LINE_POLL_MS = 60_000;

const calendars = new WeakMap<ReleaseState, WindowCalendar>();

interface Hold {
  kind: 'window' | 'stop-the-line';
  detail: string;
  ms: number;
}

/** A new release while the stop-the-line holds: refused before it changes anything (outcome rejected). */
export async function refusedWhileStopped(
  input: ReleaseInput,
  releaseId: string,
  policy: PolicyRecord | undefined,
): Promise<ReleaseResult | undefined> {
  if (!patched('stop-the-line')) return undefined;
  const s = await askStopTheLine();
  if (!s.frozen) return undefined;
  const refused = refusedResult(input, [], releaseId, iso());
  const reason = `refused, nothing was done: ${stopTheLineText(s)}; no release starts until unfreeze`;
  Object.assign(refused, { outcome: 'rejected', reason });
  Object.assign(refused.report, { outcome: 'rejected', reason, ...(policy ? { policy } : {}) });
  log.warn(reason, { releaseId });
  return refused;
}

/** What the stop-the-line says now; a singleton that cannot be asked holds the release (fails closed). */
export async function askStopTheLine(): Promise<StopTheLineState> {
  try {
    return await call(DEFAULT_OPTIONS, 'stop-the-line: ask', 'readStopTheLine');
  } catch (err) {
    return { frozen: true, by: 'hwayo-release', since: iso(), reason: `cannot ask: ${errorText(err)}`, seq: -1 };
  }
}

export const stopTheLineText = (s: StopTheLineState) => `stop-the-line by ${s.by} since ${s.since}: ${s.reason}`;

/** The resolved calendar covering fromMs, resolved anew past its span or when `fresh`. */
async function calendar(r: ReleaseState, fromMs: number, fresh = false): Promise<WindowCalendar> {
  const known = calendars.get(r);
  if (!fresh && known && known.fromMs <= fromMs && fromMs < known.untilMs) return known;
  const rules = r.windowRules!;
  const cal = await call(DEFAULT_OPTIONS, 'release windows: resolve', 'resolveWindows', {
    rules,
    fromMs,
    untilMs: fromMs + SPAN_MS,
  });
  calendars.set(r, cal);
  return cal;
}

/** The weight the gate asks about: only where the policy's windows limit weights (patch timeline-windows). */
const limitedTo = (cal: WindowCalendar, toWeight: number | undefined): number | undefined =>
  toWeight !== undefined && cal.open.some((w) => w.maxWeight !== undefined) && patched('timeline-windows')
    ? toWeight
    : undefined;

async function holdNow(r: ReleaseState, toWeight?: number): Promise<Hold | undefined> {
  if (patched('stop-the-line')) {
    const s = await askStopTheLine();
    if (s.frozen) return { kind: 'stop-the-line', detail: `held by ${stopTheLineText(s)}`, ms: STOP_THE_LINE_POLL_MS };
  }
  if (!r.windowRules || !patched('release-windows')) return undefined;
  const now = Date.now();
  const cal = await calendar(r, now);
  let g = windowGate(cal, now, r.greenWeight, limitedTo(cal, toWeight));
  // Nothing opens before the span ends: a span from now on, and failing that, wait for its end.
  if (g.do === 'resolve') {
    const fresh = await calendar(r, now, true);
    g = windowGate(fresh, now, r.greenWeight, limitedTo(fresh, toWeight));
  }
  if (g.do === 'go') return undefined;
  if (g.do === 'rollback') throw new Rollback({ kind: 'window-closed' }, g.reason, 'rolled-back', 'warning');
  if (g.do === 'wait') return { kind: 'window', detail: g.detail, ms: g.window.openMs - now };
  const until = calendars.get(r)!.untilMs;
  return { kind: 'window', detail: `no release window opens before ${iso(until)}`, ms: until - now };
}

/**
 * Holds the release until it may move traffic up (to `toWeight`). 'promote' when a person promoted during a hold
 * above 0% (the canary skips its remaining steps; the full switch still waits for its window).
 */
export async function beforeIncrease(r: ReleaseState, toWeight?: number): Promise<'promote' | undefined> {
  let last: string | undefined;
  for (;;) {
    const hold = await holdNow(r, toWeight);
    if (!hold) {
      if (last) {
        r.pending = undefined;
        r.event('no longer held: traffic moves up');
        r.updateUi();
      }
      return undefined;
    }
    if (hold.detail !== last) r.event(hold.detail);
    last = hold.detail;
    r.pending = { kind: hold.kind, since: iso(), detail: hold.detail };
    r.updateUi();
    if (r.greenWeight === 0) {
      await condition(() => interruption(r.control, false) !== undefined, Math.max(1, hold.ms));
      leaveOn(interruption(r.control, false));
      continue;
    }
    const o = await watch(r, 'canary', Math.max(1, hold.ms), undefined, false);
    leaveOn(o);
    if (o.result === 'promote') return 'promote';
  }
}
