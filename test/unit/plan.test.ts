import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPlan, loadPlanFile, mergeOverDefaults, PlanError, validatePlan } from '../../src/plan/load';
import { publicKeyOf } from '../../src/workflows/signatures';
import { ed25519 } from '@noble/curves/ed25519';
import { formatDuration, parseDuration } from '../../src/plan/duration';
import { eventsPerAnalysis, worstCaseHistoryEvents } from '../../src/plan/history';
import { resolvedPlanProblems } from '../../src/plan/resolved';
import { isOfProvider } from '../../src/plan/metric-queries';

/** The seed names no approver keys: tests about other fields use its unsigned variant. */
const unsigned = (doc: unknown) => mergeOverDefaults({ approval: { allowUnsigned: true } }, doc);
const problems = (doc: unknown, signed = false): string[] => {
  try {
    validatePlan(signed ? doc : unsigned(doc));
  } catch (err) {
    if (err instanceof PlanError) return err.problems;
    throw err;
  }
  throw new Error('expected the plan to be rejected');
};

describe('the default plan is the seed', () => {
  const plan = defaultPlan();
  test('services and health paths', () => {
    expect(plan.services).toEqual([
      { name: 'web-app', healthPath: '/health' },
      { name: 'api-gateway', healthPath: '/api/v1/health' },
      { name: 'auth-service', healthPath: '/auth/health' },
      { name: 'workflow-engine', healthPath: '/workflow/health' },
      { name: 'notification-service', healthPath: '/notification/health' },
      { name: 'report-generator', healthPath: '/report/health' },
    ]);
    expect(plan.environments).toEqual({ blue: 'hwayo-production', green: 'hwayo-production-green', alternate: true });
  });
  test('approval by three roles within 24 h', () => {
    expect(plan.approval.requiredRoles).toEqual(['tech-lead', 'product-manager', 'qa-lead']);
    expect(plan.approval.timeoutMs).toBe(24 * 3_600_000);
    expect(plan.preflight.freshnessMs).toBe(3_600_000);
  });
  test('canary 5% 15 min, 25% 30 min, 50% 30 min, full switch watched 10 min, blue kept 24 h', () => {
    expect(plan.canary.steps).toEqual([
      { weight: 5, watchMs: 15 * 60_000 },
      { weight: 25, watchMs: 30 * 60_000 },
      { weight: 50, watchMs: 30 * 60_000 },
    ]);
    expect(plan.canary.analysisIntervalMs).toBe(60_000);
    expect(plan.canary.maxPauseMs).toBe(3_600_000);
    expect(plan.fullSwitch.watchMs).toBe(10 * 60_000);
    expect(plan.retention.blueKeepMs).toBe(24 * 3_600_000);
    expect(plan.green.readyTimeoutMs).toBe(600_000);
    expect(plan.canary.healthCheckFailureLimit).toBe(3);
  });
  test('healthy thresholds and rollback triggers', () => {
    const m = Object.fromEntries(plan.metrics.map((x) => [x.name, [x.healthy, x.rollback]]));
    expect(m).toEqual({
      error_rate: [{ max: 1 }, { above: 5 }],
      p95_latency: [{ max: 2 }, { above: 5 }],
      cpu: [{ max: 80 }, { above: 95 }],
      memory: [{ max: 85 }, { above: 95 }],
      login_success: [{ min: 95 }, { below: 90 }],
      data_submission_success: [undefined, { below: 95 }],
      report_generation_success: [undefined, { below: 98 }],
      api_availability: [undefined, { below: 99 }],
      login_p95: [{ max: 0.5 }, undefined],
      data_records_p95: [{ max: 1 }, undefined],
      report_generation_p95: [{ max: 30 }, undefined],
      error_rate_sla: [{ max: 0.1 }, undefined],
    });
    // Scoped to the side measured, so a sick canary is not diluted by healthy blue traffic.
    expect(
      plan.metrics.every((x) => isOfProvider(x, 'prometheus') && x.query.includes('namespace="{{namespace}}"')),
    ).toBe(true);
  });
  test('the RDS names of the restore procedure', () => {
    expect(plan.database).toMatchObject({
      instance: 'hwayo-prod-db',
      backupSnapshot: 'hwayo-prod-db-backup-latest',
      restoredInstance: 'hwayo-prod-db-restored',
      snapshotPrefix: 'emergency-snapshot',
    });
  });
  test('emergency snapshot and restore get real budgets (1 h, 2 h), not a minute', () => {
    expect(plan.database).toMatchObject({ snapshotTimeoutMs: 3600_000, restoreTimeoutMs: 2 * 3600_000 });
  });
});

describe('database timeouts are bounded', () => {
  test('between 1 minute and 24 hours, naming the field', () => {
    expect(problems({ database: { snapshotTimeout: '30s' } })).toEqual([
      'database.snapshotTimeout must be at least 60s (got "30s")',
    ]);
    expect(problems({ database: { restoreTimeout: '25h' } })).toEqual([
      'database.restoreTimeout must be at most 24h (got "25h")',
    ]);
    expect(problems({ database: { restoreTimeout: 'soon' } })).toEqual([
      expect.stringMatching(/^database.restoreTimeout must be a duration/),
    ]);
    expect(
      validatePlan(unsigned({ database: { snapshotTimeout: '90m', restoreTimeout: '24h' } })).database,
    ).toMatchObject({ snapshotTimeoutMs: 90 * 60_000, restoreTimeoutMs: 24 * 3600_000 });
  });
});

describe('plans are validated once, with errors that name the field', () => {
  test('weights must strictly increase', () => {
    expect(
      problems({
        canary: {
          steps: [
            { weight: 5, watch: '1m' },
            { weight: 25, watch: '1m' },
            { weight: 25, watch: '1m' },
          ],
        },
      }),
    ).toEqual(["canary.steps[2].weight must be greater than the previous step's 25"]);
  });
  test('weights within 1..100', () => {
    expect(
      problems({
        canary: {
          steps: [
            { weight: 0, watch: '1m' },
            { weight: 101, watch: '1m' },
          ],
        },
      }),
    ).toEqual([
      'canary.steps[0].weight must be between 1 and 100 (got 0)',
      'canary.steps[1].weight must be between 1 and 100 (got 101)',
    ]);
  });
  test('watch windows of at least 1 s', () => {
    expect(problems({ canary: { steps: [{ weight: 5, watch: '500ms' }] } })).toEqual([
      'canary.steps[0].watch must be at least 1s (got "500ms")',
    ]);
    expect(problems({ fullSwitch: { watch: 'ten minutes' } })[0]).toMatch(
      /^fullSwitch\.watch must be a duration like "15m"/,
    );
  });
  test('unknown services', () => {
    expect(problems({ traffic: { entryService: 'billing' } })[0]).toBe(
      'traffic.entryService names unknown service "billing" (known: web-app, api-gateway, auth-service, workflow-engine, notification-service, report-generator)',
    );
  });
  test('duplicate approver ids', () => {
    expect(
      problems({
        approval: {
          approvers: [
            { id: 'kim', role: 'tech-lead' },
            { id: 'kim', role: 'product-manager' },
            { id: 'lee', role: 'qa-lead' },
          ],
        },
      }),
    ).toEqual(['approval.approvers[1].id duplicates approver id "kim"']);
  });
  test('a plan with no rollback trigger', () => {
    expect(
      problems({
        canary: { healthCheckFailureLimit: 0 },
        metrics: [{ name: 'error_rate', query: 'x{namespace="{{namespace}}"}', healthy: { max: 1 } }],
      }),
    ).toEqual([
      'metrics need a rollback bound on at least one metric (or canary.healthCheckFailureLimit > 0): the plan has no rollback trigger',
    ]);
  });
  test('a route in the blue or green namespace would be deleted with it', () => {
    expect(problems({ traffic: { namespace: 'hwayo-production' } })).toEqual([
      'traffic.maintenanceDestination must not be in the blue or green namespace ("hwayo-production"): both are deleted in turn, and the page must outlive them',
      'traffic.namespace must not be the blue or green namespace ("hwayo-production"): the release deletes green on rollback and blue after the retention window, and the route with it',
    ]);
    expect(defaultPlan().traffic.namespace).toBe('hwayo-gateway');
  });
  test('a plan without the release-baseline check could deploy over production', () => {
    expect(
      problems({ preflight: { checks: [{ name: 'nodes', group: 'infrastructure', kind: 'kubernetes-nodes' }] } }),
    ).toEqual([
      'preflight.checks need a check of kind release-baseline: it stops a release that would deploy over production (green already live, a release in flight, blue missing)',
    ]);
    expect(
      problems({ preflight: { checks: [{ name: 'baseline', group: 'security', kind: 'release-baseline' }] } }),
    ).toEqual([
      'preflight.checks[0].group must be infrastructure for a release-baseline check (it runs again when approval comes late)',
    ]);
    expect(defaultPlan().preflight.checks).toContainEqual({
      name: 'release-baseline',
      group: 'infrastructure',
      kind: 'release-baseline',
    });
  });
  test('alternating namespaces need templated destinations; the maintenance page lives outside the pair', () => {
    expect(defaultPlan().environments).toEqual({
      blue: 'hwayo-production',
      green: 'hwayo-production-green',
      alternate: true,
    });
    expect(problems({ traffic: { blueDestination: 'api-gateway.hwayo-production.svc.cluster.local' } })).toEqual([
      'traffic.blueDestination must contain {{namespace}} when environments.alternate is true: the two namespaces take turns as blue and green (got "api-gateway.hwayo-production.svc.cluster.local")',
    ]);
    expect(
      validatePlan(
        unsigned({
          environments: { alternate: false },
          traffic: { blueDestination: 'api-gateway.hwayo-production.svc.cluster.local' },
        }),
      ).traffic.blueDestination,
    ).toBe('api-gateway.hwayo-production.svc.cluster.local');
    expect(
      problems({ traffic: { maintenanceDestination: 'maintenance-page.hwayo-production.svc.cluster.local' } }),
    ).toEqual([
      'traffic.maintenanceDestination must not be in the blue or green namespace ("hwayo-production"): both are deleted in turn, and the page must outlive them',
    ]);
    expect(
      problems({
        traffic: { provider: 'gateway-api', maintenanceDestination: 'hwayo-production-green/maintenance-page' },
      }),
    ).toEqual([
      'traffic.maintenanceDestination must not be in the blue or green namespace ("hwayo-production-green"): both are deleted in turn, and the page must outlive them',
    ]);
  });
  test('unknown keys are typos, not silently ignored', () => {
    expect(problems({ canary: { stpes: [] }, approvl: {} })).toEqual([
      'canary has unknown key "stpes"',
      'the plan has unknown key "approvl"',
    ]);
  });
  test('a required role nobody can give', () => {
    expect(problems({ approval: { requiredRoles: ['tech-lead', 'security-lead'] } })).toEqual([
      'approval.requiredRoles[1] role "security-lead" has no approver who could give it',
    ]);
  });
  test('signatures are the default: a plan without a key for every approver is invalid unless allowUnsigned (hole 2)', () => {
    expect(problems({}, true)).toEqual(
      [0, 1, 2].map(
        (i) =>
          `approval.approvers[${i}].publicKey is required: decisions are signed (make one with "hwayo-release keys generate"), unless approval.allowUnsigned is true`,
      ),
    );
    expect(problems({ approval: { requireSignatures: false } }, true)).toContain(
      'approval.requireSignatures false no longer turns signatures off: decisions are signed by default; remove it, or set approval.allowUnsigned: true to run without signatures',
    );
    expect(problems({ approval: { requireSignatures: true } })).toEqual([
      'approval.allowUnsigned contradicts approval.requireSignatures: true; remove one of them',
    ]);
    const keys = ['tech-lead', 'product-manager', 'qa-lead'].map(() => publicKeyOf(ed25519.utils.randomPrivateKey()));
    const signed = validatePlan({
      approval: {
        approvers: ['tech-lead', 'product-manager', 'qa-lead'].map((id, i) => ({ id, role: id, publicKey: keys[i] })),
      },
    });
    expect(signed.approval).toMatchObject({ requireSignatures: true, allowUnsigned: false, operators: [] });
    expect(defaultPlan().approval).toMatchObject({ requireSignatures: false, allowUnsigned: true });
  });
  test('weak, shared and missing keys; no required roles (hole 3)', () => {
    const identity = 'AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
    const k = publicKeyOf(ed25519.utils.randomPrivateKey());
    const people = (keys: string[]) =>
      ['tech-lead', 'product-manager', 'qa-lead'].map((id, i) => ({ id, role: id, publicKey: keys[i] }));
    expect(
      problems({ approval: { approvers: people([identity, k, publicKeyOf(ed25519.utils.randomPrivateKey())]) } }, true),
    ).toEqual(['approval.approvers[0].publicKey is a small-order point (a weak key that accepts forged signatures)']);
    expect(problems({ approval: { approvers: people([k, k, k]) } }, true)).toEqual(
      [1, 2].map(
        (i) =>
          `approval.approvers[${i}].publicKey is also the key of "tech-lead": each approver and operator needs their own key (separation of duties)`,
      ),
    );
    const three = people([0, 1, 2].map(() => publicKeyOf(ed25519.utils.randomPrivateKey())));
    expect(
      problems(
        {
          approval: {
            approvers: three,
            operators: [
              { id: 'oncall', publicKey: three[0].publicKey },
              { id: 'tech-lead', publicKey: k },
            ],
          },
        },
        true,
      ),
    ).toEqual([
      'approval.operators[0].publicKey is also the key of "tech-lead": each approver and operator needs their own key (separation of duties)',
      'approval.operators[1].id "tech-lead" is already an approver (approvers may send controls; list each person once)',
    ]);
    expect(problems({ approval: { requiredRoles: [] } })).toEqual([
      'approval.requiredRoles must list at least one role: with none, a release would pass the gate unapproved',
    ]);
  });
  test('every number is overridable', () => {
    const plan = validatePlan(
      unsigned({
        canary: {
          steps: [
            { weight: 10, watch: '5m' },
            { weight: 100, watch: '90s' },
          ],
          analysisInterval: '30s',
        },
        approval: { timeout: '2h' },
      }),
    );
    expect(plan.canary.steps).toEqual([
      { weight: 10, watchMs: 300_000 },
      { weight: 100, watchMs: 90_000 },
    ]);
    expect(plan.approval.timeoutMs).toBe(7_200_000);
    expect(plan.canary.analysisIntervalMs).toBe(30_000);
  });
  test('files: YAML and JSON; unreadable and unparsable files are errors naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-'));
    writeFileSync(join(dir, 'p.yaml'), 'canary:\n  analysisInterval: 2m\napproval:\n  allowUnsigned: true\n');
    writeFileSync(join(dir, 'p.json'), '{"fullSwitch": {"watch": "20m"}, "approval": {"allowUnsigned": true}}');
    writeFileSync(join(dir, 'bad.yaml'), 'canary: [unclosed');
    expect(loadPlanFile(join(dir, 'p.yaml')).canary.analysisIntervalMs).toBe(120_000);
    expect(loadPlanFile(join(dir, 'p.json')).fullSwitch.watchMs).toBe(1_200_000);
    expect(() => loadPlanFile(join(dir, 'bad.yaml'))).toThrow(/bad\.yaml is invalid:\n {2}- cannot be parsed/);
    expect(() => loadPlanFile(join(dir, 'missing.yaml'))).toThrow(
      /missing\.yaml is invalid:\n {2}- cannot be read: ENOENT/,
    );
  });
});

test('durations', () => {
  expect(parseDuration('15m')).toBe(900_000);
  expect(parseDuration('1h30m')).toBe(5_400_000);
  expect(parseDuration('500ms')).toBe(500);
  expect(parseDuration(42)).toBe(42);
  expect(parseDuration('15 minutes')).toBeUndefined();
  expect(parseDuration('m15')).toBeUndefined();
  expect(formatDuration(24 * 3_600_000)).toBe('24h');
  expect(formatDuration(5_400_000)).toBe('1h30m');
  expect(formatDuration(1_500)).toBe('1.5s');
});

// Numbers and names that would fail (or misbehave) only once a release ran into them (threat 7,
// docs/security.md): each is refused at validation, naming the field.
describe('plan bounds', () => {
  const firstProblem = (doc: unknown) => problems(doc)[0];

  test('durations beyond sane maxima: approval 7 d, a watch 24 h, retention 30 d', () => {
    expect(problems({ approval: { timeout: '8d' } })).toEqual(['approval.timeout must be at most 7d (got 192h)']);
    expect(problems({ canary: { steps: [{ weight: 5, watch: '25h' }] } })).toEqual([
      'canary.steps[0].watch must be at most 24h (got "25h")',
    ]);
    expect(problems({ fullSwitch: { watch: '2d' } })).toEqual(['fullSwitch.watch must be at most 24h (got "2d")']);
    expect(problems({ retention: { blueKeep: '31d' } })).toEqual([
      'retention.blueKeep must be at most 30d (got "31d")',
    ]);
    expect(problems({ green: { readyTimeout: '25h' } })).toEqual([
      'green.readyTimeout must be at most 24h (got "25h")',
    ]);
    expect(problems({ canary: { maxPause: '25h' } })).toEqual(['canary.maxPause must be at most 24h (got "25h")']);
    expect(problems({ canary: { maxPause: '30s' } })).toEqual(['canary.maxPause must be at least 60s (got "30s")']);
    // The maxima themselves are fine.
    expect(
      validatePlan(unsigned({ approval: { timeout: '7d' }, retention: { blueKeep: '30d' } })).retention.blueKeepMs,
    ).toBe(30 * 86_400_000);
  });

  test('durations that would overflow date formatting are refused, not turned into Invalid Date mid-release', () => {
    expect(problems({ retention: { blueKeep: '100000000000000000000h' } })).toEqual([
      'retention.blueKeep must be at most 30d (got "100000000000000000000h")',
    ]);
    expect(problems({ approval: { timeout: 1e20 } })).toEqual([
      'approval.timeout must be at most 7d (got 27777777777777h46m40s)',
    ]);
    expect(firstProblem({ approval: { timeout: `${'9'.repeat(400)}ms` } })).toBe(
      'approval.timeout must be at most 7d (got more than any date can hold)',
    );
    expect(firstProblem({ canary: { analysisInterval: '1e20h' } })).toMatch(
      /^canary\.analysisInterval must be a duration like/,
    );
  });

  test('names longer than, or other than, DNS labels allow', () => {
    const long = 'a'.repeat(64);
    expect(firstProblem({ app: long })).toBe('app must be at most 63 characters (a DNS label)');
    expect(firstProblem({ environments: { green: long } })).toBe(
      'environments.green must be at most 63 characters (a DNS label)',
    );
    expect(firstProblem({ traffic: { name: long } })).toBe('traffic.name must be at most 63 characters (a DNS label)');
    expect(firstProblem({ traffic: { namespace: long } })).toBe(
      'traffic.namespace must be at most 63 characters (a DNS label)',
    );
    expect(firstProblem({ services: [{ name: long, healthPath: '/h' }], traffic: { entryService: long } })).toBe(
      'services[0].name must be at most 63 characters (a DNS label)',
    );
    // A Service name is a DNS-1035 label: a letter first.
    expect(firstProblem({ services: [{ name: '1api', healthPath: '/h' }], traffic: { entryService: '1api' } })).toBe(
      'services[0].name must be a lowercase DNS-1035 label (a letter first, then a-z, 0-9, -)',
    );
    expect(firstProblem({ database: { connectionSecret: { name: 'Hwayo_DB' } } })).toBe(
      'database.connectionSecret.name must be a lowercase DNS label (a-z, 0-9, -)',
    );
    expect(firstProblem({ traffic: { host: 'hwayo.com/evil' } })).toBe('traffic.host must be a lowercase DNS name');
  });

  test("a health URL template without {{namespace}} would point green's checks at production", () => {
    expect(problems({ healthUrlTemplate: 'http://{{service}}.hwayo-production.svc.cluster.local{{path}}' })).toEqual([
      "healthUrlTemplate must contain {{namespace}}: without it the health checks of green would probe the same URL as blue's, production",
    ]);
    expect(problems({ healthUrlTemplate: 'file:///{{namespace}}/{{service}}{{path}}' })).toEqual([
      'healthUrlTemplate must be an http:// or https:// URL once {{service}}, {{namespace}}, {{path}} (and {{cluster}}, {{region}}) are filled in',
    ]);
  });

  test('URLs anywhere a URL is taken are http(s)', () => {
    const checks = (url: string) => [
      { name: 'release-baseline', group: 'infrastructure', kind: 'release-baseline' },
      { name: 'monitoring-health', group: 'monitoring', kind: 'http', url },
      { name: 'logs', group: 'monitoring', kind: 'elasticsearch', url },
    ];
    expect(problems({ preflight: { checks: checks('file:///etc/passwd') } })).toEqual([
      'preflight.checks[1].url must be an http:// or https:// URL',
      'preflight.checks[2].url must be an http:// or https:// URL',
    ]);
    expect(problems({ preflight: { checks: checks('gopher://127.0.0.1:6379/_FLUSHALL') } })).toHaveLength(2);
  });

  test('the canary header is an HTTP header', () => {
    expect(problems({ traffic: { canaryHeader: { name: 'x canary', value: 'true' } } })).toEqual([
      "traffic.canaryHeader.name must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)",
    ]);
    expect(problems({ traffic: { canaryHeader: { name: 'canary', value: 'true\r\nx-admin: 1' } } })).toEqual([
      'traffic.canaryHeader.value must be printable ASCII without leading or trailing spaces',
    ]);
  });

  test('RDS identifiers and Secret keys, caught today only mid-emergency', () => {
    const rds =
      'must be an RDS identifier: a letter first, then letters, digits and single hyphens, not ending in a hyphen';
    expect(problems({ database: { instance: '1hwayo-db' } })).toEqual([`database.instance ${rds}`]);
    expect(problems({ database: { restoredInstance: 'hwayo--restored' } })).toEqual([
      `database.restoredInstance ${rds}`,
    ]);
    expect(problems({ database: { backupSnapshot: 'backup-' } })).toEqual([`database.backupSnapshot ${rds}`]);
    expect(problems({ database: { snapshotPrefix: 'emergency_snapshot' } })).toEqual([
      `database.snapshotPrefix ${rds}`,
    ]);
    expect(problems({ database: { restoredInstance: `r${'x'.repeat(63)}` } })).toEqual([
      'database.restoredInstance must be at most 63 characters (an RDS identifier)',
    ]);
    expect(problems({ database: { connectionSecret: { key: 'DATABASE HOST' } } })).toEqual([
      'database.connectionSecret.key must be a Secret key (letters, digits, "-", "_", ".")',
    ]);
    expect(problems({ database: { connectionSecret: { key: 'K'.repeat(254) } } })).toEqual([
      'database.connectionSecret.key must be at most 253 characters',
    ]);
    expect(problems({ artifactsBucket: 'Hwayo_Artifacts' })).toEqual([
      'artifactsBucket must be an S3 bucket name (3-63 characters: a-z, 0-9, ".", "-")',
    ]);
  });

  test('contradictory thresholds: a rollback bound inside the healthy range', () => {
    const metric = (over: object) => ({
      metrics: [{ name: 'error_rate', query: 'x{namespace="{{namespace}}"}', ...over }],
    });
    expect(problems(metric({ healthy: { max: 1 }, rollback: { above: 0.5 } }))).toEqual([
      'metrics[0].rollback.above must not be below the healthy bound 1: a value the plan calls healthy would roll back',
    ]);
    expect(problems(metric({ healthy: { min: 95 }, rollback: { below: 97 } }))).toEqual([
      'metrics[0].rollback.below must not be above the healthy bound 95: a value the plan calls healthy would roll back',
    ]);
    expect(problems(metric({ healthy: { min: 10, max: 5 }, rollback: { above: 50 } }))).toEqual([
      'metrics[0].healthy.min must not be above healthy.max 5: no value would be healthy',
    ]);
    expect(problems(metric({ rollback: { above: 5, below: 10 } }))).toEqual([
      'metrics[0].rollback.below must be below rollback.above 5: every value would roll back',
    ]);
    // Non-finite numbers (YAML .inf, .nan) are not numbers to zod 4 either.
    expect(firstProblem(metric({ rollback: { above: Number.POSITIVE_INFINITY } }))).toMatch(
      /^metrics\[0\]\.rollback\.above /,
    );
    expect(firstProblem(metric({ rollback: { above: Number.NaN } }))).toMatch(/^metrics\[0\]\.rollback\.above /);
  });

  test('template variables in a query are known ones, inside a double-quoted string', () => {
    const metric = (query: string) => ({ metrics: [{ name: 'error_rate', query, rollback: { above: 5 } }] });
    expect(problems(metric('sum(x{namespace="{{namespace}}"}) > {{version}}'))).toEqual([
      'metrics[0].query uses {{version}} outside a "double-quoted" string: template values may only be label values, e.g. namespace="{{namespace}}"',
    ]);
    expect(problems(metric('x{service="{{service}}"}'))).toEqual([
      'metrics[0].query uses unknown template variable {{service}} (known: {{namespace}}, {{blue_namespace}}, {{green_namespace}}, {{app}}, {{version}}, {{cluster}}, {{region}})',
    ]);
    expect(firstProblem(metric("x{a='{{app}}'}"))).toMatch(/uses \{\{app\}\} outside a "double-quoted" string/);
    // An escaped quote does not end the string; a comment is not a string.
    expect(
      validatePlan(unsigned(metric('x{a="\\"{{app}}", b="{{ version }}"} # it\'s a comment\n+ y{c="{{app}}"}')))
        .metrics[0].query,
    ).toContain('{{ version }}');
  });
});

// The history budget: an analysis every second for hours would grow the workflow history past what
// Temporal handles well (it warns at 10,240 events); the release does not continue-as-new, so such a
// plan is refused. The estimate is checked against a committed history of a real run.
describe('worst-case workflow history', () => {
  test('a plan whose analyses would pass 10,000 history events is refused, naming the interval', () => {
    expect(problems({ canary: { analysisInterval: '1s' } })).toEqual([
      'canary.analysisInterval 1s gives 5100 analyses over the canary and full-switch watches, a worst-case workflow history of 87164 events (more than 10000): make it at least 10s or shorten the watches',
    ]);
    expect(validatePlan(unsigned({ canary: { analysisInterval: '10s' } })).canary.analysisIntervalMs).toBe(10_000);
    expect(problems({ canary: { steps: [{ weight: 50, watch: '24h' }], analysisInterval: '1m' } })[0]).toMatch(
      /^canary\.analysisInterval 1m gives 1450 analyses/,
    );
  });

  test('the estimate bounds a committed history of a default release (succeeded.json)', () => {
    const history = JSON.parse(readFileSync(join(__dirname, '..', 'histories', 'succeeded.json'), 'utf8')) as {
      events: { eventType: string; activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[];
    };
    const analyses = history.events.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType.name === 'queryMetrics',
    ).length;
    const estimate = worstCaseHistoryEvents(defaultPlan());
    expect(estimate.analyses).toBe(analyses);
    expect(estimate.perAnalysis).toBe(eventsPerAnalysis(2));
    expect(estimate.events).toBeGreaterThanOrEqual(history.events.length);
    // ...and not by a wide margin: the formula is a measurement, not a guess.
    expect(estimate.events).toBeLessThan(history.events.length * 1.25);
  });
});

test('a prometheus-targets check may name the scrape jobs that are its services (the local plan: hwayo-apps)', () => {
  const plan = loadPlanFile(join(__dirname, '..', '..', 'examples', 'local-plan.yaml'));
  const check = plan.preflight.checks.find((c) => c.kind === 'prometheus-targets');
  expect(check).toMatchObject({ jobs: ['hwayo-apps'] });
  // The workflow validates the resolved plan again: the field survives that too.
  expect(resolvedPlanProblems(JSON.parse(JSON.stringify(plan)))).toEqual([]);
  expect(() =>
    validatePlan({
      approval: { allowUnsigned: true },
      preflight: { checks: [{ name: 'p', group: 'monitoring', kind: 'prometheus-targets', jobs: [] }] },
    }),
  ).toThrow(/preflight\.checks\[0\]\.jobs/);
});
