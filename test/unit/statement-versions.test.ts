// Control v2 (stage, step, nonce) and approval v3 (last known good tag): what is signed, byte for byte,
// and what the workflow's pure rules refuse. v1 controls and v1/v2 approvals stay as they were.
import { ed25519 } from '@noble/curves/ed25519';
import { approvalStatement, controlStatement } from '../../src/client/statements';
import { renderStatus } from '../../src/client/status';
import { defaultPlan } from '../../src/plan/load';
import { refusalReason } from '../../src/workflows/approvals';
import { SIGNATURE_MAX_AGE_MS, SIGNATURE_MAX_AHEAD_MS } from '../../src/workflows/signature-check';
import { controlAuthority, type ControlAuthContext } from '../../src/workflows/control-auth';
import type { ControlRequest, ReleaseStatus } from '../../src/workflows/definitions';
import {
  controlStatementText,
  planDigest,
  publicKeyOf,
  signControlStatement,
  signStatement,
  statementText,
  verifyControlStatement,
  verifyStatement,
} from '../../src/workflows/signatures';

const key = ed25519.utils.randomPrivateKey();
const plan = defaultPlan();
plan.approval.allowUnsigned = false;
plan.approval.requireSignatures = true;
plan.approval.approvers.forEach((a) => {
  a.publicKey = publicKeyOf(a.id === 'tech-lead' ? key : ed25519.utils.randomPrivateKey());
});
plan.approval.operators = [{ id: 'oncall', publicKey: publicKeyOf(ed25519.utils.randomPrivateKey()) }];
const at = '2026-11-26T10:00:00.000Z';
const nowMs = Date.parse(at);
const subject = { version: '2.4.0', imageTag: '1234-abc1234', planDigest: planDigest(plan) };
const ids = { workflowId: 'release-hwayo-2.4.0', runId: 'run-1' };

describe('control v2: the stage, step and nonce of one moment', () => {
  const base = { ...ids, action: 'promote' as const, by: 'tech-lead', reason: 'ship', signedAt: at, ...subject };
  const v2 = { ...base, stage: 'canary' as const, step: 1, nonce: 'n-1' };

  test('v1 text is unchanged; v2 appends stage, step, nonce and the policy digest', () => {
    const v1Fields = [...Object.values(ids), 'promote', 'tech-lead', 'ship', at, '2.4.0', '1234-abc1234'];
    expect(controlStatementText(base)).toBe(
      `hwayo-release control v1\n${JSON.stringify([...v1Fields, subject.planDigest])}`,
    );
    expect(controlStatementText(v2)).toBe(
      `hwayo-release control v2\n${JSON.stringify([...v1Fields, subject.planDigest, 'canary', 1, 'n-1', ''])}`,
    );
    expect(controlStatementText({ ...v2, policyDigest: 'sha256:p' })).toBe(
      `hwayo-release control v2\n${JSON.stringify([...v1Fields, subject.planDigest, 'canary', 1, 'n-1', 'sha256:p'])}`,
    );
  });

  test('a v2 signature verifies only at its stage, step and nonce, and never as v1', () => {
    const sig = signControlStatement(v2, key);
    expect(verifyControlStatement(v2, sig, publicKeyOf(key))).toBe(true);
    for (const other of [{ stage: 'retention' as const }, { step: 2 }, { nonce: 'n-2' }, { policyDigest: 'x' }])
      expect(verifyControlStatement({ ...v2, ...other }, sig, publicKeyOf(key))).toBe(false);
    expect(verifyControlStatement(base, sig, publicKeyOf(key))).toBe(false);
  });

  const ctx = (over: Partial<ControlAuthContext> = {}): ControlAuthContext => ({
    plan,
    ...ids,
    nowMs,
    subject,
    at: { stage: 'canary', step: 1, nonce: 'n-1' },
    ...over,
  });
  const signed = (over: Partial<typeof v2> = {}): ControlRequest => {
    const s = { ...v2, ...over };
    return {
      by: s.by,
      reason: s.reason,
      signedAt: s.signedAt,
      nonce: s.nonce,
      signature: signControlStatement(s, key),
    };
  };

  test('the workflow accepts the current nonce only, and says when a nonce is spent or stale', () => {
    expect(controlAuthority('promote', signed(), ctx())).toEqual({ verified: true });
    // The release moved on (step 2) or accepted this statement already (new nonce): the statement is spent.
    expect(controlAuthority('promote', signed(), ctx({ at: { stage: 'canary', step: 2, nonce: 'n-2' } }))).toEqual({
      refusal: "nonce already used or stale: sign the promote again for the release's current nonce",
      verified: false,
    });
    expect(controlAuthority('promote', { ...signed(), nonce: undefined }, ctx()).refusal).toBe(
      "a signed promote must name the release's current nonce (hwayo-release status shows it)",
    );
    // Naming the current nonce does not help a statement signed for another step or as v1.
    expect(controlAuthority('promote', signed({ step: 2 }), ctx()).refusal).toMatch(/does not verify/);
    const v1 = { ...signed(), signature: signControlStatement(base, key) };
    expect(controlAuthority('promote', v1, ctx()).refusal).toMatch(/does not verify/);
    // Releases from before nonces keep v1.
    expect(controlAuthority('promote', v1, ctx({ at: undefined }))).toEqual({ verified: true });
  });

  test('a statement dated more than 60 s ahead is refused, 30 s ahead is accepted; older than 15 min is refused', () => {
    const dated = (ms: number) => signed({ signedAt: new Date(nowMs + ms).toISOString() });
    expect(SIGNATURE_MAX_AHEAD_MS).toBe(60_000);
    expect(SIGNATURE_MAX_AGE_MS).toBe(15 * 60_000);
    expect(controlAuthority('promote', dated(30_000), ctx())).toEqual({ verified: true });
    expect(controlAuthority('promote', dated(2 * 60_000), ctx()).refusal).toBe(
      `the signature is dated ${new Date(nowMs + 2 * 60_000).toISOString()}, more than 60 seconds ahead of the workflow's time`,
    );
    expect(controlAuthority('promote', dated(-14 * 60_000), ctx())).toEqual({ verified: true });
    expect(controlAuthority('promote', dated(-16 * 60_000), ctx()).refusal).toMatch(
      /more than 15 minutes before the workflow's time$/,
    );
    // Before nonces: 15 minutes either way, as before.
    expect(controlAuthority('promote', dated(10 * 60_000), ctx({ at: undefined })).refusal).toMatch(/does not verify/);
  });

  test('status prints the nonce, the last known good tag and the platform policy', () => {
    const status = {
      ...subject,
      releaseId: 'release-hwayo-2.4.0',
      app: 'hwayo',
      stage: 'canary',
      step: 1,
      steps: 3,
      greenWeight: 5,
      paused: false,
      approvals: [],
      missingRoles: [],
      nonce: 'n-1',
      lastKnownGoodTag: '1200-0ld600d',
    } as ReleaseStatus;
    const text = renderStatus(status);
    expect(text).toContain('control nonce n-1');
    expect(text).toContain('last known good (emergency path): 1200-0ld600d');
    expect(text).not.toContain('policy');
    const underPolicy = renderStatus({
      ...status,
      policy: {
        source: 'configmap hwayo-release/hwayo-release-policy',
        environment: 'production',
        digest: 'sha256:ab',
      },
    });
    expect(underPolicy).toContain(
      '  platform policy configmap hwayo-release/hwayo-release-policy, environment production, sha256:ab\n',
    );
    expect(renderStatus({ ...status, policy: { source: 'none' } })).toContain('no platform policy (worker runs with');
  });

  test('the CLI signs v2 when the status shows a nonce, and v1 otherwise', () => {
    const status = { ...subject, stage: 'canary', step: 1, nonce: 'n-1' } as ReleaseStatus;
    const cliBase = { ...ids, action: 'promote' as const, by: 'tech-lead', reason: 'ship', signedAt: at };
    expect(controlStatement(cliBase, status)).toEqual(v2);
    expect(controlStatement(cliBase, { ...status, nonce: undefined })).toEqual(base);
    expect(controlStatement(cliBase, { ...status, planDigest: undefined })).toBeUndefined();
  });
});

describe('approval v3: what the emergency path would deploy is signed', () => {
  const st = { ...ids, decision: 'approve' as const, role: 'tech-lead', approverId: 'tech-lead', signedAt: at };
  const v2 = { ...st, ...subject };
  const v3 = { ...v2, statementVersion: 3 as const, lastKnownGoodTag: '1200-0ld600d' };

  test('v1 and v2 texts are unchanged; v3 appends the last known good tag and the policy digest', () => {
    const fields = [...Object.values(ids), 'approve', 'tech-lead', 'tech-lead', at];
    expect(statementText(st)).toBe(['hwayo-release approval v1', ...fields].join('\n'));
    const v2Fields = [...fields, '2.4.0', '1234-abc1234', subject.planDigest];
    expect(statementText({ ...v2, policyDigest: 'ignored by v2' })).toBe(
      `hwayo-release approval v2\n${JSON.stringify(v2Fields)}`,
    );
    expect(statementText(v3)).toBe(`hwayo-release approval v3\n${JSON.stringify([...v2Fields, '1200-0ld600d', ''])}`);
    expect(statementText({ ...v3, lastKnownGoodTag: undefined, policyDigest: 'sha256:p' })).toBe(
      `hwayo-release approval v3\n${JSON.stringify([...v2Fields, '', 'sha256:p'])}`,
    );
    expect(verifyStatement(v3, signStatement(v3, key), publicKeyOf(key))).toBe(true);
    expect(verifyStatement(v2, signStatement(v3, key), publicKeyOf(key))).toBe(false);
  });

  const gate = (lastKnownGoodTag?: string) => ({
    plan,
    ...ids,
    nowMs,
    waiting: true,
    records: [],
    strict: { subject, v3: { lastKnownGoodTag } },
  });
  const approval = (statement: Parameters<typeof signStatement>[0]) => ({
    approverId: 'tech-lead',
    role: 'tech-lead',
    decision: 'approve' as const,
    signedAt: at,
    signature: signStatement(statement, key),
  });

  test('the gate refuses an approval over another last known good tag, or one that names none (v2)', () => {
    expect(refusalReason(approval(v3), gate('1200-0ld600d'))).toBeUndefined();
    const other = refusalReason(approval({ ...v3, lastKnownGoodTag: '1199-0ther00' }), gate('1200-0ld600d'));
    expect(other).toBe(
      `the signature does not verify for "tech-lead" on this release (2.4.0, 1234-abc1234, last known good 1200-0ld600d, plan ${subject.planDigest.slice(0, 19)}), decision and role`,
    );
    expect(refusalReason(approval(v2), gate('1200-0ld600d'))).toMatch(/does not verify/);
    expect(refusalReason(approval({ ...v3, lastKnownGoodTag: undefined }), gate(undefined))).toBeUndefined();
    // Releases from before v3 keep v2.
    expect(refusalReason(approval(v2), { ...gate(), strict: { subject } })).toBeUndefined();
  });

  test('a v3 approval dated more than 60 s ahead is refused (before v3: 15 minutes either way)', () => {
    const ahead = new Date(nowMs + 2 * 60_000).toISOString();
    const req = { ...approval({ ...v3, signedAt: ahead }), signedAt: ahead };
    expect(refusalReason(req, gate('1200-0ld600d'))).toBe(
      `the signature is dated ${ahead}, more than 60 seconds ahead of the workflow's time`,
    );
    const v2req = { ...approval({ ...v2, signedAt: ahead }), signedAt: ahead };
    expect(refusalReason(v2req, { ...gate(), strict: { subject } })).toBeUndefined();
  });

  test("the CLI signs v3 when the status says so, naming the release's last known good tag", () => {
    const status = { ...subject, approvalStatement: 3, lastKnownGoodTag: '1200-0ld600d' } as ReleaseStatus;
    expect(approvalStatement(st, status)).toEqual(v3);
    expect(approvalStatement(st, { ...status, approvalStatement: undefined })).toEqual(v2);
    expect(approvalStatement(st, { ...status, planDigest: undefined })).toEqual(st);
  });
});
