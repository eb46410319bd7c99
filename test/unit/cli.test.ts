// The CLI without a server: argument parsing, exit codes, plan validate/defaults, keys, signing,
// and the status rendering watch uses.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { EXIT, exitCodeForOutcome, type Io } from '../../src/client/cli';
import { listQuery } from '../../src/client/list';
import { run } from '../../src/client/main';
import { releaseId } from '../../src/client/start';
import { bar, renderStatus } from '../../src/client/status';
import { DEFAULT_PLAN_DOCUMENT } from '../../src/plan/defaults';
import { defaultPlan, loadPlanFile } from '../../src/plan/load';
import type { ReleaseStatus } from '../../src/workflows/definitions';
import { fromBase64 } from '../../src/plan/public-keys';
import { publicKeyOf, signStatement, verifyStatement } from '../../src/workflows/signatures';

const tmp = mkdtempSync(join(tmpdir(), 'hwayo-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => void (out += `${t}\n`),
    err: (t) => void (err += `${t}\n`),
    // HWAYO_CODEC=off: these clients never reach a Temporal, so they need no payload keys.
    env: { HWAYO_USER: 'tester', HWAYO_CODEC: 'off', ...env },
    isTTY: false,
  };
  const code = await run(argv, io);
  return { code, out, err };
}

describe('dispatch and flags', () => {
  test('no command prints help and exits 2; --help exits 0; unknown commands are usage errors', async () => {
    expect((await cli([])).code).toBe(EXIT.usage);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Exit codes:/);
    for (const name of [
      'plan validate',
      'start',
      'approve',
      'reject',
      'abort',
      'pause',
      'resume',
      'promote',
      'rollback',
      'status',
      'watch',
      'list',
      'report',
      'history export',
      'keys generate',
    ]) {
      expect(help.out).toContain(`  ${name} `);
    }
    const unknown = await cli(['deploy']);
    expect(unknown).toMatchObject({ code: 2, err: expect.stringContaining('unknown command "deploy"') });
    expect((await cli(['plan', 'frobnicate'])).code).toBe(2);
  });

  test('every command has --help, exiting 0 without contacting a server', async () => {
    for (const argv of [
      ['plan', 'validate'],
      ['plan', 'defaults'],
      ['start'],
      ['approve'],
      ['reject'],
      ['abort'],
      ['pause'],
      ['resume'],
      ['promote'],
      ['rollback'],
      ['status'],
      ['watch'],
      ['list'],
      ['report'],
      ['history', 'export'],
      ['keys', 'generate'],
      ['keys', 'public'],
    ]) {
      const r = await cli([...argv, '--help'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
      expect({ argv, code: r.code }).toEqual({ argv, code: 0 });
      expect(r.out).toMatch(/^Usage: hwayo-release /);
    }
  });

  test('bad flags, missing arguments and missing required flags exit 2 and point at --help', async () => {
    const bogus = await cli(['status', 'x', '--bogus']);
    expect(bogus).toMatchObject({ code: 2, err: expect.stringMatching(/Unknown option '--bogus'[\s\S]*see --help/) });
    expect((await cli(['status'])).err).toMatch(/missing RELEASE-ID/);
    expect((await cli(['status', 'a', 'b'])).err).toMatch(/unexpected argument: b/);
    expect((await cli(['approve', 'release-hwayo-1'])).err).toMatch(/--as is required/);
    expect((await cli(['rollback', 'release-hwayo-1'])).code).toBe(2);
    expect((await cli(['start', 'examples/local-plan.yaml', '--image-tag', 't'])).err).toMatch(/--version is required/);
    expect((await cli(['start', 'examples/local-plan.yaml', '--version', 'a b', '--image-tag', 't'])).code).toBe(2);
    // start runs the workflow's own input check before starting: the release id labels green's namespace.
    const long = await cli([
      'start',
      'examples/local-plan.yaml',
      '--version',
      `2.4.0-${'r'.repeat(50)}`,
      '--image-tag',
      't',
      '--address',
      '127.0.0.1:1',
    ]);
    expect(long).toMatchObject({
      code: 2,
      err: expect.stringMatching(
        /the release cannot start:\n {2}- the release id \(workflow id\) "release-hwayo-2\.4\.0-r+" must be a Kubernetes label value/,
      ),
    });
    expect(
      (await cli(['start', 'examples/local-plan.yaml', '--version', '2.4.0+build.7', '--image-tag', 't'])).err,
    ).toMatch(/--version "2\.4\.0\+build\.7" must be a version like 2\.4\.0/);
    expect((await cli(['watch', 'x', '--interval', '0'])).code).toBe(2);
    expect((await cli(['list', '--limit', 'many'])).code).toBe(2);
    expect((await cli(['plan', 'defaults', '--json', '--yaml'])).code).toBe(2);
  });

  test('approve and the controls check the workflow bounds before sending anything', async () => {
    const at = ['--address', '127.0.0.1:1'];
    const err = async (argv: string[]) => {
      const r = await cli([...argv, ...at]);
      expect(r.code).toBe(2);
      return r.err;
    };
    expect(await err(['abort', 'release-hwayo-1', '--by', 'tech-lead '])).toMatch(
      /^hwayo-release: --by "tech-lead " must be 1-63 letters, digits/,
    );
    expect(await err(['rollback', 'release-hwayo-1', '--reason', 'r'.repeat(1001)])).toMatch(
      /^hwayo-release: --reason "r{80}"\.\.\. \(1001 chars\) is longer than 1000 characters/,
    );
    expect(await err(['pause', 'release-hwayo-1', '--reason', 'two\nlines'])).toMatch(
      /^hwayo-release: --reason "two\\u000alines" must be one line without control characters/,
    );
    expect(await err(['approve', 'release-hwayo-1', '--as', 'Alice Smith'])).toMatch(
      /^hwayo-release: --as "Alice Smith" must be/,
    );
    expect(await err(['reject', 'release-hwayo-1', '--as', 'qa', '--role', 'qa lead'])).toMatch(
      /^hwayo-release: --role "qa lead"/,
    );
    expect(await err(['approve', 'release-hwayo-1', '--as', 'qa', '--comment', '<!here>\r\n'])).toMatch(
      /^hwayo-release: --comment "<!here>\\u000d\\u000a" must be one line/,
    );
    // --expect-plan guards what is signed: without a key there is nothing to guard.
    expect(await err(['approve', 'release-hwayo-1', '--as', 'qa', '--expect-plan', 'plan.yaml'])).toMatch(
      /^hwayo-release: --expect-plan goes with --key/,
    );
  });

  test('Temporal out of reach is exit 6', async () => {
    const r = await cli(['status', 'release-hwayo-1'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r).toMatchObject({
      code: EXIT.unreachable,
      err: expect.stringContaining('cannot reach Temporal at 127.0.0.1:1'),
    });
  }, 30_000);

  test('a bad codec key configuration is invalid input, not a crash', async () => {
    const r = await cli(['status', 'x'], { TEMPORAL_ADDRESS: '127.0.0.1:1', HWAYO_CODEC_KEYS: 'k1:short' });
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/payload codec: HWAYO_CODEC_KEYS/);
  });

  test('no codec keys and no HWAYO_CODEC=off: refused before connecting, naming both variables', async () => {
    const r = await cli(['status', 'x'], { TEMPORAL_ADDRESS: '127.0.0.1:1', HWAYO_CODEC: undefined });
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/payload codec: HWAYO_CODEC_KEYS is not set: payload encryption is required/);
    expect(r.err).toMatch(/HWAYO_CODEC=off on a local stack or in tests/);
    expect(r.err).not.toMatch(/cannot reach Temporal/);
  });
});

describe('exit codes', () => {
  test('each outcome maps to its documented code', () => {
    expect(exitCodeForOutcome('succeeded')).toBe(0);
    for (const o of ['rolled-back', 'rolled-back-after-success', 'emergency-recovered', 'emergency-failed'] as const)
      expect(exitCodeForOutcome(o)).toBe(3);
    for (const o of ['rejected', 'approval-timed-out'] as const) expect(exitCodeForOutcome(o)).toBe(4);
    for (const o of ['aborted', 'failed', 'preflight-failed', 'cancelled'] as const)
      expect(exitCodeForOutcome(o)).toBe(5);
    expect(new Set(Object.values(EXIT)).size).toBe(Object.values(EXIT).length);
  });
});

describe('plan validate / defaults', () => {
  test('a valid plan exits 0 with a summary; --json prints the normalised plan', async () => {
    const r = await cli(['plan', 'validate', 'examples/local-plan.yaml']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('valid plan for hwayo');
    expect(r.out).toContain('5% for 20s -> 25% for 30s -> 50% for 30s');
    const json = JSON.parse((await cli(['plan', 'validate', 'examples/local-plan.yaml', '--json'])).out);
    expect(json).toEqual(loadPlanFile('examples/local-plan.yaml'));
  });

  test('an invalid plan exits 2 with every message of the validator', async () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(
      file,
      'app: Bad_App\ncanary:\n  steps: [{weight: 50, watch: 1m}, {weight: 20, watch: 1x}]\nsurprise: true\n',
    );
    const r = await cli(['plan', 'validate', file]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('app must be a lowercase DNS label');
    expect(r.err).toContain('canary.steps[1].watch must be a duration');
    expect(r.err).toContain('has unknown key "surprise"');
    // Cross-field rules (checked once every field parses) are reported the same way.
    writeFileSync(file, 'canary:\n  steps: [{weight: 50, watch: 1m}, {weight: 20, watch: 1m}]\n');
    expect((await cli(['plan', 'validate', file])).err).toContain(
      `canary.steps[1].weight must be greater than the previous step's 50`,
    );
    expect((await cli(['plan', 'validate', join(tmp, 'missing.yaml')])).err).toMatch(/cannot be read: ENOENT/);
  });

  test('defaults print the seed document as YAML or JSON, and it validates to the default plan', async () => {
    const yaml = parseYaml((await cli(['plan', 'defaults'])).out);
    expect(yaml).toEqual(DEFAULT_PLAN_DOCUMENT);
    expect(JSON.parse((await cli(['plan', 'defaults', '--json'])).out)).toEqual(DEFAULT_PLAN_DOCUMENT);
    const file = join(tmp, 'defaults.yaml');
    writeFileSync(file, (await cli(['plan', 'defaults', '--yaml'])).out);
    // The seed names no approver keys: as a plan file it is refused until keys (or allowUnsigned) are added.
    expect(() => loadPlanFile(file)).toThrow(/approval\.approvers\[0\]\.publicKey is required/);
    writeFileSync(
      file,
      `${(await cli(['plan', 'defaults', '--yaml'])).out.replace(/^approval:\n/m, 'approval:\n  allowUnsigned: true\n')}`,
    );
    expect(loadPlanFile(file)).toEqual(defaultPlan());
  });
});

describe('keys', () => {
  test('generate writes a 0600 private key and prints the matching public key; the plan accepts it', async () => {
    const dir = join(tmp, 'keys');
    const r = await cli(['keys', 'generate', '--id', 'alice', '--out', dir, '--json']);
    expect(r.code).toBe(0);
    const { publicKey, keyFile } = JSON.parse(r.out) as { publicKey: string; keyFile: string };
    expect(keyFile).toBe(join(dir, 'alice.key'));
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const priv = fromBase64(readFileSync(keyFile, 'utf8').trim())!;
    expect(priv).toHaveLength(32);
    expect(publicKeyOf(priv)).toBe(publicKey);
    expect((await cli(['keys', 'public', '--key', keyFile])).out.trim()).toBe(publicKey);
    // A signature made with the file verifies with the printed key, and only for its statement.
    const st = {
      workflowId: 'release-hwayo-1',
      runId: 'r1',
      decision: 'approve' as const,
      role: 'tech-lead',
      approverId: 'alice',
      signedAt: new Date().toISOString(),
    };
    const sig = signStatement(st, priv);
    expect(verifyStatement(st, sig, publicKey)).toBe(true);
    expect(verifyStatement({ ...st, runId: 'r2' }, sig, publicKey)).toBe(false);
    // Into a plan with requireSignatures.
    const plan = join(tmp, 'signed.yaml');
    writeFileSync(
      plan,
      `approval:\n  requiredRoles: [tech-lead]\n  requireSignatures: true\n  approvers: [{ id: alice, role: tech-lead, publicKey: "${publicKey}" }]\n`,
    );
    expect((await cli(['plan', 'validate', plan])).code).toBe(0);
  });

  test('an existing key is not overwritten without --force; bad ids and key files are usage errors', async () => {
    const dir = join(tmp, 'keys2');
    await cli(['keys', 'generate', '--id', 'bob', '--out', dir]);
    const first = readFileSync(join(dir, 'bob.key'), 'utf8');
    expect((await cli(['keys', 'generate', '--id', 'bob', '--out', dir])).code).toBe(EXIT.refused);
    expect((await cli(['keys', 'generate', '--id', 'bob', '--out', dir, '--force'])).code).toBe(0);
    expect(readFileSync(join(dir, 'bob.key'), 'utf8')).not.toBe(first);
    expect((await cli(['keys', 'generate', '--id', '../evil', '--out', dir])).code).toBe(2);
    writeFileSync(join(dir, 'junk.key'), 'not a key', { mode: 0o600 });
    expect((await cli(['approve', 'release-x', '--as', 'bob', '--key', join(dir, 'junk.key')])).err).toMatch(
      /is not an approver key/,
    );
  });
});

describe('ids, queries and rendering', () => {
  test('release ids are deterministic per app and version', () => {
    expect(releaseId('hwayo', '2.4.0')).toBe('release-hwayo-2.4.0');
  });

  test('list builds a visibility query on the Hwayo search attributes', () => {
    expect(listQuery({ app: 'hwayo', stage: 'awaiting-approval', running: true })).toBe(
      'WorkflowType = "releaseWorkflow" AND HwayoApp = "hwayo" AND HwayoStage = "awaiting-approval" AND ExecutionStatus = "Running"',
    );
    expect(listQuery({ outcome: 'rolled-back', app: 'a"b' })).toBe(
      'WorkflowType = "releaseWorkflow" AND HwayoApp = "a\\"b" AND HwayoOutcome = "rolled-back"',
    );
  });

  test('status shows step, weight, window bar, metrics against thresholds, approvals and the pending decision', () => {
    const s: ReleaseStatus = {
      releaseId: 'release-hwayo-2.4.0',
      app: 'hwayo',
      version: '2.4.0',
      imageTag: '1-abc',
      stage: 'canary',
      step: 2,
      steps: 3,
      greenWeight: 25,
      paused: false,
      window: { stage: 'canary', weight: 25, plannedMs: 30 * 60_000, remainingMs: 15 * 60_000 },
      approvals: [
        {
          approverId: 'alice',
          role: 'tech-lead',
          decision: 'approve',
          at: 't',
          accepted: true,
          via: 'update',
          signature: 'x',
        },
      ],
      missingRoles: [],
      lastAnalysis: {
        at: '2025-01-01T00:00:00Z',
        stage: 'canary',
        weight: 25,
        kind: 'tick',
        verdict: 'pass',
        detail: 'ok',
        readings: [
          { name: 'error_rate', value: 7.5 },
          { name: 'login_success', value: 99 },
          { name: 'cpu', inconclusive: 'empty-result', detail: 'no data' },
        ],
      },
      pendingDecision: { kind: 'paused', since: 't', detail: 'paused by bob' },
    };
    const text = renderStatus(s, defaultPlan());
    expect(text).toContain('step 2 of 3');
    expect(text).toContain('green weight 25%');
    expect(text).toContain(`${bar(0.5)}  15m of 30m left`);
    expect(text).toMatch(/error_rate\s+7\.5%\s+healthy <= 1, rollback > 5\s+ROLLBACK/);
    expect(text).toMatch(/login_success\s+99%\s+healthy >= 95, rollback < 90\s+ok/);
    expect(text).toMatch(/cpu\s+\? \(empty-result\)/);
    expect(text).toContain('alice (tech-lead) approved [signed]');
    expect(text).toContain('PENDING paused');
    expect(bar(0)).toBe(`[${'-'.repeat(30)}]   0%`);
    expect(bar(2)).toBe(`[${'#'.repeat(30)}] 100%`);
  });
});
