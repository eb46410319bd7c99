// The JSON Schema editors check plans with (src/plan/json-schema.ts) against the zod schema it is
// generated from, with a real JSON Schema validator: the committed copy is current, every shipped
// plan names it and passes it, and the invalid plans are refused by both when the error is
// structural, or by zod alone for exactly the rules listed in ZOD_ONLY_RULES.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import type { Io } from '../../src/client/cli';
import { run } from '../../src/client/main';
import { DEFAULT_PLAN_DOCUMENT } from '../../src/plan/defaults';
import { PLAN_SCHEMA_FILE, planJsonSchema, planJsonSchemaText, ZOD_ONLY_RULES } from '../../src/plan/json-schema';
import { PlanError, validatePlan } from '../../src/plan/load';

const ROOT = join(__dirname, '..', '..');
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(planJsonSchema());
const schemaErrors = (doc: unknown): string[] =>
  validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);

const zodProblems = (doc: unknown): string[] => {
  try {
    validatePlan(doc);
    return [];
  } catch (err) {
    if (err instanceof PlanError) return err.problems;
    throw err;
  }
};

test('the committed plan.schema.json is what the generator produces (run `npm run plan:schema` after editing schema.ts)', () => {
  expect(readFileSync(join(ROOT, PLAN_SCHEMA_FILE), 'utf8')).toBe(planJsonSchemaText());
});

test('`hwayo-release plan schema` prints the schema', async () => {
  let out = '';
  const io: Io = { out: (t) => void (out += `${t}\n`), err: () => undefined, env: {}, isTTY: false };
  expect(await run(['plan', 'schema'], io)).toBe(0);
  expect(JSON.parse(out)).toEqual(planJsonSchema());
});

const shippedPlans = ['deploy/plans', 'examples'].flatMap((d) =>
  readdirSync(join(ROOT, d))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => `${d}/${f}`),
);

test('there are shipped plans to check', () => {
  expect(shippedPlans).toEqual(expect.arrayContaining(['deploy/plans/production.yaml', 'examples/local-plan.yaml']));
});

test.each(shippedPlans)('%s names the schema in its yaml-language-server line and passes it', (file) => {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const modeline = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text);
  expect(modeline).not.toBeNull();
  expect(resolve(ROOT, dirname(file), modeline![1])).toBe(join(ROOT, PLAN_SCHEMA_FILE));
  expect(schemaErrors(parse(text))).toEqual([]);
});

test('the default plan passes the schema too', () => {
  expect(schemaErrors(JSON.parse(JSON.stringify(DEFAULT_PLAN_DOCUMENT)))).toEqual([]);
});

type Rule = 'structural' | (typeof ZOD_ONLY_RULES)[number];
const rule = (i: number): Rule => ZOD_ONLY_RULES[i];
const steps = (...weights: number[]) => weights.map((weight) => ({ weight, watch: '1m' }));
const approvers = [
  { id: 'kim', role: 'tech-lead' },
  { id: 'kim', role: 'product-manager' },
  { id: 'lee', role: 'qa-lead' },
];

// The invalid plans of plan.test.ts, then more structural ones: [name, plan, field zod names, rule].
const INVALID: [string, unknown, string, Rule][] = [
  ['weights that do not increase', { canary: { steps: steps(5, 25, 25) } }, 'canary.steps[2].weight', rule(0)],
  ['a weight below 1', { canary: { steps: steps(0, 50) } }, 'canary.steps[0].weight', 'structural'],
  ['a weight above 100', { canary: { steps: steps(5, 101) } }, 'canary.steps[1].weight', 'structural'],
  [
    'a watch window under 1 s, as text',
    { canary: { steps: [{ weight: 5, watch: '500ms' }] } },
    'canary.steps[0].watch',
    rule(12),
  ],
  [
    'a watch window under 1 s, in ms',
    { canary: { steps: [{ weight: 5, watch: 500 }] } },
    'canary.steps[0].watch',
    'structural',
  ],
  ['a duration that is not one', { fullSwitch: { watch: 'ten minutes' } }, 'fullSwitch.watch', 'structural'],
  ['an unknown entry service', { traffic: { entryService: 'billing' } }, 'traffic.entryService', rule(2)],
  ['duplicate approver ids', { approval: { approvers } }, 'approval.approvers[1].id', rule(1)],
  [
    'no rollback trigger',
    {
      canary: { healthCheckFailureLimit: 0 },
      metrics: [{ name: 'error_rate', query: 'x{namespace="{{namespace}}"}', healthy: { max: 1 } }],
    },
    'metrics',
    rule(11),
  ],
  ['the route in the blue namespace', { traffic: { namespace: 'hwayo-production' } }, 'traffic.namespace', rule(5)],
  [
    'no release-baseline check',
    { preflight: { checks: [{ name: 'nodes', group: 'infrastructure', kind: 'kubernetes-nodes' }] } },
    'preflight.checks',
    rule(8),
  ],
  [
    'a release-baseline check outside infrastructure',
    { preflight: { checks: [{ name: 'baseline', group: 'security', kind: 'release-baseline' }] } },
    'preflight.checks[0].group',
    rule(8),
  ],
  [
    'an alternating plan with a fixed destination',
    { traffic: { blueDestination: 'api-gateway.hwayo-production.svc.cluster.local' } },
    'traffic.blueDestination',
    rule(4),
  ],
  [
    'the maintenance page in the blue namespace',
    { traffic: { maintenanceDestination: 'maintenance-page.hwayo-production.svc.cluster.local' } },
    'traffic.maintenanceDestination',
    rule(5),
  ],
  [
    'the maintenance page in green (gateway-api)',
    { traffic: { provider: 'gateway-api', maintenanceDestination: 'hwayo-production-green/maintenance-page' } },
    'traffic.maintenanceDestination',
    rule(5),
  ],
  ['unknown keys', { canary: { stpes: [] }, approvl: {} }, 'canary', 'structural'],
  [
    'a required role nobody can give',
    { approval: { requiredRoles: ['tech-lead', 'security-lead'] } },
    'approval.requiredRoles[1]',
    rule(6),
  ],
  [
    'signatures required, no keys',
    { approval: { requireSignatures: true } },
    'approval.approvers[0].publicKey',
    rule(7),
  ],
  ['a count of the wrong type', { canary: { inconclusiveLimit: 'three' } }, 'canary.inconclusiveLimit', 'structural'],
  ['a port out of range', { traffic: { port: 70000 } }, 'traffic.port', 'structural'],
  ['an unknown provider', { traffic: { provider: 'nginx' } }, 'traffic.provider', 'structural'],
  [
    'a public key that is not one',
    { approval: { approvers: [{ id: 'a', role: 'tech-lead', publicKey: 'nope' }], requiredRoles: ['tech-lead'] } },
    'approval.approvers[0].publicKey',
    'structural',
  ],
  [
    'a check without its required field',
    {
      preflight: {
        checks: [
          { name: 'baseline', group: 'infrastructure', kind: 'release-baseline' },
          { name: 's3', group: 'infrastructure', kind: 's3-bucket' },
        ],
      },
    },
    'preflight.checks[1].bucket',
    'structural',
  ],
  [
    'an unknown check kind',
    {
      preflight: {
        checks: [
          { name: 'baseline', group: 'infrastructure', kind: 'release-baseline' },
          { name: 'x', group: 'security', kind: 'magic' },
        ],
      },
    },
    'preflight.checks[1].kind',
    'structural',
  ],
  ['an app that is not a DNS label', { app: 'Hwayo' }, 'app', 'structural'],
  ['an e-mail that is not one', { notifications: { email: 'on-call' } }, 'notifications.email', 'structural'],
  ['no services', { services: [] }, 'services', 'structural'],
  [
    'the same namespace for blue and green',
    { environments: { green: 'hwayo-production' } },
    'environments.green',
    rule(3),
  ],
  [
    'duplicate services',
    {
      services: [
        { name: 'api-gateway', healthPath: '/' },
        { name: 'api-gateway', healthPath: '/x' },
      ],
    },
    'services[1].name',
    rule(1),
  ],
  [
    'a metric with no bounds',
    {
      metrics: [
        { name: 'x', query: 'q', rollback: { above: 1 } },
        { name: 'y', query: 'q' },
      ],
    },
    'metrics[1]',
    rule(9),
  ],
  [
    'an unknown metric provider',
    { metrics: [{ name: 'x', provider: 'datadog', query: 'q', rollback: { above: 1 } }] },
    'metrics[0].provider',
    'structural',
  ],
  [
    'a CloudWatch metric with a PromQL query',
    { metrics: [{ name: 'x', provider: 'cloudwatch', query: 'sum(up)', rollback: { above: 1 } }] },
    'metrics[0].query',
    'structural',
  ],
  [
    'a CloudWatch metric without its statistic',
    {
      metrics: [
        {
          name: 'x',
          provider: 'cloudwatch',
          query: { namespace: 'AWS/ELB', metricName: 'M', period: 60 },
          rollback: { above: 1 },
        },
      ],
    },
    'metrics[0].query.stat',
    'structural',
  ],
  [
    'a CloudWatch period it does not store',
    {
      metrics: [
        {
          name: 'x',
          provider: 'cloudwatch',
          query: { namespace: 'AWS/ELB', metricName: 'M', stat: 'Sum', period: 90 },
          rollback: { above: 1 },
        },
      ],
    },
    'metrics[0].query.period',
    rule(13),
  ],
  [
    'compareToStable without {{namespace}}',
    { metrics: [{ name: 'x', query: 'q', rollback: { above: 1 }, compareToStable: { maxIncrease: 1 } }] },
    'metrics[0].query',
    rule(10),
  ],
];

describe.each(INVALID)('%s', (_name, doc, field, kind) => {
  test(`zod refuses it, naming ${field}`, () => {
    expect(zodProblems(doc).some((p) => p.startsWith(`${field} `))).toBe(true);
  });
  if (kind === 'structural') {
    test('the JSON Schema refuses it too', () => expect(schemaErrors(doc)).not.toEqual([]));
  } else {
    test(`the JSON Schema accepts it: zod-only rule "${kind}"`, () => expect(schemaErrors(doc)).toEqual([]));
  }
});

test('every zod-only rule is shown by an invalid plan above (the list is exact)', () => {
  expect(new Set(INVALID.map(([, , , kind]) => kind).filter((k) => k !== 'structural'))).toEqual(
    new Set(ZOD_ONLY_RULES),
  );
});
