// Maintenance windows and freezes as the platform policy (and a plan, tightening it) writes them. Pure zod, imported
// by the workflow bundle: local times in an IANA zone are resolved to UTC instants outside the workflow
// (zone-time.ts, in an activity and the CLI), because a zone's rules come from the runtime's ICU data.
import { z } from 'zod';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** "HH:MM" as minutes after local midnight; "24:00" is the end of the day. */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be a lowercase name (letters, digits, ".", "_", "-")');
const clock = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a local time "HH:MM" (00:00 to 24:00)');
const instant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/, {
    message: 'must be an ISO 8601 instant with its offset, e.g. "2026-12-24T00:00:00+08:00"',
  })
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'is not a real date' });

export const weeklyWindowSchema = z
  .strictObject({
    name,
    days: z.array(z.enum(WEEKDAYS)).min(1),
    /** Local time in the windows' zone; a window does not cross midnight (write two). */
    start: clock,
    end: clock,
    /**
     * The highest weight traffic may move up to in this window (default 100). Windows opening one after another
     * with rising weights write a production day's timeline (SEED 12: 5% at 10:00, 25% at 10:30, ...).
     */
    maxWeight: z.number().int().min(1).max(100).optional(),
  })
  .refine((w) => minutesOf(w.start) < minutesOf(w.end), { message: 'must end after it starts, on the same day' });

export const windowsSchema = z.strictObject({
  /** IANA zone the local times are in (checked against the runtime's zone data where it is resolved). */
  timeZone: z.string().regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/, 'must be an IANA zone name'),
  /** A window that closes with a canary under way: hold the weight (analysis goes on) or roll back. */
  onClose: z.enum(['hold', 'rollback']).default('hold'),
  weekly: z.array(weeklyWindowSchema).min(1),
});

export const freezeSchema = z
  .strictObject({ from: instant, until: instant, reason: z.string().min(1).max(200) })
  .refine((f) => Date.parse(f.from) < Date.parse(f.until), { message: 'must end after it starts' });

export type WeeklyWindow = z.output<typeof weeklyWindowSchema>;
export type Windows = z.output<typeof windowsSchema>;
export type Freeze = z.output<typeof freezeSchema>;

/** What a release is held to: the windows traffic may move up in and the freezes it may not. */
export interface WindowRules {
  windows?: Windows;
  freezes: Freeze[];
}
