// Validation of user plans at the edge. Errors name the field the way people write it:
// `canary.steps[1].weight must be greater than the previous step's 25`.
import { z } from 'zod';
import { followsNamespace, renderDestination, serviceRef } from './destinations';
import { parseDuration } from './duration';
import type { ReleasePlan } from './types';
import { publicKeyProblem } from '../workflows/signatures';

const duration = (min = 0) =>
  z.union([z.string(), z.number()]).transform((raw, ctx) => {
    const ms = parseDuration(raw);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be a duration like "15m", "24h", "90s" or milliseconds (got ${JSON.stringify(raw)})` });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${min / 1000}s (got ${JSON.stringify(raw)})` });
      return z.NEVER;
    }
    return ms;
  });

const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase DNS label (a-z, 0-9, -)');
const nonEmpty = z.string().min(1, 'must not be empty');
const group = z.enum(['infrastructure', 'security', 'monitoring']);
const port = z.number().int().min(1).max(65535);

const check = z.discriminatedUnion('kind', [
  z.strictObject({ name: nonEmpty, group, kind: z.literal('kubernetes-nodes') }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('postgres') }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('redis') }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('s3-bucket'), bucket: nonEmpty }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('tls-certificate'), host: nonEmpty, port, minValidDays: z.number().min(0) }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('waf'), webAclName: nonEmpty, webAclId: nonEmpty.optional(), scope: z.enum(['REGIONAL', 'CLOUDFRONT']) }),
  z.strictObject({
    name: nonEmpty, group, kind: z.literal('security-groups'),
    groupIds: z.array(nonEmpty).optional(), tag: z.strictObject({ key: nonEmpty, value: nonEmpty }).optional(), allowedPorts: z.array(port),
  }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('http'), url: z.url() }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('elasticsearch'), url: z.url() }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('prometheus-targets') }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('security-evidence') }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('cluster-policies'), namespace: name.optional() }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('release-baseline') }),
]);

const metric = z.strictObject({
  name: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be snake_case'),
  query: nonEmpty,
  unit: z.string().optional(),
  healthy: z.strictObject({ max: z.number().optional(), min: z.number().optional() }).optional(),
  rollback: z.strictObject({ above: z.number().optional(), below: z.number().optional() }).optional(),
  compareToStable: z.strictObject({ maxIncrease: z.number().min(0).optional(), maxDecrease: z.number().min(0).optional() }).optional(),
});

export const planSchema = z
  .strictObject({
    app: name,
    services: z.array(z.strictObject({ name, healthPath: z.string().startsWith('/', 'must start with "/"') })).min(1, 'must list at least one service'),
    environments: z.strictObject({ blue: name, green: name, alternate: z.boolean() }),
    healthUrlTemplate: nonEmpty,
    approval: z.strictObject({
      timeout: duration(1000),
      requiredRoles: z.array(nonEmpty).min(1, 'must list at least one role: with none, a release would pass the gate unapproved'),
      approvers: z.array(z.strictObject({ id: nonEmpty, role: nonEmpty, name: z.string().optional(), publicKey: z.string().optional() })),
      // Decisions are signed unless allowUnsigned; requireSignatures is read only to catch old plans.
      requireSignatures: z.boolean().optional(),
      allowUnsigned: z.boolean().optional(),
      operators: z.array(z.strictObject({ id: nonEmpty, name: z.string().optional(), publicKey: z.string() })).optional(),
    }),
    preflight: z.strictObject({ freshness: duration(1000), checks: z.array(check) }),
    green: z.strictObject({ readyTimeout: duration(1000) }),
    traffic: z.strictObject({
      provider: z.enum(['istio', 'gateway-api']),
      name,
      namespace: name,
      host: nonEmpty,
      canaryHeader: z.strictObject({ name: nonEmpty, value: nonEmpty }),
      blueDestination: nonEmpty,
      greenDestination: nonEmpty,
      port,
      maintenanceDestination: nonEmpty,
      entryService: name,
    }),
    canary: z.strictObject({
      steps: z.array(z.strictObject({ weight: z.number().int('must be a whole percentage'), watch: duration(1000) })).min(1, 'must have at least one step'),
      analysisInterval: duration(1000),
      inconclusiveLimit: z.number().int().min(1),
      onInconclusive: z.enum(['pause', 'rollback']),
      healthCheckFailureLimit: z.number().int().min(0),
    }),
    fullSwitch: z.strictObject({ watch: duration(1000) }),
    metrics: z.array(metric),
    retention: z.strictObject({ blueKeep: duration(0) }),
    rollback: z.strictObject({ blueReadyTimeout: duration(1000) }),
    database: z.strictObject({
      instance: nonEmpty, backupSnapshot: nonEmpty, restoredInstance: nonEmpty, snapshotPrefix: nonEmpty,
      connectionSecret: z.strictObject({ name, key: nonEmpty }),
    }),
    notifications: z.strictObject({
      slackChannels: z.strictObject({ critical: nonEmpty, warning: nonEmpty, info: nonEmpty }),
      email: z.email(),
      pagerduty: z.boolean(),
    }),
    artifactsBucket: nonEmpty,
  })
  .superRefine((plan, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    plan.canary.steps.forEach((step, i) => {
      if (step.weight < 1 || step.weight > 100) issue(['canary', 'steps', i, 'weight'], `must be between 1 and 100 (got ${step.weight})`);
      const prev = plan.canary.steps[i - 1];
      if (prev && step.weight <= prev.weight) issue(['canary', 'steps', i, 'weight'], `must be greater than the previous step's ${prev.weight}`);
    });
    dupes(plan.services.map((s) => s.name)).forEach((i) => issue(['services', i, 'name'], `duplicates service "${plan.services[i].name}"`));
    if (!plan.services.some((s) => s.name === plan.traffic.entryService)) {
      issue(['traffic', 'entryService'], `names unknown service "${plan.traffic.entryService}" (known: ${plan.services.map((s) => s.name).join(', ')})`);
    }
    if (plan.environments.blue === plan.environments.green) issue(['environments', 'green'], 'must differ from environments.blue');
    if (plan.environments.alternate) {
      for (const key of ['blueDestination', 'greenDestination'] as const) {
        if (!followsNamespace(plan.traffic[key])) issue(['traffic', key], `must contain {{namespace}} when environments.alternate is true: the two namespaces take turns as blue and green (got "${plan.traffic[key]}")`);
      }
    }
    const pageNamespace = serviceRef(renderDestination(plan.traffic.maintenanceDestination, plan.traffic.namespace), plan.traffic.namespace).namespace;
    if (pageNamespace === plan.environments.blue || pageNamespace === plan.environments.green) {
      issue(['traffic', 'maintenanceDestination'], `must not be in the blue or green namespace ("${pageNamespace}"): both are deleted in turn, and the page must outlive them`);
    }
    if (plan.traffic.namespace === plan.environments.blue || plan.traffic.namespace === plan.environments.green) {
      issue(['traffic', 'namespace'], `must not be the blue or green namespace ("${plan.traffic.namespace}"): the release deletes green on rollback and blue after the retention window, and the route with it`);
    }
    dupes(plan.approval.approvers.map((a) => a.id)).forEach((i) => issue(['approval', 'approvers', i, 'id'], `duplicates approver id "${plan.approval.approvers[i].id}"`));
    dupes(plan.approval.requiredRoles).forEach((i) => issue(['approval', 'requiredRoles', i], `duplicates role "${plan.approval.requiredRoles[i]}"`));
    plan.approval.requiredRoles.forEach((role, i) => {
      if (!plan.approval.approvers.some((a) => a.role === role)) issue(['approval', 'requiredRoles', i], `role "${role}" has no approver who could give it`);
    });
    approvalKeyIssues(plan.approval, issue);
    const baselines = plan.preflight.checks.map((c, i) => (c.kind === 'release-baseline' ? i : -1)).filter((i) => i >= 0);
    if (baselines.length === 0) issue(['preflight', 'checks'], 'need a check of kind release-baseline: it stops a release that would deploy over production (green already live, a release in flight, blue missing)');
    baselines.forEach((i) => {
      if (plan.preflight.checks[i].group !== 'infrastructure') issue(['preflight', 'checks', i, 'group'], 'must be infrastructure for a release-baseline check (it runs again when approval comes late)');
    });
    dupes(plan.preflight.checks.map((c) => c.name)).forEach((i) => issue(['preflight', 'checks', i, 'name'], `duplicates check "${plan.preflight.checks[i].name}"`));
    dupes(plan.metrics.map((m) => m.name)).forEach((i) => issue(['metrics', i, 'name'], `duplicates metric "${plan.metrics[i].name}"`));
    plan.metrics.forEach((m, i) => {
      if (!m.healthy && !m.rollback && !m.compareToStable) issue(['metrics', i], 'needs at least one of healthy, rollback or compareToStable');
      if (m.healthy && m.healthy.max === undefined && m.healthy.min === undefined) issue(['metrics', i, 'healthy'], 'needs max or min');
      if (m.rollback && m.rollback.above === undefined && m.rollback.below === undefined) issue(['metrics', i, 'rollback'], 'needs above or below');
      if (!m.query.includes('{{namespace}}') && (m.compareToStable !== undefined)) issue(['metrics', i, 'query'], 'must contain {{namespace}} to compare canary with stable');
    });
    const hasTrigger = plan.metrics.some((m) => m.rollback) || plan.canary.healthCheckFailureLimit > 0;
    if (!hasTrigger) issue(['metrics'], 'need a rollback bound on at least one metric (or canary.healthCheckFailureLimit > 0): the plan has no rollback trigger');
  });

type ApprovalSection = z.output<typeof planSchema>['approval'];

/** Signed by default; sound keys only; one key per person (three roles need three people). */
function approvalKeyIssues(approval: ApprovalSection, issue: (path: (string | number)[], message: string) => void): void {
  const unsigned = approval.allowUnsigned === true;
  if (approval.requireSignatures === true && unsigned) issue(['approval', 'allowUnsigned'], 'contradicts approval.requireSignatures: true; remove one of them');
  if (approval.requireSignatures === false && !unsigned) {
    issue(['approval', 'requireSignatures'], 'false no longer turns signatures off: decisions are signed by default; remove it, or set approval.allowUnsigned: true to run without signatures');
  }
  const people = [
    ...approval.approvers.map((a, i) => ({ id: a.id, publicKey: a.publicKey, path: ['approval', 'approvers', i] as (string | number)[] })),
    ...(approval.operators ?? []).map((o, i) => ({ id: o.id, publicKey: o.publicKey as string | undefined, path: ['approval', 'operators', i] as (string | number)[] })),
  ];
  people.forEach((p, i) => {
    if (p.publicKey === undefined) {
      if (!unsigned) issue([...p.path, 'publicKey'], 'is required: decisions are signed (make one with "hwayo-release keys generate"), unless approval.allowUnsigned is true');
      return;
    }
    const problem = publicKeyProblem(p.publicKey);
    if (problem) issue([...p.path, 'publicKey'], problem);
    const first = people.findIndex((q) => q.publicKey === p.publicKey);
    if (first !== i) issue([...p.path, 'publicKey'], `is also the key of "${people[first].id}": each approver and operator needs their own key (separation of duties)`);
  });
  (approval.operators ?? []).forEach((o, i) => {
    if (approval.approvers.some((a) => a.id === o.id)) issue(['approval', 'operators', i, 'id'], `"${o.id}" is already an approver (approvers may send controls; list each person once)`);
  });
  dupes((approval.operators ?? []).map((o) => o.id)).forEach((i) => issue(['approval', 'operators', i, 'id'], `duplicates operator id "${approval.operators![i].id}"`));
}

function dupes(values: string[]): number[] {
  return values.map((v, i) => (values.indexOf(v) !== i ? i : -1)).filter((i) => i >= 0);
}

export type PlanDocument = z.input<typeof planSchema>;
type Parsed = z.output<typeof planSchema>;

/** Maps the validated document (durations already in ms) to the workflow's plan type. */
export function toReleasePlan(p: Parsed): ReleasePlan {
  return {
    app: p.app,
    services: p.services,
    environments: p.environments,
    healthUrlTemplate: p.healthUrlTemplate,
    approval: {
      timeoutMs: p.approval.timeout, requiredRoles: p.approval.requiredRoles, approvers: p.approval.approvers,
      requireSignatures: p.approval.allowUnsigned !== true, allowUnsigned: p.approval.allowUnsigned === true, operators: p.approval.operators ?? [],
    },
    preflight: { freshnessMs: p.preflight.freshness, checks: p.preflight.checks },
    green: { readyTimeoutMs: p.green.readyTimeout },
    traffic: p.traffic,
    canary: {
      steps: p.canary.steps.map((s) => ({ weight: s.weight, watchMs: s.watch })),
      analysisIntervalMs: p.canary.analysisInterval,
      inconclusiveLimit: p.canary.inconclusiveLimit,
      onInconclusive: p.canary.onInconclusive,
      healthCheckFailureLimit: p.canary.healthCheckFailureLimit,
    },
    fullSwitch: { watchMs: p.fullSwitch.watch },
    metrics: p.metrics,
    retention: { blueKeepMs: p.retention.blueKeep },
    rollback: { blueReadyTimeoutMs: p.rollback.blueReadyTimeout },
    database: p.database,
    notifications: p.notifications,
    artifactsBucket: p.artifactsBucket,
  };
}

/** `a.b[2].c` from a zod path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}
