// A plan's freezes: validated by the plan schema (the CLI and, through resolvedPlanProblems, the workflow), and
// added to the platform policy's windows and freezes, never in place of them.
import { defaultPlan } from '../../src/plan/load';
import { resolvedPlanProblems } from '../../src/plan/resolved';
import { withPlanFreezes } from '../../src/policy/plan-freezes';
import type { WindowRules } from '../../src/policy/windows';
import { planProblems } from './plan-problems';

const planFreeze = { from: '2026-12-24T00:00:00+08:00', until: '2026-12-27T00:00:00+08:00', reason: 'holidays' };
const policyRules: WindowRules = {
  windows: {
    timeZone: 'Asia/Singapore',
    onClose: 'hold',
    weekly: [{ name: 'w', days: ['sun'], start: '02:00', end: '04:00' }],
  },
  freezes: [{ from: '2026-12-31T00:00:00Z', until: '2027-01-02T00:00:00Z', reason: 'year end' }],
};

test("the plan's freezes are added to the policy's windows and freezes", () => {
  const plan = { ...defaultPlan(), freezes: [planFreeze] };
  expect(withPlanFreezes(policyRules, plan)).toEqual({
    windows: policyRules.windows,
    freezes: [...policyRules.freezes, planFreeze],
  });
  expect(withPlanFreezes(undefined, plan)).toEqual({ freezes: [planFreeze] });
  expect(withPlanFreezes(policyRules, defaultPlan())).toBe(policyRules);
});

test('a plan with freezes validates, and its resolved form passes the workflow boundary', () => {
  expect(planProblems({ freezes: [planFreeze] })).toEqual([]);
  expect(resolvedPlanProblems({ ...defaultPlan(), freezes: [planFreeze] })).toEqual([]);
});

test.each([
  [{ ...planFreeze, until: planFreeze.from }, 'freezes[0] must end after it starts'],
  [{ ...planFreeze, from: '2026-12-24' }, 'freezes[0].from must be an ISO 8601 instant'],
  [{ ...planFreeze, reason: '' }, 'freezes[0].reason'],
])('a malformed plan freeze is refused by the CLI and at the workflow boundary: %j', (freeze, problem) => {
  expect(planProblems({ freezes: [freeze] }).join('\n')).toContain(problem);
  const resolved = { ...defaultPlan(), freezes: [freeze] };
  expect(resolvedPlanProblems(resolved).join('\n')).toContain(problem);
});
