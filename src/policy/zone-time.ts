// Local wall-clock times in an IANA zone to UTC instants, with the runtime's zone data (Intl). Not for the
// workflow bundle: the worker's ICU data decides the answer, so the workflow gets it from an activity.
import { minutesOf, WEEKDAYS, type Freeze, type WeeklyWindow, type Windows } from './windows';

const DAY = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Whether the runtime knows the zone. */
export function knownZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's offset from UTC at the instant, in ms (UTC+8 is 8 h). */
export function offsetMs(zone: string, utcMs: number): number {
  const p = Object.fromEntries(
    formatter(zone)
      .formatToParts(new Date(utcMs))
      .map((x) => [x.type, Number(x.value)]),
  );
  const local = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return local - Math.floor(utcMs / 1000) * 1000;
}

/**
 * The instant a local date and time happens in the zone. A time a spring-forward skips maps to the same
 * distance after the jump (02:30 becomes 03:30); one a fall-back repeats maps to its second occurrence.
 */
export function localToUtc(zone: string, y: number, month: number, day: number, minutes: number): number {
  const asUtc = Date.UTC(y, month - 1, day, 0, minutes);
  // The offsets half a day either side: one of them is in force unless a transition makes the time ambiguous.
  const before = asUtc - offsetMs(zone, asUtc - DAY / 2);
  const after = asUtc - offsetMs(zone, asUtc + DAY / 2);
  const fits = [before, after].filter((t) => t + offsetMs(zone, t) === asUtc);
  return fits.length ? Math.max(...fits) : before;
}

/** The local calendar date of an instant in the zone. */
function localDate(zone: string, utcMs: number): { y: number; m: number; d: number } {
  const t = new Date(utcMs + offsetMs(zone, utcMs));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

export interface OpenWindow {
  name: string;
  openMs: number;
  closeMs: number;
  /** The window's maxWeight, when it has one (traffic may move up to it, no further). */
  maxWeight?: number;
}

/** Every opening of the weekly windows that overlaps [fromMs, untilMs), by opening time. */
export function occurrences(windows: Windows, fromMs: number, untilMs: number): OpenWindow[] {
  const zone = windows.timeZone;
  const out: OpenWindow[] = [];
  const first = localDate(zone, fromMs);
  for (let day = Date.UTC(first.y, first.m - 1, first.d) - DAY; day <= untilMs + DAY; day += DAY) {
    const date = new Date(day);
    const weekday = WEEKDAYS[date.getUTCDay()];
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    for (const w of windows.weekly.filter((x: WeeklyWindow) => x.days.includes(weekday))) {
      const openMs = localToUtc(zone, y, m, d, minutesOf(w.start));
      const closeMs = localToUtc(zone, y, m, d, minutesOf(w.end));
      const limit = w.maxWeight === undefined ? {} : { maxWeight: w.maxWeight };
      if (closeMs > fromMs && openMs < untilMs && closeMs > openMs)
        out.push({ name: w.name, openMs, closeMs, ...limit });
    }
  }
  return out.sort((a, b) => a.openMs - b.openMs || a.closeMs - b.closeMs);
}

/** The openings with every freeze cut out of them (a freeze splits a window, or removes it). */
export function withoutFreezes(open: OpenWindow[], freezes: Freeze[]): OpenWindow[] {
  let out = open;
  for (const f of freezes) {
    const [from, until] = [Date.parse(f.from), Date.parse(f.until)];
    out = out.flatMap((w) => {
      if (until <= w.openMs || from >= w.closeMs) return [w];
      const parts: OpenWindow[] = [];
      if (from > w.openMs) parts.push({ ...w, closeMs: from });
      if (until < w.closeMs) parts.push({ ...w, openMs: until });
      return parts;
    });
  }
  return out;
}
