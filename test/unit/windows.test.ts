// Release windows: local times in IANA zones (with and without DST) resolved to UTC, and the pure gate the
// workflow runs on them: inside, next opening, closing time, week wrap, freezes, a window closing mid-canary.
import { ed25519 } from '@noble/curves/ed25519';
import { parsePolicy } from '../../src/policy/schema';
import { publicKeyOf } from '../../src/workflows/signatures';
import { localToUtc, occurrences, offsetMs, withoutFreezes } from '../../src/policy/zone-time';
import { freezeSchema, windowsSchema, type Windows } from '../../src/policy/windows';
import {
  admitting,
  closesAt,
  nextOpening,
  windowAt,
  windowGate,
  type WindowCalendar,
} from '../../src/workflows/windows';
import { seedPolicy, signedByPlatform } from './policy-fixture';
import { defaultPlan } from '../../src/plan/load';
import { resolvedPlanProblems } from '../../src/plan/resolved';
import type { ReleasePlan } from '../../src/plan/types';
import { policyProblems, windowRulesFor } from '../../src/policy/tighten';

const at = (s: string) => Date.parse(s);
const iso = (ms: number) => new Date(ms).toISOString();
const MAINTENANCE: Windows = windowsSchema.parse({
  timeZone: 'Asia/Singapore',
  weekly: [{ name: 'maintenance', days: ['sun'], start: '02:00', end: '04:00' }],
});

describe('zone arithmetic', () => {
  test('Asia/Singapore is UTC+8 all year; Europe/Berlin moves between +1 and +2', () => {
    expect(offsetMs('Asia/Singapore', at('2026-01-15T00:00:00Z'))).toBe(8 * 3_600_000);
    expect(offsetMs('Asia/Singapore', at('2026-07-15T00:00:00Z'))).toBe(8 * 3_600_000);
    expect(offsetMs('Europe/Berlin', at('2026-01-15T00:00:00Z'))).toBe(3_600_000);
    expect(offsetMs('Europe/Berlin', at('2026-07-15T00:00:00Z'))).toBe(2 * 3_600_000);
  });

  test('a local time a spring-forward skips lands after the jump; a repeated one on its second occurrence', () => {
    // 2026-03-29 Berlin: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    expect(iso(localToUtc('Europe/Berlin', 2026, 3, 29, 2 * 60 + 30))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(localToUtc('Europe/Berlin', 2026, 3, 29, 60 + 30))).toBe('2026-03-29T00:30:00.000Z');
    // 2026-10-25 Berlin: 03:00 CEST falls back to 02:00 CET (01:00 UTC); 02:30 happens twice.
    expect(iso(localToUtc('Europe/Berlin', 2026, 10, 25, 2 * 60 + 30))).toBe('2026-10-25T01:30:00.000Z');
    expect(iso(localToUtc('Europe/Berlin', 2026, 10, 25, 60 + 30))).toBe('2026-10-24T23:30:00.000Z');
  });
});

describe('weekly occurrences', () => {
  test("the seed's maintenance window: Sunday 02:00-04:00 in Singapore is Saturday 18:00-20:00 UTC", () => {
    const open = occurrences(MAINTENANCE, at('2026-12-01T00:00:00Z'), at('2026-12-15T00:00:00Z'));
    expect(open.map((w) => [w.name, iso(w.openMs), iso(w.closeMs)])).toEqual([
      ['maintenance', '2026-12-05T18:00:00.000Z', '2026-12-05T20:00:00.000Z'],
      ['maintenance', '2026-12-12T18:00:00.000Z', '2026-12-12T20:00:00.000Z'],
    ]);
  });

  test('Europe/Berlin keeps its local hours across both DST changes', () => {
    const w = windowsSchema.parse({
      timeZone: 'Europe/Berlin',
      weekly: [{ name: 'sunday', days: ['sun'], start: '09:00', end: '11:00' }],
    });
    const open = occurrences(w, at('2026-03-20T00:00:00Z'), at('2026-04-01T00:00:00Z'));
    expect(open.map((x) => iso(x.openMs))).toEqual(['2026-03-22T08:00:00.000Z', '2026-03-29T07:00:00.000Z']);
    const autumn = occurrences(w, at('2026-10-20T00:00:00Z'), at('2026-11-01T00:00:00Z'));
    expect(autumn.map((x) => iso(x.closeMs))).toEqual(['2026-10-25T10:00:00.000Z']);
  });

  test('a freeze cuts a window in two, or removes it', () => {
    const open = occurrences(MAINTENANCE, at('2026-12-01T00:00:00Z'), at('2026-12-15T00:00:00Z'));
    const freezes = [
      { from: '2026-12-05T18:30:00Z', until: '2026-12-05T19:00:00Z', reason: 'payroll run' },
      { from: '2026-12-10T00:00:00+08:00', until: '2026-12-14T00:00:00+08:00', reason: 'year-end' },
    ].map((f) => freezeSchema.parse(f));
    expect(withoutFreezes(open, freezes).map((x) => [iso(x.openMs), iso(x.closeMs)])).toEqual([
      ['2026-12-05T18:00:00.000Z', '2026-12-05T18:30:00.000Z'],
      ['2026-12-05T19:00:00.000Z', '2026-12-05T20:00:00.000Z'],
    ]);
  });
});

describe('the gate the workflow runs', () => {
  const cal = (onClose: 'hold' | 'rollback'): WindowCalendar => ({
    onClose,
    open: occurrences(MAINTENANCE, at('2026-12-01T00:00:00Z'), at('2026-12-15T00:00:00Z')),
    freezes: [],
    fromMs: at('2026-12-01T00:00:00Z'),
    untilMs: at('2026-12-15T00:00:00Z'),
  });

  test('inside a window traffic moves; the window closes at its end', () => {
    const t = at('2026-12-05T18:10:00Z');
    expect(windowGate(cal('hold'), t, 5)).toEqual({ do: 'go', window: windowAt(cal('hold').open, t) });
    expect(iso(closesAt(cal('hold').open, t)!)).toBe('2026-12-05T20:00:00.000Z');
  });

  test('after Sunday the next window is a week later (week wrap), and the release waits for it', () => {
    const t = at('2026-12-05T20:00:00Z'); // Sunday 04:00 in Singapore: the window just closed
    expect(windowAt(cal('hold').open, t)).toBeUndefined();
    expect(iso(nextOpening(cal('hold').open, t)!.openMs)).toBe('2026-12-12T18:00:00.000Z');
    expect(windowGate(cal('hold'), t, 0)).toMatchObject({
      do: 'wait',
      detail: 'waiting for window maintenance at 2026-12-12T18:00:00.000Z',
    });
  });

  test('a window that closes mid-canary: hold keeps the weight and waits, rollback rolls back', () => {
    const t = at('2026-12-05T20:05:00Z');
    expect(windowGate(cal('hold'), t, 25)).toMatchObject({ do: 'wait' });
    expect(windowGate(cal('rollback'), t, 25)).toEqual({
      do: 'rollback',
      reason: 'outside every release window at 25% (policy: onClose rollback)',
    });
    // Before the canary (0%) nothing is exposed: even under rollback the release waits.
    expect(windowGate(cal('rollback'), t, 0)).toMatchObject({ do: 'wait' });
  });

  test('back-to-back windows close as one; past the resolved span the gate asks for the next', () => {
    const open = [
      { name: 'a', openMs: 0, closeMs: 10 },
      { name: 'b', openMs: 10, closeMs: 20 },
      { name: 'c', openMs: 15, closeMs: 30 },
    ];
    expect(closesAt(open, 5)).toBe(30);
    const c = { ...cal('rollback'), open: [], untilMs: 100 };
    expect(windowGate(c, 100, 25)).toEqual({ do: 'resolve', fromMs: 100 });
  });
});

describe('policy documents', () => {
  const key = () => publicKeyOf(ed25519.utils.randomSecretKey());
  const doc = (env: Record<string, unknown>) => {
    const d = seedPolicy({ alice: key(), bob: key(), carol: key(), olga: key() });
    Object.assign(d.environments[0], env);
    return d;
  };

  test('windows and freezes parse; onClose defaults to hold', () => {
    const { policy, problems } = parsePolicy(
      doc({
        windows: { timeZone: 'Asia/Singapore', weekly: MAINTENANCE.weekly },
        freezes: [{ from: '2026-12-24T00:00:00+08:00', until: '2026-12-27T00:00:00+08:00', reason: 'holidays' }],
      }),
    );
    expect(problems).toEqual([]);
    expect(policy!.environments[0].windows!.onClose).toBe('hold');
    expect(policy!.environments[0].freezes).toHaveLength(1);
  });

  test.each([
    [
      { windows: { ...MAINTENANCE, weekly: [{ name: 'x', days: ['sun'], start: '04:00', end: '02:00' }] } },
      'windows.weekly.0',
    ],
    [
      { windows: { ...MAINTENANCE, weekly: [{ name: 'x', days: ['sunday'], start: '02:00', end: '04:00' }] } },
      'windows.weekly.0.days.0',
    ],
    [{ windows: { ...MAINTENANCE, onClose: 'ignore' } }, 'windows.onClose'],
    [{ freezes: [{ from: '2026-12-24', until: '2026-12-26', reason: 'x' }] }, 'freezes.0.from'],
    [{ freezes: [{ from: '2026-12-26T00:00:00Z', until: '2026-12-24T00:00:00Z', reason: 'x' }] }, 'freezes.0'],
  ])('a bad window or freeze is refused, naming the field (%#)', (env, field) => {
    const { policy, problems } = parsePolicy(doc(env));
    expect(policy).toBeUndefined();
    expect(problems.join('\n')).toContain(`environments.0.${field} `);
  });
});

describe('a plan may only narrow the windows', () => {
  const key = () => publicKeyOf(ed25519.utils.randomSecretKey());
  const keys = { alice: key(), bob: key(), carol: key(), olga: key() };
  const underPolicy = (windows: unknown) => {
    const d = seedPolicy(keys);
    Object.assign(d.environments[0], { windows });
    return parsePolicy(d).policy!;
  };
  const plan = (windows?: unknown): ReleasePlan => {
    const p = signedByPlatform(defaultPlan(), keys);
    if (windows) p.windows = windowsSchema.parse(windows);
    return p;
  };
  const sunday = (start: string, end: string, days = ['sun']) => ({ name: 'mine', days, start, end });
  const policy = underPolicy({ ...MAINTENANCE, onClose: 'rollback' });

  test("narrower windows pass and are the ones the release waits for; none means the policy's", () => {
    const narrow = plan({ timeZone: 'Asia/Singapore', onClose: 'rollback', weekly: [sunday('02:30', '03:30')] });
    expect(policyProblems(policy, narrow)).toEqual([]);
    // The workflow accepts a resolved plan with windows (it validates its input again).
    expect(resolvedPlanProblems(narrow)).toEqual([]);
    expect(windowRulesFor(policy, narrow)?.windows?.weekly).toEqual([sunday('02:30', '03:30')]);
    expect(windowRulesFor(policy, plan())?.windows).toEqual(policy.environments[0].windows);
  });

  test('wider, other days, another zone, or holding where the policy rolls back are each refused', () => {
    const wider = plan({ timeZone: 'Asia/Singapore', onClose: 'rollback', weekly: [sunday('01:00', '03:00')] });
    const monday = plan({
      timeZone: 'Asia/Singapore',
      onClose: 'rollback',
      weekly: [sunday('02:00', '03:00', ['sun', 'mon'])],
    });
    const zone = plan({ timeZone: 'Asia/Shanghai', onClose: 'rollback', weekly: [sunday('02:00', '03:00')] });
    const holds = plan({ timeZone: 'Asia/Singapore', onClose: 'hold', weekly: [sunday('02:00', '03:00')] });
    const inside =
      "policy rule windows.weekly: the plan's window mine is not inside one of the policy's windows (days, hours, maxWeight)";
    expect(policyProblems(policy, wider)).toEqual([inside]);
    expect(policyProblems(policy, monday)).toEqual([inside]);
    expect(policyProblems(policy, zone)).toEqual([
      "policy rule windows.timeZone: the plan's windows are in Asia/Shanghai, the policy's in Asia/Singapore",
    ]);
    expect(policyProblems(policy, holds)).toEqual([
      'policy rule windows.onClose: the policy rolls back when a window closes; the plan would hold',
    ]);
  });
});

describe("the production day's timeline (SEED 12): windows with rising maxWeight", () => {
  // 09:00 start; canary 5% at 10:00, 25% at 10:30, 50% at 11:30, full switch 13:30; done by 14:30 (Singapore).
  const day = windowsSchema.parse({
    timeZone: 'Asia/Singapore',
    onClose: 'rollback',
    weekly: [
      { name: 'canary-5', days: ['tue'], start: '10:00', end: '14:30', maxWeight: 5 },
      { name: 'canary-25', days: ['tue'], start: '10:30', end: '14:30', maxWeight: 25 },
      { name: 'canary-50', days: ['tue'], start: '11:30', end: '14:30', maxWeight: 50 },
      { name: 'full-switch', days: ['tue'], start: '13:30', end: '14:30' },
    ],
  });
  const from = at('2026-12-08T01:00:00Z'); // Tuesday 09:00 in Singapore
  const cal: WindowCalendar = {
    onClose: 'rollback',
    open: occurrences(day, from, from + 86_400_000),
    freezes: [],
    fromMs: from,
    untilMs: from + 86_400_000,
  };
  const sg = (hhmm: string) => at(`2026-12-08T${hhmm}:00+08:00`);

  test('each weight waits for its own window: a lower weight still open is a wait, not a closed window', () => {
    expect(cal.open.map((w) => [w.name, w.maxWeight])).toEqual([
      ['canary-5', 5],
      ['canary-25', 25],
      ['canary-50', 50],
      ['full-switch', undefined],
    ]);
    expect(windowGate(cal, sg('09:30'), 0, 5)).toMatchObject({
      do: 'wait',
      detail: `waiting for window canary-5 at ${iso(sg('10:00'))}`,
    });
    expect(windowGate(cal, sg('10:00'), 0, 5)).toMatchObject({ do: 'go', window: { name: 'canary-5' } });
    // At 5% by 10:15, 25% waits for 10:30 (onClose rollback does not roll back: 5%'s window is open).
    expect(windowGate(cal, sg('10:15'), 5, 25)).toMatchObject({
      do: 'wait',
      detail: `waiting for window canary-25 at ${iso(sg('10:30'))}`,
    });
    expect(windowGate(cal, sg('10:30'), 5, 25)).toMatchObject({ do: 'go', window: { name: 'canary-25' } });
    expect(windowGate(cal, sg('12:00'), 50, 100)).toMatchObject({
      do: 'wait',
      detail: `waiting for window full-switch at ${iso(sg('13:30'))}`,
    });
    expect(windowGate(cal, sg('13:30'), 50, 100)).toMatchObject({ do: 'go', window: { name: 'full-switch' } });
    // Past 14:30 no window admits the current weight: closed, and this policy rolls back.
    expect(windowGate(cal, sg('14:31'), 50, 100)).toMatchObject({ do: 'rollback' });
    // Without a weight asked (no patch), any open window lets traffic move, as before.
    expect(windowGate(cal, sg('10:15'), 5)).toMatchObject({ do: 'go' });
    expect(admitting(cal.open, 30).map((w) => w.name)).toEqual(['canary-50', 'full-switch']);
  });

  test('a freeze keeps maxWeight on the parts of a window it cuts', () => {
    const cut = withoutFreezes(cal.open.slice(0, 1), [
      freezeSchema.parse({ from: '2026-12-08T11:00:00+08:00', until: '2026-12-08T12:00:00+08:00', reason: 'x' }),
    ]);
    expect(cut.map((w) => [iso(w.openMs), iso(w.closeMs), w.maxWeight])).toEqual([
      [iso(sg('10:00')), iso(sg('11:00')), 5],
      [iso(sg('12:00')), iso(sg('14:30')), 5],
    ]);
  });

  test("a bad maxWeight is refused, naming the field; a plan may not raise a window's maxWeight", () => {
    for (const maxWeight of [0, 101, 2.5]) {
      const r = windowsSchema.safeParse({ ...day, weekly: [{ ...day.weekly[0], maxWeight }] });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0].path).toEqual(['weekly', 0, 'maxWeight']);
    }
    const key = () => publicKeyOf(ed25519.utils.randomSecretKey());
    const keys = { alice: key(), bob: key(), carol: key(), olga: key() };
    const d = seedPolicy(keys);
    Object.assign(d.environments[0], { windows: day });
    const policy = parsePolicy(d).policy!;
    const plan = signedByPlatform(defaultPlan(), keys);
    plan.windows = windowsSchema.parse({ ...day, weekly: [{ ...day.weekly[0], maxWeight: 50 }] });
    expect(policyProblems(policy, plan)).toEqual([
      "policy rule windows.weekly: the plan's window canary-5 is not inside one of the policy's windows (days, hours, maxWeight)",
    ]);
    plan.windows = windowsSchema.parse({ ...day, weekly: [{ ...day.weekly[1], maxWeight: 5 }] });
    expect(policyProblems(policy, plan)).toEqual([]);
  });
});
