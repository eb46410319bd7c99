// The platform policy's error-budget floor: a plan may raise the target or lengthen the window, never lower either,
// and must carry the check once the policy names a floor. Without a floor, nothing changes.
import { ed25519 } from '@noble/curves/ed25519';
import { defaultPlan } from '../../src/plan/load';
import type { PreflightCheck, ReleasePlan } from '../../src/plan/types';
import { parsePolicy, type PlatformPolicy } from '../../src/policy/schema';
import { policyProblems } from '../../src/policy/tighten';
import { publicKeyOf } from '../../src/workflows/signatures';
import { seedPolicy, signedByPlatform } from './policy-fixture';

const key = () => publicKeyOf(ed25519.utils.randomSecretKey());
const KEYS = { alice: key(), bob: key(), carol: key(), olga: key() };
const HOUR = 3_600_000;

const policyWith = (errorBudget?: unknown): PlatformPolicy => {
  const doc = seedPolicy(KEYS);
  if (errorBudget) Object.assign(doc.environments[0], { errorBudget });
  const { policy, problems } = parsePolicy(doc);
  expect(problems).toEqual([]);
  return policy!;
};
const planWith = (budget?: Partial<Extract<PreflightCheck, { kind: 'error-budget' }>>): ReleasePlan => {
  const plan = signedByPlatform(defaultPlan(), KEYS);
  plan.preflight.checks = plan.preflight.checks
    .map((c) => (c.kind === 'error-budget' && budget ? { ...c, ...budget } : c))
    .filter((c) => c.kind !== 'error-budget' || budget);
  return plan;
};
const floor = { minTarget: 99.9, minWindow: '730h' };

test('the seed plan (99.9% over 730 h) meets the seed floor; a stricter target or a longer window too', () => {
  expect(policyProblems(policyWith(floor), planWith({}))).toEqual([]);
  expect(policyProblems(policyWith(floor), planWith({ target: 99.95, window: 2000 * HOUR }))).toEqual([]);
  // Defaults count as the seed's figures.
  expect(policyProblems(policyWith(floor), planWith({ target: undefined, window: undefined }))).toEqual([]);
});

test('a lower target, a shorter window or no check at all is refused, naming the rule', () => {
  expect(policyProblems(policyWith(floor), planWith({ target: 99, window: 24 * HOUR }))).toEqual([
    'policy rule errorBudget: error-budget targets 99% (at least 99.9%)',
    'policy rule errorBudget: error-budget reads 24h (at least 730h)',
  ]);
  expect(policyProblems(policyWith(floor), planWith())).toEqual([
    'policy rule errorBudget: the plan has no error-budget check (at least 99.9% over 730h)',
  ]);
});

test('without a floor a plan may leave the check out; a bad floor is refused', () => {
  expect(policyProblems(policyWith(), planWith())).toEqual([]);
  const doc = seedPolicy(KEYS);
  Object.assign(doc.environments[0], { errorBudget: { minTarget: 100, minWindow: 'a month' } });
  expect(parsePolicy(doc).problems).toEqual([
    expect.stringMatching(/^environments\.0\.errorBudget\.minTarget /),
    expect.stringMatching(/^environments\.0\.errorBudget\.minWindow must be a duration/),
  ]);
});
