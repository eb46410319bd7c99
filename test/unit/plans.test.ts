// Every plan shipped in the repository (deploy/plans/, examples/) passes the same validation the CLI
// runs, and the production plan is the seed's plan written out in full.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_PLAN_DOCUMENT } from '../../src/plan/defaults';
import { defaultPlan, loadPlanFile, validatePlan } from '../../src/plan/load';

const ROOT = join(__dirname, '..', '..');
const planFiles = ['deploy/plans', 'examples']
  .map((d) => join(ROOT, d))
  .filter((d) => existsSync(d))
  .flatMap((d) =>
    readdirSync(d, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(ya?ml|json)$/.test(f) && !f.endsWith('.schema.json'))
      .map((f) => join(d, f)),
  );

test('there are plans to check', () => {
  expect(planFiles.map((f) => f.slice(ROOT.length + 1))).toContain('deploy/plans/production.yaml');
});

test.each(planFiles.map((f) => [f.slice(ROOT.length + 1), f]))('%s passes validatePlan', (_name, file) => {
  expect(() => loadPlanFile(file)).not.toThrow();
});

test('production.yaml is complete on its own: it equals the seed defaults key for key', () => {
  const doc = parse(readFileSync(join(ROOT, 'deploy', 'plans', 'production.yaml'), 'utf8')) as Record<string, unknown>;
  expect(Object.keys(doc).sort()).toEqual(Object.keys(DEFAULT_PLAN_DOCUMENT).sort());
  // Except the approvers' keys: the seed names none, production.yaml must (decisions are signed).
  const withoutKeys = JSON.parse(JSON.stringify(doc)) as { approval: { approvers: { publicKey?: string }[] } };
  withoutKeys.approval.approvers.forEach((a) => delete a.publicKey);
  expect(withoutKeys).toEqual(JSON.parse(JSON.stringify(DEFAULT_PLAN_DOCUMENT)));
  const plan = loadPlanFile(join(ROOT, 'deploy', 'plans', 'production.yaml'));
  const seed = defaultPlan();
  expect({ ...plan, approval: undefined }).toEqual({ ...seed, approval: undefined });
  expect(plan.approval).toMatchObject({
    timeoutMs: seed.approval.timeoutMs,
    requiredRoles: seed.approval.requiredRoles,
    requireSignatures: true,
    allowUnsigned: false,
  });
  expect(plan.canary.steps.map((s) => s.weight)).toEqual([5, 25, 50]);
});

test('production.yaml validates only with a distinct key for every approver (hole 2)', () => {
  const doc = parse(readFileSync(join(ROOT, 'deploy', 'plans', 'production.yaml'), 'utf8')) as {
    approval: { approvers: { publicKey?: string }[] };
  };
  const keys = doc.approval.approvers.map((a) => a.publicKey);
  expect(new Set(keys).size).toBe(3);
  delete doc.approval.approvers[1].publicKey;
  expect(() => validatePlan(doc, 'production.yaml')).toThrow(/approval\.approvers\[1\]\.publicKey is required/);
});

test('the check can fail: a broken copy of the plan is refused, naming the field', () => {
  const doc = parse(readFileSync(join(ROOT, 'deploy', 'plans', 'production.yaml'), 'utf8')) as {
    canary: { steps: { weight: number }[] };
  };
  doc.canary.steps[1].weight = 3;
  expect(() => validatePlan(doc, 'production.yaml')).toThrow(/canary\.steps\[1\]\.weight/);
});
