// Validation of user plans at the edge. Errors name the field the way people write it:
// `canary.steps[1].weight must be greater than the previous step's 25`.
import { z } from 'zod';
import { followsNamespace, renderDestination, serviceRef } from './destinations';
import { formatDuration, parseDuration } from './duration';
import { MATCHER, SELECTOR } from './error-budget';
import { HISTORY_EVENT_BUDGET, shortestIntervalMs, worstCaseHistoryEvents } from './history';
import { DEFAULT_METRIC_PROVIDER, metricProviders } from '../metrics/registry';
import { renderTemplate, specOf, templatedTexts } from './metric-queries';
import { queryTemplateProblem } from '../metrics/prometheus/spec';
import { publicKeyProblem } from './public-keys';
import { freezeSchema, windowsSchema } from '../policy/windows';
import { METRIC_PROVIDERS, ROUTER_KINDS, type MetricProviderKind, type MetricSpec, type ReleasePlan } from './types';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/**
 * Upper bounds: a typo ("24d" for "24h", "1e20" ms) must not become a timer nobody can wait out or a date that cannot
 * be written.
 */
export const DURATION_MAX = {
  approval: 7 * DAY,
  watch: 24 * HOUR,
  retention: 30 * DAY,
  timeout: 24 * HOUR,
  freshness: 7 * DAY,
  analysisInterval: HOUR,
  /** A year and a bit: SLA windows beyond it are typos. */
  errorBudgetWindow: 400 * DAY,
  rehearsalAge: 90 * DAY,
};
const days = (ms: number) =>
  ms % DAY === 0 && ms > DAY ? `${ms / DAY}d` : ms % HOUR === 0 ? `${ms / HOUR}h` : `${ms / 1000}s`;
const tooLong = (raw: unknown, max: number) => `must be at most ${days(max)} (got ${JSON.stringify(raw)})`;

/** Every duration field and its minimum in ms: the JSON Schema generator (json-schema.ts) describes them. */
export const durationFields = z.registry<{ minMs: number }>();

// approval.timeout (written without a bound) is bounded in the refinement below.
const duration = (min: number, max = Number.POSITIVE_INFINITY) =>
  z
    .union([z.string(), z.number()])
    .transform((raw, ctx) => {
      const ms = parseDuration(raw);
      if (ms === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a duration like "15m", "24h", "90s" or milliseconds (got ${JSON.stringify(raw)})`,
        });
        return z.NEVER;
      }
      if (ms < min) {
        ctx.addIssue({ code: 'custom', message: `must be at least ${min / 1000}s (got ${JSON.stringify(raw)})` });
        return z.NEVER;
      }
      if (!(ms <= max)) {
        ctx.addIssue({ code: 'custom', message: tooLong(raw, max) });
        return z.NEVER;
      }
      return ms;
    })
    .register(durationFields, { minMs: min });

// Each identifier is checked against the rule of the system that will receive it, so a bad one is
// refused here rather than by Kubernetes or RDS in the middle of a release (or of an emergency).
const name = z
  .string()
  .max(63, 'must be at most 63 characters (a DNS label)')
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase DNS label (a-z, 0-9, -)');
/** Services are Kubernetes Services as well as Deployments: DNS-1035, so a letter first. */
const serviceName = z
  .string()
  .max(63, 'must be at most 63 characters (a DNS label)')
  .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase DNS-1035 label (a letter first, then a-z, 0-9, -)');
const nonEmpty = z.string().min(1, 'must not be empty');
const hostname = z
  .string()
  .max(253, 'must be at most 253 characters')
  .regex(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a lowercase DNS name');
const httpUrl = z.string().refine(isHttpUrl, 'must be an http:// or https:// URL');
/** RFC 9110 token: what an HTTP header name may be. */
const headerName = z
  .string()
  .max(256, 'must be at most 256 characters')
  .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)");
const headerValue = z
  .string()
  .max(4096, 'must be at most 4096 characters')
  .regex(/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/, 'must be printable ASCII without leading or trailing spaces');
/** RDS: letters, digits and single hyphens, a letter first, no trailing hyphen (instances 63, snapshots 255). */
const rdsId = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters (an RDS identifier)`)
    .regex(
      /^[A-Za-z](-?[A-Za-z0-9])*$/,
      'must be an RDS identifier: a letter first, then letters, digits and single hyphens, not ending in a hyphen',
    );
/** Kubernetes Secret data keys. */
const secretKey = z
  .string()
  .max(253, 'must be at most 253 characters')
  .regex(/^[-._a-zA-Z0-9]+$/, 'must be a Secret key (letters, digits, "-", "_", ".")');
const bucket = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 characters: a-z, 0-9, ".", "-")');
/** The form of a key (also in the JSON Schema); whether it is a sound ed25519 point is checked below. */
const publicKeyText = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a base64 ed25519 public key (32 bytes)');
/** A kind from a registry's list; the message names every known one (a typo is refused, never mapped). */
const oneOf = <const K extends readonly [string, ...string[]]>(kinds: K, what: string) =>
  z.enum(kinds, { error: (iss) => `must be a known ${what}: ${kinds.join(', ')} (got ${JSON.stringify(iss.input)})` });
const group = z.enum(['infrastructure', 'security', 'monitoring']);
const port = z.number().int().min(1).max(65535);

const check = z.discriminatedUnion('kind', [
  z.strictObject({ name: nonEmpty, group, kind: z.literal('kubernetes-nodes') }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('postgres') }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('redis') }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('s3-bucket'), bucket: nonEmpty }),
  // SEED 9 "Before": blue's configuration backed up to this bucket before anything changes.
  z.strictObject({ name: nonEmpty, group, kind: z.literal('config-backup'), bucket: nonEmpty }),
  z.strictObject({
    name: nonEmpty,
    group,
    kind: z.literal('rds-snapshot'),
    snapshot: nonEmpty,
    maxAgeHours: z
      .number()
      .positive()
      .max(24 * 366),
  }),
  // SEED 9 "rollback script tested": the last restore rehearsal of this database succeeded recently enough.
  z.strictObject({
    name: nonEmpty,
    group,
    kind: z.literal('restore-rehearsal'),
    database: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, 'must be an RDS instance identifier'),
    maxAge: duration(HOUR, DURATION_MAX.rehearsalAge).optional(),
  }),
  z.strictObject({
    name: nonEmpty,
    group,
    kind: z.literal('tls-certificate'),
    host: nonEmpty,
    port,
    minValidDays: z.number().min(0),
  }),
  z.strictObject({
    name: nonEmpty,
    group,
    kind: z.literal('waf'),
    webAclName: nonEmpty,
    webAclId: nonEmpty.optional(),
    scope: z.enum(['REGIONAL', 'CLOUDFRONT']),
  }),
  z.strictObject({
    name: nonEmpty,
    group,
    kind: z.literal('security-groups'),
    groupIds: z.array(nonEmpty).optional(),
    tag: z.strictObject({ key: nonEmpty, value: nonEmpty }).optional(),
    allowedPorts: z.array(port),
  }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('http'), url: httpUrl }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('elasticsearch'), url: httpUrl }),
  z.strictObject({
    name: nonEmpty,
    group,
    kind: z.literal('prometheus-targets'),
    jobs: z.array(nonEmpty.max(200, 'must be at most 200 characters')).min(1).max(50).optional(),
  }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('security-evidence') }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('cluster-policies'), namespace: name.optional() }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('mesh-mtls'), rootNamespace: name.optional() }),
  z.strictObject({ name: nonEmpty, group, kind: z.literal('release-baseline') }),
  z.strictObject({
    name: nonEmpty,
    group,
    kind: z.literal('error-budget'),
    // Below 100: a 100% target leaves no budget, so every release would be refused.
    target: z.number().gt(0).lt(100, 'must be below 100 (100% leaves no error budget)').optional(),
    window: duration(60_000, DURATION_MAX.errorBudgetWindow).optional(),
    requests: z
      .string()
      .max(1000)
      .refine((s) => SELECTOR.test(renderTemplate(s, { namespace: 'x' })) && !queryTemplateProblem(s), {
        message: 'must be a counter selector like http_requests_total{namespace="{{namespace}}"}',
      })
      .refine((s) => !/\{\{\s*(cluster|region)\s*\}\}/.test(s), {
        message:
          'may not use {{cluster}} or {{region}}: only metric queries and healthUrlTemplate are filled per cluster',
      })
      .optional(),
    errors: z.string().max(500).regex(MATCHER, 'must be one label matcher like status=~"5.."').optional(),
  }),
]);

// A field bound rather than a refinement, so the JSON Schema carries it too.
const weightRange = (issue: { input?: unknown }) => `must be between 1 and 100 (got ${String(issue.input)})`;

const metricBase = {
  name: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be snake_case'),
  unit: z.string().optional(),
  healthy: z.strictObject({ max: z.number().optional(), min: z.number().optional() }).optional(),
  rollback: z.strictObject({ above: z.number().optional(), below: z.number().optional() }).optional(),
  compareToStable: z
    .strictObject({ maxIncrease: z.number().min(0).optional(), maxDecrease: z.number().min(0).optional() })
    .optional(),
  stages: z
    .array(z.enum(['canary', 'full-switch']))
    .min(1, 'must name canary, full-switch or both (leave it out for every watch)')
    .optional(),
};

// One branch per metric provider of the registry, its `query` the provider's own (src/metrics/<kind>/spec.ts);
// `provider` absent is Prometheus, so plans and the resolved plans of releases recorded before providers existed
// stay valid and unchanged.
const metricBranch = (kind: MetricProviderKind) =>
  z.strictObject({
    ...metricBase,
    provider: kind === DEFAULT_METRIC_PROVIDER ? z.literal(kind).optional() : z.literal(kind),
    query: metricProviders[kind].query,
  });
type MetricBranch = ReturnType<typeof metricBranch>;
// Typed as the registry's MetricSpec: zod cannot see that each branch pairs a kind with that kind's query schema.
const metric = z.discriminatedUnion(
  'provider',
  METRIC_PROVIDERS.map(metricBranch) as [MetricBranch, ...MetricBranch[]],
  {
    error: (iss) =>
      iss.code === 'invalid_union' && iss.note === 'No matching discriminator'
        ? `must be a known metric provider: ${METRIC_PROVIDERS.join(', ')} (got ${JSON.stringify((iss.input as { provider?: unknown })?.provider)})`
        : undefined,
  },
) as unknown as z.ZodType<MetricSpec, MetricSpec>;

export const planSchema = z
  .strictObject({
    app: name,
    services: z
      .array(z.strictObject({ name: serviceName, healthPath: z.string().startsWith('/', 'must start with "/"') }))
      .min(1, 'must list at least one service'),
    environments: z.strictObject({ blue: name, green: name, alternate: z.boolean() }),
    healthUrlTemplate: nonEmpty,
    approval: z.strictObject({
      timeout: duration(1000),
      requiredRoles: z
        .array(nonEmpty)
        .min(1, 'must list at least one role: with none, a release would pass the gate unapproved'),
      approvers: z.array(
        z.strictObject({
          id: nonEmpty,
          role: nonEmpty,
          name: z.string().optional(),
          publicKey: publicKeyText.optional(),
        }),
      ),
      // Decisions are signed unless allowUnsigned; requireSignatures is read only to catch old plans.
      requireSignatures: z.boolean().optional(),
      allowUnsigned: z.boolean().optional(),
      operators: z
        .array(z.strictObject({ id: nonEmpty, name: z.string().optional(), publicKey: publicKeyText }))
        .optional(),
    }),
    preflight: z.strictObject({ freshness: duration(1000, DURATION_MAX.freshness), checks: z.array(check) }),
    green: z.strictObject({ readyTimeout: duration(1000, DURATION_MAX.timeout) }),
    traffic: z.strictObject({
      provider: oneOf(ROUTER_KINDS, 'traffic router'),
      name,
      namespace: name,
      host: hostname,
      canaryHeader: z.strictObject({ name: headerName, value: headerValue }),
      blueDestination: nonEmpty,
      greenDestination: nonEmpty,
      port,
      maintenanceDestination: nonEmpty,
      entryService: serviceName,
    }),
    canary: z.strictObject({
      steps: z
        .array(
          z.strictObject({
            weight: z
              .number()
              .int('must be a whole percentage')
              .min(1, { error: weightRange })
              .max(100, { error: weightRange }),
            watch: duration(1000, DURATION_MAX.watch),
          }),
        )
        .min(1, 'must have at least one step'),
      analysisInterval: duration(1000, DURATION_MAX.analysisInterval),
      inconclusiveLimit: z.number().int().min(1),
      onInconclusive: z.enum(['pause', 'rollback']),
      healthCheckFailureLimit: z.number().int().min(0),
      // Optional: releases started before it continue as new with their own plan.
      maxPause: duration(60_000, DURATION_MAX.watch).optional(),
    }),
    fullSwitch: z.strictObject({ watch: duration(1000, DURATION_MAX.watch) }),
    metrics: z.array(metric),
    retention: z.strictObject({ blueKeep: duration(0, DURATION_MAX.retention) }),
    rollback: z.strictObject({ blueReadyTimeout: duration(1000, DURATION_MAX.timeout) }),
    database: z.strictObject({
      // The emergency snapshot is `<snapshotPrefix>-<yyyymmddThhmmssz>` (17 more characters).
      instance: rdsId(63),
      backupSnapshot: rdsId(255),
      restoredInstance: rdsId(63),
      snapshotPrefix: rdsId(255 - 17),
      // Real RDS snapshots and restores take tens of minutes; more than a day means something is stuck.
      snapshotTimeout: duration(60_000, DURATION_MAX.timeout),
      restoreTimeout: duration(60_000, DURATION_MAX.timeout),
      connectionSecret: z.strictObject({ name, key: secretKey }),
    }),
    notifications: z.strictObject({
      slackChannels: z.strictObject({ critical: nonEmpty, warning: nonEmpty, info: nonEmpty }),
      email: z.email(),
      pagerduty: z.boolean(),
      onCall: z.array(z.email()).min(1).max(10).optional(),
    }),
    artifactsBucket: bucket,
    smoke: z
      .strictObject({
        url: httpUrl,
        hostHeader: nonEmpty.optional(),
        endpoints: z
          .array(
            z.strictObject({
              name: nonEmpty,
              method: z.enum(['GET', 'POST']),
              path: z.string().regex(/^\/[^\s]*$/, 'must be a path starting with "/"'),
              expectStatus: z.number().int().min(100).max(599),
            }),
          )
          .max(50),
      })
      // Optional in a resolved plan: releases from before the smoke stage carry none.
      .optional(),
    /** Narrower release windows than the platform policy's (tighten.ts); absent: the policy's. */
    windows: windowsSchema.optional(),
    /** Freezes of this plan's own, added to the platform policy's (which always stay): a plan only tightens. */
    freezes: z.array(freezeSchema).max(20).optional(),
  })
  .superRefine((plan, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    plan.canary.steps.forEach((step, i) => {
      const prev = plan.canary.steps[i - 1];
      if (prev && step.weight <= prev.weight)
        issue(['canary', 'steps', i, 'weight'], `must be greater than the previous step's ${prev.weight}`);
    });
    dupes(plan.services.map((s) => s.name)).forEach((i) =>
      issue(['services', i, 'name'], `duplicates service "${plan.services[i].name}"`),
    );
    if (!plan.services.some((s) => s.name === plan.traffic.entryService)) {
      issue(
        ['traffic', 'entryService'],
        `names unknown service "${plan.traffic.entryService}" (known: ${plan.services.map((s) => s.name).join(', ')})`,
      );
    }
    if (plan.environments.blue === plan.environments.green)
      issue(['environments', 'green'], 'must differ from environments.blue');
    if (plan.environments.alternate) {
      for (const key of ['blueDestination', 'greenDestination'] as const) {
        if (!followsNamespace(plan.traffic[key]))
          issue(
            ['traffic', key],
            `must contain {{namespace}} when environments.alternate is true: the two namespaces take turns as blue and green (got "${plan.traffic[key]}")`,
          );
      }
    }
    const pageNamespace = serviceRef(
      renderDestination(plan.traffic.maintenanceDestination, plan.traffic.namespace),
      plan.traffic.namespace,
    ).namespace;
    if (pageNamespace === plan.environments.blue || pageNamespace === plan.environments.green) {
      issue(
        ['traffic', 'maintenanceDestination'],
        `must not be in the blue or green namespace ("${pageNamespace}"): both are deleted in turn, and the page must outlive them`,
      );
    }
    if (plan.traffic.namespace === plan.environments.blue || plan.traffic.namespace === plan.environments.green) {
      issue(
        ['traffic', 'namespace'],
        `must not be the blue or green namespace ("${plan.traffic.namespace}"): the release deletes green on rollback and blue after the retention window, and the route with it`,
      );
    }
    dupes(plan.approval.approvers.map((a) => a.id)).forEach((i) =>
      issue(['approval', 'approvers', i, 'id'], `duplicates approver id "${plan.approval.approvers[i].id}"`),
    );
    dupes(plan.approval.requiredRoles).forEach((i) =>
      issue(['approval', 'requiredRoles', i], `duplicates role "${plan.approval.requiredRoles[i]}"`),
    );
    plan.approval.requiredRoles.forEach((role, i) => {
      if (!plan.approval.approvers.some((a) => a.role === role))
        issue(['approval', 'requiredRoles', i], `role "${role}" has no approver who could give it`);
    });
    approvalKeyIssues(plan.approval, issue);
    const baselines = plan.preflight.checks
      .map((c, i) => (c.kind === 'release-baseline' ? i : -1))
      .filter((i) => i >= 0);
    if (baselines.length === 0)
      issue(
        ['preflight', 'checks'],
        'need a check of kind release-baseline: it stops a release that would deploy over production (green already live, a release in flight, blue missing)',
      );
    baselines.forEach((i) => {
      if (plan.preflight.checks[i].group !== 'infrastructure')
        issue(
          ['preflight', 'checks', i, 'group'],
          'must be infrastructure for a release-baseline check (it runs again when approval comes late)',
        );
    });
    dupes(plan.preflight.checks.map((c) => c.name)).forEach((i) =>
      issue(['preflight', 'checks', i, 'name'], `duplicates check "${plan.preflight.checks[i].name}"`),
    );
    dupes(plan.metrics.map((m) => m.name)).forEach((i) =>
      issue(['metrics', i, 'name'], `duplicates metric "${plan.metrics[i].name}"`),
    );
    plan.metrics.forEach((m, i) => {
      if (!m.healthy && !m.rollback && !m.compareToStable)
        issue(['metrics', i], 'needs at least one of healthy, rollback or compareToStable');
      if (m.healthy && m.healthy.max === undefined && m.healthy.min === undefined)
        issue(['metrics', i, 'healthy'], 'needs max or min');
      if (m.rollback && m.rollback.above === undefined && m.rollback.below === undefined)
        issue(['metrics', i, 'rollback'], 'needs above or below');
      if (!templatedTexts(m).some((t) => t.includes('{{namespace}}')) && m.compareToStable !== undefined) {
        issue(
          ['metrics', i, 'query'],
          `must contain {{namespace}}${specOf(m).namespaceWhere} to compare canary with stable`,
        );
      }
    });
    const hasTrigger = plan.metrics.some((m) => m.rollback) || plan.canary.healthCheckFailureLimit > 0;
    if (!hasTrigger)
      issue(
        ['metrics'],
        'need a rollback bound on at least one metric (or canary.healthCheckFailureLimit > 0): the plan has no rollback trigger',
      );

    if (!(plan.approval.timeout <= DURATION_MAX.approval))
      issue(
        ['approval', 'timeout'],
        `must be at most ${days(DURATION_MAX.approval)} (got ${shown(plan.approval.timeout)})`,
      );
    if (!plan.healthUrlTemplate.includes('{{namespace}}')) {
      issue(
        ['healthUrlTemplate'],
        "must contain {{namespace}}: without it the health checks of green would probe the same URL as blue's, production",
      );
    } else if (
      !isHttpUrl(
        plan.healthUrlTemplate
          .replace(/\{\{(service|namespace|cluster|region)\}\}/g, 'x')
          .replace(/\{\{path\}\}/g, '/health'),
      )
    ) {
      issue(
        ['healthUrlTemplate'],
        'must be an http:// or https:// URL once {{service}}, {{namespace}}, {{path}} (and {{cluster}}, {{region}}) are filled in',
      );
    }
    plan.metrics.forEach((m, i) => {
      for (const [path, problem] of specOf(m).templateProblems(m.query))
        issue(['metrics', i, 'query', ...path], problem);
      for (const [path, message] of thresholdContradictions(m)) issue(['metrics', i, ...path], message);
    });
    const history = worstCaseHistoryEvents(toReleasePlan(plan));
    if (history.events > HISTORY_EVENT_BUDGET) {
      const shortest = shortestIntervalMs(toReleasePlan(plan));
      issue(
        ['canary', 'analysisInterval'],
        `${formatDuration(plan.canary.analysisInterval)} gives ${history.analyses} analyses over the canary and full-switch watches, a worst-case workflow history of ${history.events} events (more than ${HISTORY_EVENT_BUDGET}): ${shortest ? `make it at least ${formatDuration(shortest)} or shorten the watches` : 'shorten the watches, or use fewer steps and checks'}`,
      );
    }
  });

const shown = (ms: number) => (Number.isFinite(ms) ? formatDuration(ms) : 'more than any date can hold');

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** A rollback bound inside the healthy range would roll back a release the plan calls healthy. */
function thresholdContradictions(m: {
  healthy?: { max?: number; min?: number };
  rollback?: { above?: number; below?: number };
}): [string[], string][] {
  const out: [string[], string][] = [];
  const h = m.healthy ?? {};
  const r = m.rollback ?? {};
  if (h.min !== undefined && h.max !== undefined && h.min > h.max)
    out.push([['healthy', 'min'], `must not be above healthy.max ${h.max}: no value would be healthy`]);
  if (r.above !== undefined && r.below !== undefined && r.below >= r.above)
    out.push([['rollback', 'below'], `must be below rollback.above ${r.above}: every value would roll back`]);
  for (const bound of [h.max, h.min]) {
    if (r.above !== undefined && bound !== undefined && r.above < bound) {
      out.push([
        ['rollback', 'above'],
        `must not be below the healthy bound ${bound}: a value the plan calls healthy would roll back`,
      ]);
      break;
    }
  }
  for (const bound of [h.min, h.max]) {
    if (r.below !== undefined && bound !== undefined && r.below > bound) {
      out.push([
        ['rollback', 'below'],
        `must not be above the healthy bound ${bound}: a value the plan calls healthy would roll back`,
      ]);
      break;
    }
  }
  return out;
}

type ApprovalSection = z.output<typeof planSchema>['approval'];

/** Signed by default; sound keys only; one key per person (three roles need three people). */
function approvalKeyIssues(
  approval: ApprovalSection,
  issue: (path: (string | number)[], message: string) => void,
): void {
  const unsigned = approval.allowUnsigned === true;
  if (approval.requireSignatures === true && unsigned)
    issue(['approval', 'allowUnsigned'], 'contradicts approval.requireSignatures: true; remove one of them');
  if (approval.requireSignatures === false && !unsigned) {
    issue(
      ['approval', 'requireSignatures'],
      'false no longer turns signatures off: decisions are signed by default; remove it, or set approval.allowUnsigned: true to run without signatures',
    );
  }
  const people = [
    ...approval.approvers.map((a, i) => ({
      id: a.id,
      publicKey: a.publicKey,
      path: ['approval', 'approvers', i] as (string | number)[],
    })),
    ...(approval.operators ?? []).map((o, i) => ({
      id: o.id,
      publicKey: o.publicKey as string | undefined,
      path: ['approval', 'operators', i] as (string | number)[],
    })),
  ];
  people.forEach((p, i) => {
    if (p.publicKey === undefined) {
      if (!unsigned)
        issue(
          [...p.path, 'publicKey'],
          'is required: decisions are signed (make one with "hwayo-release keys generate"), unless approval.allowUnsigned is true',
        );
      return;
    }
    const problem = publicKeyProblem(p.publicKey);
    if (problem) issue([...p.path, 'publicKey'], problem);
    const first = people.findIndex((q) => q.publicKey === p.publicKey);
    if (first !== i)
      issue(
        [...p.path, 'publicKey'],
        `is also the key of "${people[first].id}": each approver and operator needs their own key (separation of duties)`,
      );
  });
  (approval.operators ?? []).forEach((o, i) => {
    if (approval.approvers.some((a) => a.id === o.id))
      issue(
        ['approval', 'operators', i, 'id'],
        `"${o.id}" is already an approver (approvers may send controls; list each person once)`,
      );
  });
  dupes((approval.operators ?? []).map((o) => o.id)).forEach((i) =>
    issue(['approval', 'operators', i, 'id'], `duplicates operator id "${approval.operators![i].id}"`),
  );
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
      timeoutMs: p.approval.timeout,
      requiredRoles: p.approval.requiredRoles,
      approvers: p.approval.approvers,
      requireSignatures: p.approval.allowUnsigned !== true,
      allowUnsigned: p.approval.allowUnsigned === true,
      operators: p.approval.operators ?? [],
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
      ...(p.canary.maxPause !== undefined ? { maxPauseMs: p.canary.maxPause } : {}),
    },
    fullSwitch: { watchMs: p.fullSwitch.watch },
    metrics: p.metrics,
    retention: { blueKeepMs: p.retention.blueKeep },
    rollback: { blueReadyTimeoutMs: p.rollback.blueReadyTimeout },
    database: {
      instance: p.database.instance,
      backupSnapshot: p.database.backupSnapshot,
      restoredInstance: p.database.restoredInstance,
      snapshotPrefix: p.database.snapshotPrefix,
      snapshotTimeoutMs: p.database.snapshotTimeout,
      restoreTimeoutMs: p.database.restoreTimeout,
      connectionSecret: p.database.connectionSecret,
    },
    notifications: p.notifications,
    artifactsBucket: p.artifactsBucket,
    ...(p.smoke ? { smoke: p.smoke } : {}),
    ...(p.windows ? { windows: p.windows } : {}),
    ...(p.freezes ? { freezes: p.freezes } : {}),
  };
}

/** `a.b[2].c` from a zod path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
    '',
  );
}
