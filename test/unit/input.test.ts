// The workflow trusts nothing it is given (threat 6, docs/security.md). releaseInputProblems is what the workflow
// runs on its input before its first command (and what `start` runs before starting), so a release
// started from the Temporal UI or another client meets the same rules as one started by the CLI.
import { defaultPlan, validatePlan } from '../../src/plan/load';
import { resolvedPlanProblems } from '../../src/plan/resolved';
import type { ReleasePlan } from '../../src/plan/types';
import type { ReleaseInput } from '../../src/workflows/definitions';
import { refusedResult, releaseInputProblems } from '../../src/workflows/input';

const HOSTILE_VERSION = '2.4.0"}[5m])) * 0 or vector(0) #';
const valid = (): ReleaseInput => ({
  plan: defaultPlan(),
  version: '2.4.0',
  imageTag: '1234-abc1234',
  lastKnownGoodTag: '1200-0ld600d',
  requestedBy: 'kim',
  searchAttributes: true,
});
const withPlan = (edit: (p: ReleasePlan) => void): ReleaseInput => {
  const input = valid();
  edit(input.plan);
  return input;
};
/** What Temporal's JSON payload converter hands the workflow. */
const overTheWire = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('the resolved plan (durations in milliseconds) is validated by the user-facing schema', () => {
  test('every plan validatePlan returns is a valid resolved plan, also after the JSON round trip', () => {
    expect(resolvedPlanProblems(defaultPlan())).toEqual([]);
    expect(resolvedPlanProblems(overTheWire(defaultPlan()))).toEqual([]);
    expect(
      resolvedPlanProblems(
        validatePlan({
          approval: { allowUnsigned: true },
          canary: {
            steps: [
              { weight: 10, watch: '90s' },
              { weight: 100, watch: '5m' },
            ],
            analysisInterval: '30s',
          },
        }),
      ),
    ).toEqual([]);
  });

  test('the same rules as the schema, with the field named in the resolved form', () => {
    expect(
      resolvedPlanProblems({ ...defaultPlan(), approval: { ...defaultPlan().approval, timeoutMs: 1e20 } }),
    ).toEqual(['plan.approval.timeoutMs must be at most 7d (got 27777777777777h46m40s)']);
    expect(
      resolvedPlanProblems(
        withPlan((p) => {
          p.canary.steps[1].watchMs = 25 * 3_600_000;
        }).plan,
      ),
    ).toEqual(['plan.canary.steps[1].watchMs must be at most 24h (got 90000000)']);
    expect(
      resolvedPlanProblems(
        withPlan((p) => {
          p.canary.steps[1].weight = 3;
        }).plan,
      ),
    ).toEqual(["plan.canary.steps[1].weight must be greater than the previous step's 5"]);
    expect(
      resolvedPlanProblems(
        withPlan((p) => {
          p.healthUrlTemplate = 'http://{{service}}.hwayo-production.svc{{path}}';
        }).plan,
      )[0],
    ).toMatch(/^plan\.healthUrlTemplate must contain \{\{namespace\}\}/);
  });

  test('a document-form duration or key where the resolved form belongs is refused', () => {
    const plan = overTheWire(defaultPlan()) as unknown as {
      canary: { steps: Record<string, unknown>[] };
      retention: Record<string, unknown>;
    };
    plan.canary.steps[0].watchMs = '15m';
    expect(resolvedPlanProblems(plan)).toEqual([
      'plan.canary.steps[0].watchMs must be 900000 in a resolved plan (got "15m")',
    ]);
    const other = overTheWire(defaultPlan()) as unknown as { retention: Record<string, unknown> };
    other.retention = { blueKeep: 1000 };
    expect(resolvedPlanProblems(other)).toEqual([
      'plan.retention.blueKeepMs must be 1000 in a resolved plan (got nothing)',
    ]);
  });

  test('nothing is merged in: a partial plan is refused, not completed with defaults', () => {
    const { metrics: _metrics, ...partial } = defaultPlan();
    expect(resolvedPlanProblems(partial)).toEqual([expect.stringMatching(/^plan\.metrics /)]);
    expect(resolvedPlanProblems('hwayo')).toEqual(['plan must be an object']);
    expect(
      resolvedPlanProblems(JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(defaultPlan()).slice(1)}`)),
    ).toEqual(['plan has unknown key "__proto__"']);
  });
});

describe('the workflow input', () => {
  test('what the CLI sends is valid', () => {
    expect(releaseInputProblems(overTheWire(valid()), 'release-hwayo-2.4.0')).toEqual([]);
    expect(
      releaseInputProblems(
        { plan: defaultPlan(), version: '2.4.0-rc.1', imageTag: '1234-abc1234' },
        'release-hwayo-2.4.0-rc.1',
      ),
    ).toEqual([]);
  });

  test('a hostile version (PromQL injection) is refused at the boundary', () => {
    expect(releaseInputProblems({ ...valid(), version: HOSTILE_VERSION }, 'release-x')).toEqual([
      'version must be a version like 2.4.0 or 2.4.0-rc.1: at most 63 letters, digits, ".", "_" and "-", starting and ending with a letter or digit (it becomes a Kubernetes label value)',
    ]);
    expect(releaseInputProblems({ ...valid(), version: '2.4.0\n' }, 'release-x')).toHaveLength(1);
    expect(releaseInputProblems({ ...valid(), version: 'v'.repeat(64) }, 'release-x')).toHaveLength(1);
  });

  test('image tags follow the OCI tag rule', () => {
    const rule = 'must be an image tag: at most 128 letters, digits, "_", "." and "-", not starting with "." or "-"';
    expect(releaseInputProblems({ ...valid(), imageTag: 'latest; rm -rf /' }, 'release-x')).toEqual([
      `imageTag ${rule}`,
    ]);
    expect(releaseInputProblems({ ...valid(), lastKnownGoodTag: '-x' }, 'release-x')).toEqual([
      `lastKnownGoodTag ${rule}`,
    ]);
    expect(releaseInputProblems({ ...valid(), imageTag: 't'.repeat(129) }, 'release-x')).toEqual([`imageTag ${rule}`]);
    expect(releaseInputProblems({ ...valid(), imageTag: '_1.0' }, 'release-x')).toEqual([]);
  });

  test('evidence, requestedBy, unknown keys, a missing plan, a non-object', () => {
    expect(
      releaseInputProblems({ ...valid(), evidence: { trivy: 'http://169.254.169.254/latest' } }, 'release-x'),
    ).toEqual([
      'evidence.trivy must be an s3://bucket/key URI or a path below the worker\'s evidence root, without ".."',
    ]);
    expect(releaseInputProblems({ ...valid(), evidence: { npmAudit: '../../etc/passwd' } }, 'release-x')).toEqual([
      'evidence.npmAudit must be an s3://bucket/key URI or a path below the worker\'s evidence root, without ".."',
    ]);
    expect(
      releaseInputProblems(
        {
          ...valid(),
          evidence: {
            trivy: 's3://ci-reports/trivy.json',
            gitleaks: 'gitleaks.json',
            sonarqubeHotspots: '/reports/sonar.json',
          },
        },
        'release-x',
      ),
    ).toEqual([]);
    expect(releaseInputProblems({ ...valid(), requestedBy: 'kim\r\napproved: yes' }, 'release-x')).toEqual([
      'requestedBy must not contain control characters',
    ]);
    expect(releaseInputProblems({ ...valid(), skipPreflight: true }, 'release-x')).toEqual([
      'the input has unknown key "skipPreflight"',
    ]);
    expect(releaseInputProblems({ version: '2.4.0', imageTag: 't' }, 'release-x')).toEqual(['plan is required']);
    expect(releaseInputProblems(null, 'release-x')).toEqual([
      'the input must be an object {plan, version, imageTag, ...}',
    ]);
    expect(releaseInputProblems([valid()], 'release-x')).toEqual([
      'the input must be an object {plan, version, imageTag, ...}',
    ]);
  });

  test("the release id labels green's namespace, so it must be a label value", () => {
    expect(releaseInputProblems(valid(), `release-hwayo-${'9'.repeat(50)}`)).toEqual([
      `the release id (workflow id) "release-hwayo-${'9'.repeat(50)}" must be a Kubernetes label value: at most 63 letters, digits, ".", "_" and "-" (it labels green's namespace)`,
    ]);
    expect(releaseInputProblems(valid(), 'release/../../x')).toHaveLength(1);
  });

  test('the refusal is the record: outcome invalid-input, nothing done, problems bounded in size', () => {
    const problems = releaseInputProblems(
      { ...valid(), version: HOSTILE_VERSION, imageTag: 'x'.repeat(5000) },
      'release-x',
    );
    const r = refusedResult(
      { ...valid(), version: HOSTILE_VERSION },
      problems,
      'release-x',
      '2026-01-01T00:00:00.000Z',
    );
    expect(r.outcome).toBe('invalid-input');
    expect(r.weights).toEqual([]);
    expect(r.reason).toMatch(/^invalid input, nothing was done: version must be a version like/);
    expect(r.report).toMatchObject({
      releaseId: 'release-x',
      app: 'hwayo',
      outcome: 'invalid-input',
      compensations: [],
      preflight: [],
      analyses: [],
    });
    const many = refusedResult(
      'x',
      Array.from({ length: 100 }, (_, i) => `problem ${i} ${'y'.repeat(1000)}`),
      'release-x',
      '2026-01-01T00:00:00.000Z',
    );
    expect(many.reason!.length).toBeLessThan(20 * 420);
    expect(many.reason).toMatch(/; and 80 more$/);
  });
});
