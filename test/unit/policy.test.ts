// The platform policy (src/policy): its document is checked whole, and a plan may tighten each rule, never loosen it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519';
import { parse as parseYaml } from 'yaml';
import { defaultPlan } from '../../src/plan/load';
import type { ReleasePlan } from '../../src/plan/types';
import { parsePolicy, POLICY_KEY, type PlatformPolicy } from '../../src/policy/schema';
import { environmentFor, policyProblems } from '../../src/policy/tighten';
import { publicKeyOf } from '../../src/workflows/signatures';
import { seedPolicy, signedByPlatform } from './policy-fixture';

const key = () => publicKeyOf(ed25519.utils.randomSecretKey());
const KEYS = { alice: key(), bob: key(), carol: key(), olga: key() };
const seedPolicyDocument = () => seedPolicy(KEYS);

type Doc = ReturnType<typeof seedPolicyDocument> & {
  environments: (ReturnType<typeof seedPolicyDocument>['environments'][number] & Record<string, unknown>)[];
};

const policy = (): PlatformPolicy => {
  const { policy: p, problems } = parsePolicy(seedPolicyDocument());
  expect(problems).toEqual([]);
  return p!;
};

/** The seed's plan, signed by the platform's approvers: exactly as strict as the policy. */
const signedPlan = (): ReleasePlan => signedByPlatform(defaultPlan(), KEYS);

describe('the policy document', () => {
  test('the seed policy parses, durations in milliseconds', () => {
    const env = policy().environments[0];
    expect(env.approval.maxTimeout).toBe(24 * 3_600_000);
    expect(env.canary.minWatch).toBe(15 * 60_000);
    expect(env.retention.minBlueKeep).toBe(24 * 3_600_000);
  });

  test.each<[string, (d: Doc) => unknown, RegExp]>([
    [
      'an unknown field',
      (d: Doc) => Object.assign(d.environments[0].approval, { allowUnsigned: true }),
      /unrecognized key/i,
    ],
    ['no security-evidence check', (d: Doc) => (d.environments[0].checks = ['release-baseline']), /security-evidence/],
    ['a malformed key', (d: Doc) => (d.environments[0].approval.approvers[0].publicKey = 'abc'), /ed25519/],
    ['a required role nobody holds', (d: Doc) => d.environments[0].approval.approvers.pop(), /no approver holds/],
    [
      'two people with one key',
      (d: Doc) => (d.environments[0].approval.operators[0].publicKey = KEYS.alice),
      /"olga" shares a key with "alice"/,
    ],
    ['a namespace in two environments', (d: Doc) => d.environments.push({ ...d.environments[0], name: 'x' }), /both/],
  ])('%s is refused, naming the field', (_what, edit, problem) => {
    const doc = seedPolicyDocument();
    edit(doc);
    const { policy: p, problems } = parsePolicy(doc);
    expect(p).toBeUndefined();
    expect(problems.join('\n')).toMatch(problem);
  });
});

describe('a plan may tighten the policy, never loosen it', () => {
  test('the seed plan signed by the platform approvers loosens nothing', () => {
    expect(policyProblems(policy(), signedPlan())).toEqual([]);
  });

  test('a plan that tightens every rule passes', () => {
    const plan = signedPlan();
    plan.approval.requiredRoles.push('security-lead');
    plan.approval.timeoutMs = 3_600_000;
    plan.canary.steps = [{ weight: 1, watchMs: 3_600_000 }, ...plan.canary.steps];
    plan.canary.analysisIntervalMs = 30_000;
    plan.retention.blueKeepMs = 48 * 3_600_000;
    plan.fullSwitch.watchMs = 30 * 60_000;
    expect(policyProblems(policy(), plan)).toEqual([]);
  });

  test.each<[string, (p: ReleasePlan) => void, string]>([
    [
      'unsigned decisions',
      (p) => (p.approval.allowUnsigned = true),
      'policy rule approval.signatures: decisions and controls are always signed; the plan allows unsigned',
    ],
    [
      'a dropped role',
      (p) => (p.approval.requiredRoles = ['tech-lead', 'product-manager']),
      'policy rule approval.requiredRoles: the plan drops the required role qa-lead',
    ],
    [
      "the starter's own key for an approver",
      (p) => (p.approval.approvers[0].publicKey = key()),
      `policy rule approval.approvers: the key the plan gives "alice" is not the platform's key for them`,
    ],
    [
      'an approver without a key',
      (p) => delete p.approval.approvers[1].publicKey,
      `policy rule approval.approvers: the plan gives "bob" no key; the platform's key for them is required`,
    ],
    [
      'an approver the platform does not list',
      (p) => p.approval.approvers.push({ id: 'mallory', role: 'qa-lead', publicKey: key() }),
      'policy rule approval.approvers: "mallory" is not an approver of production',
    ],
    [
      'an approver in another role',
      (p) => (p.approval.approvers[2].role = 'tech-lead'),
      'policy rule approval.approvers: "carol" approves as qa-lead in production, not tech-lead',
    ],
    [
      "the attacker's operator key",
      (p) => (p.approval.operators = [{ id: 'olga', publicKey: key() }]),
      `policy rule approval.operators: the key the plan gives "olga" is not the platform's key for them`,
    ],
    [
      'a longer approval wait',
      (p) => (p.approval.timeoutMs = 48 * 3_600_000),
      'policy rule approval.maxTimeout: the plan waits 48h (at most 24h)',
    ],
    [
      'no security-evidence check',
      (p) => (p.preflight.checks = p.preflight.checks.filter((c) => c.kind !== 'security-evidence')),
      'policy rule checks: the plan has no security-evidence check',
    ],
    [
      'fewer steps',
      (p) => (p.canary.steps = p.canary.steps.slice(0, 2)),
      'policy rule canary.minSteps: the plan has 2 steps (at least 3)',
    ],
    [
      'a bigger first step',
      (p) => (p.canary.steps[0].weight = 10),
      'policy rule canary.maxFirstWeight: the first step sends 10% (at most 5%)',
    ],
    [
      'a shorter watch',
      (p) => (p.canary.steps[1].watchMs = 60_000),
      'policy rule canary.minWatch: step 2 watches 1m (at least 15m)',
    ],
    [
      'a slower analysis',
      (p) => (p.canary.analysisIntervalMs = 5 * 60_000),
      'policy rule canary.maxAnalysisInterval: the plan analyses every 5m (at most every 1m)',
    ],
    [
      'a longer pause',
      (p) => (p.canary.maxPauseMs = 2 * 3_600_000),
      'policy rule canary.maxPause: the plan lets a pause last 2h (at most 1h)',
    ],
    [
      'a shorter full-switch watch',
      (p) => (p.fullSwitch.watchMs = 60_000),
      'policy rule fullSwitch.minWatch: the plan watches 1m (at least 10m)',
    ],
    [
      'blue deleted at once',
      (p) => (p.retention.blueKeepMs = 0),
      'policy rule retention.minBlueKeep: the plan keeps blue 0ms (at least 24h)',
    ],
  ])('%s is refused, naming the rule', (_what, loosen, problem) => {
    const plan = signedPlan();
    loosen(plan);
    expect(policyProblems(policy(), plan)).toEqual([problem]);
  });

  test('namespaces no environment covers are refused; the pair matches in either order', () => {
    const plan = signedPlan();
    plan.environments = { blue: 'hwayo-production-green', green: 'hwayo-production', alternate: true };
    expect(environmentFor(policy(), plan)?.name).toBe('production');
    plan.environments = { blue: 'shadow', green: 'shadow-green', alternate: false };
    expect(policyProblems(policy(), plan)).toEqual([
      'policy: no environment of the platform policy covers namespaces shadow and shadow-green',
    ]);
  });
});

describe('deploy/kubernetes/policy.yaml', () => {
  const shipped = () => {
    const cm = parseYaml(readFileSync(join(__dirname, '..', '..', 'deploy', 'kubernetes', 'policy.yaml'), 'utf8')) as {
      metadata: { name: string; namespace: string };
      data: Record<string, string>;
    };
    expect(cm.metadata).toMatchObject({ name: 'hwayo-release-policy', namespace: 'hwayo-release' });
    return cm.data[POLICY_KEY];
  };

  test('as shipped, its placeholder keys are refused: nothing is released until the platform team sets real ones', () => {
    const { policy: p, problems } = parsePolicy(parseYaml(shipped()));
    expect(p).toBeUndefined();
    expect(problems[0]).toMatch(/^environments\.0\.approval\.approvers\.0\.publicKey must be a base64 ed25519/);
  });

  test("with real keys it is the seed's rules, and the seed's plan signed by its approvers passes", () => {
    const text = shipped().replace(/REPLACE-WITH-(\w+?)S-PUBLIC-KEY/g, (_m, who: string) =>
      who === 'ONCALL' ? key() : KEYS[who.toLowerCase() as 'alice' | 'bob' | 'carol'],
    );
    const { policy: p, problems } = parsePolicy(parseYaml(text));
    expect(problems).toEqual([]);
    const { approval, ...rules } = p!.environments[0];
    const { approval: seedApproval, ...seedRules } = policy().environments[0];
    // SEED 12: the weekly maintenance window, Sunday 02:00-04:00 in a UTC+8 zone, and the production day's
    // timeline: 5% at 10:00, 25% at 10:30, 50% at 11:30, the full switch at 13:30, all done by 14:30.
    const maintenance = { name: 'maintenance', days: ['sun'], start: '02:00', end: '04:00' };
    const day = (name: string, start: string, maxWeight?: number) => ({
      name,
      days: ['tue', 'wed', 'thu'],
      start,
      end: '14:30',
      ...(maxWeight ? { maxWeight } : {}),
    });
    expect(rules).toEqual({
      ...seedRules,
      windows: {
        timeZone: 'Asia/Singapore',
        onClose: 'hold',
        weekly: [
          maintenance,
          day('canary-5', '10:00', 5),
          day('canary-25', '10:30', 25),
          day('canary-50', '11:30', 50),
          day('full-switch', '13:30'),
        ],
      },
    });
    expect({ ...approval, operators: [] }).toEqual({ ...seedApproval, operators: [] });
    expect(policyProblems(p!, signedPlan())).toEqual([]);
  });
});
