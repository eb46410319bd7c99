// The platform policy at the workflow boundary: read first, a plan that loosens it refused before any other command,
// and what it ran under recorded in status, report and search attributes.
import { ed25519 } from '@noble/curves/ed25519';
import type { PolicyReading } from '../../src/activities/policy';
import type { ReleasePlan } from '../../src/plan/types';
import { parsePolicy } from '../../src/policy/schema';
import { approveUpdate, SA_POLICY, statusQuery } from '../../src/workflows/definitions';
import { approvalStatement } from '../../src/client/statements';
import { planDigest, publicKeyOf, signStatement } from '../../src/workflows/signatures';
import { seedPolicy, signedByPlatform } from '../unit/policy-fixture';
import { useWorkflowEnv } from './env';
import { withRelease } from './harness';

jest.setTimeout(60_000);
const t = useWorkflowEnv();

const SECRETS = {
  alice: ed25519.utils.randomSecretKey(),
  bob: ed25519.utils.randomSecretKey(),
  carol: ed25519.utils.randomSecretKey(),
  olga: ed25519.utils.randomSecretKey(),
};
const KEYS = {
  alice: publicKeyOf(SECRETS.alice),
  bob: publicKeyOf(SECRETS.bob),
  carol: publicKeyOf(SECRETS.carol),
  olga: publicKeyOf(SECRETS.olga),
};
const SOURCE = 'configmap hwayo-release/hwayo-release-policy';
const { policy } = parsePolicy(seedPolicy(KEYS));
const READING: PolicyReading = { source: SOURCE, policy, problems: [] };

/** The seed's plan with the platform's approvers and their keys: exactly as strict as the policy. */
const signedBy = (plan: ReleasePlan): void => void signedByPlatform(plan, KEYS);

test('a plan that loosens the policy ends invalid-input, naming each rule, having run nothing but the policy read', async () => {
  await withRelease(
    t.env,
    t.bundle,
    {
      approve: false,
      scripts: { policy: READING },
      plan: (p) => {
        signedBy(p);
        // The attacker's variant: the starter's own approvals, blue deleted at once, no security evidence.
        p.approval.allowUnsigned = true;
        p.approval.requireSignatures = false;
        p.retention.blueKeepMs = 0;
        p.preflight.checks = p.preflight.checks.filter((c) => c.kind !== 'security-evidence');
      },
    },
    async ({ world, handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('invalid-input');
      expect(result.reason).toBe(
        'invalid input, nothing was done: ' +
          'policy rule approval.signatures: decisions and controls are always signed; the plan allows unsigned; ' +
          'policy rule checks: the plan has no security-evidence check; ' +
          'policy rule retention.minBlueKeep: the plan keeps blue 0ms (at least 24h)',
      );
      // The refusal itself is audited (start and outcome entries): a write to the audit log, not to production.
      expect(world.calls.map((c) => c.name)).toEqual(['readPlatformPolicy', 'appendAuditLog']);
      expect([...world.auditLog.values()].map((e) => [e.kind, e.data?.outcome])).toEqual([
        ['start', undefined],
        ['outcome', 'invalid-input'],
      ]);
      expect(result.report.policy).toEqual({ source: SOURCE, digest: planDigest(policy), environment: 'production' });
      expect(result.weights).toEqual([]);
    },
  );
});

test('a plan the policy allows runs under it: status, report, details and HwayoPolicy name its digest', async () => {
  await withRelease(
    t.env,
    t.bundle,
    { approve: false, scripts: { policy: READING }, plan: signedBy },
    async ({ world, handle, waitFor }) => {
      const waiting = await waitFor((s) => s.stage === 'awaiting-approval');
      const record = { source: SOURCE, digest: planDigest(policy), environment: 'production' };
      expect(waiting.policy).toEqual(record);
      expect(world.calls[0].name).toBe('readPlatformPolicy');
      const described = await handle.describe();
      expect(described.typedSearchAttributes.get(SA_POLICY)).toBe(planDigest(policy));
      // The UI's current details, as the SDK's built-in metadata query serves them.
      const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(meta.currentDetails).toContain(`platform policy ${SOURCE}, environment production, ${planDigest(policy)}`);
    },
  );
});

test.each<[string, PolicyReading, string]>([
  [
    'a policy ConfigMap that does not exist',
    { source: SOURCE, problems: [`the platform policy ${SOURCE} does not exist: the platform team creates it`] },
    `the platform policy ${SOURCE} does not exist: the platform team creates it`,
  ],
  [
    'a policy with no environment for the namespaces',
    {
      source: SOURCE,
      policy: { ...policy!, environments: [{ ...policy!.environments[0], namespaces: ['a', 'b'] }] },
      problems: [],
    },
    'policy: no environment of the platform policy covers namespaces hwayo-production and hwayo-production-green',
  ],
  [
    'a malformed policy handed to the workflow',
    { source: SOURCE, policy: { version: 1, environments: [] } as never, problems: [] },
    `the platform policy ${SOURCE}: environments`,
  ],
])('%s refuses the release before any other command', async (_what, reading, problem) => {
  await withRelease(
    t.env,
    t.bundle,
    { approve: false, scripts: { policy: reading }, plan: signedBy },
    async ({ world, handle }) => {
      const result = await handle.result();
      expect(result.outcome).toBe('invalid-input');
      expect(result.reason).toContain(problem);
      // The refusal itself is audited (start and outcome entries): a write to the audit log, not to production.
      expect(world.calls.map((c) => c.name)).toEqual(['readPlatformPolicy', 'appendAuditLog']);
    },
  );
});

test('a worker without a policy (HWAYO_POLICY=none) runs the plan on its own authority and says so', async () => {
  await withRelease(t.env, t.bundle, { approve: false }, async ({ waitFor }) => {
    const waiting = await waitFor((s) => s.stage === 'awaiting-approval');
    expect(waiting.policy).toEqual({ source: 'none' });
  });
});

test('approvals sign the policy digest: a statement without it, or naming another policy, is refused', async () => {
  await withRelease(
    t.env,
    t.bundle,
    { approve: false, scripts: { policy: READING }, plan: signedBy },
    async ({ handle, waitFor }) => {
      await waitFor((s) => s.stage === 'awaiting-approval');
      const status = await handle.query(statusQuery);
      expect(status.policyDigest).toBe(planDigest(policy));
      const { runId } = await handle.describe();
      const signedAt = new Date(await t.env.currentTimeMs()).toISOString();
      const approve = (policyDigest: string | undefined) => {
        const base = { workflowId: handle.workflowId, runId, decision: 'approve' as const, role: 'tech-lead' };
        const statement = { ...approvalStatement({ ...base, approverId: 'alice', signedAt }, status), policyDigest };
        const req = { approverId: 'alice', role: 'tech-lead', decision: 'approve' as const, signedAt };
        return handle
          .executeUpdate(approveUpdate, { args: [{ ...req, signature: signStatement(statement, SECRETS.alice) }] })
          .then(
            () => 'accepted',
            (e: { cause?: Error }) => e.cause?.message ?? 'refused',
          );
      };
      expect(await approve(undefined)).toContain('the signature does not verify');
      expect(await approve(`sha256:${'0'.repeat(64)}`)).toContain('the signature does not verify');
      expect(await approve(planDigest(policy))).toBe('accepted');
    },
  );
});
