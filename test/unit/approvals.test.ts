import { ed25519 } from '@noble/curves/ed25519';
import { defaultPlan } from '../../src/plan/load';
import {
  gateClosedReason,
  gateState,
  missingRoles,
  refusalReason,
  type GateContext,
} from '../../src/workflows/approvals';
import type { ApprovalRecord, ApprovalRequest } from '../../src/workflows/definitions';
import { fromBase64, publicKeyProblem, toBase64 } from '../../src/plan/public-keys';
import {
  canonicalJson,
  planDigest,
  publicKeyOf,
  signStatement,
  statementText,
  verifyStatement,
} from '../../src/workflows/signatures';

const plan = defaultPlan();
const ctx = (records: ApprovalRecord[] = [], over: Partial<GateContext> = {}): GateContext => ({
  plan,
  workflowId: 'release-hwayo-2.4.0',
  runId: 'run-1',
  nowMs: Date.parse('2026-11-26T10:00:00Z'),
  waiting: true,
  records,
  ...over,
});
const req = (approverId: string, role = approverId, decision: 'approve' | 'reject' = 'approve'): ApprovalRequest => ({
  approverId,
  role,
  decision,
});
const accepted = (r: ApprovalRequest): ApprovalRecord => ({
  ...r,
  at: '2026-11-26T10:00:00Z',
  accepted: true,
  via: 'update',
});

test('the gate opens when every required role approved, and a single accepted rejection closes it', () => {
  const all = ['tech-lead', 'product-manager', 'qa-lead'].map((r) => accepted(req(r)));
  expect(gateState(plan, all.slice(0, 2))).toBe('waiting');
  expect(missingRoles(plan, all.slice(0, 2))).toEqual(['qa-lead']);
  expect(gateState(plan, all)).toBe('approved');
  expect(gateState(plan, [...all.slice(0, 2), accepted(req('qa-lead', 'qa-lead', 'reject'))])).toBe('rejected');
  expect(gateState(plan, [{ ...accepted(req('qa-lead', 'qa-lead', 'reject')), accepted: false }])).toBe('waiting');
});

test('refusals say why', () => {
  expect(refusalReason(req('tech-lead'), ctx([], { waiting: false }))).toBe('the release is not waiting for approval');
  expect(refusalReason(req('nobody'), ctx())).toBe('approver "nobody" is not listed in the plan');
  expect(refusalReason(req('qa-lead', 'tech-lead'), ctx())).toBe(
    'approver "qa-lead" holds role "qa-lead", not "tech-lead"',
  );
  expect(refusalReason(req('tech-lead'), ctx([accepted(req('tech-lead'))]))).toBe(
    'role "tech-lead" was already approved by "tech-lead"',
  );
  expect(refusalReason({ ...req('tech-lead'), decision: 'maybe' as 'approve' }, ctx())).toBe(
    'unknown decision "maybe"',
  );
  expect(refusalReason(req('tech-lead'), ctx())).toBeUndefined();
});

/** tech-lead's approval statement (v1 fields), signed two minutes before the gate looks at it. */
const st = {
  workflowId: 'release-hwayo-2.4.0',
  runId: 'run-1',
  decision: 'approve' as const,
  role: 'tech-lead',
  approverId: 'tech-lead',
  signedAt: '2026-11-26T09:58:00.000Z',
};

describe('signed statements', () => {
  const key = ed25519.utils.randomPrivateKey();
  const signedPlan = defaultPlan();
  signedPlan.approval.approvers[0].publicKey = publicKeyOf(key);
  const statement = st;

  test('the statement names every field on its own line', () => {
    expect(statementText(statement)).toBe(
      'hwayo-release approval v1\nrelease-hwayo-2.4.0\nrun-1\napprove\ntech-lead\ntech-lead\n2026-11-26T09:58:00.000Z',
    );
  });
  test('a valid signature verifies; any changed field does not', () => {
    const sig = signStatement(statement, key);
    expect(verifyStatement(statement, sig, publicKeyOf(key))).toBe(true);
    for (const change of [
      { runId: 'run-2' },
      { decision: 'reject' as const },
      { role: 'qa-lead' },
      { workflowId: 'release-hwayo-2.5.0' },
      { signedAt: '2026-11-26T09:59:00.000Z' },
    ]) {
      expect(verifyStatement({ ...statement, ...change }, sig, publicKeyOf(key))).toBe(false);
    }
    expect(verifyStatement(statement, 'not base64!', publicKeyOf(key))).toBe(false);
    expect(verifyStatement(statement, sig.slice(4), publicKeyOf(key))).toBe(false);
  });
  test('the gate checks signature, scope and time', () => {
    const sig = signStatement(statement, key);
    const signed = { ...req('tech-lead'), signature: sig, signedAt: statement.signedAt };
    const c = ctx([], { plan: signedPlan });
    expect(refusalReason(signed, c)).toBeUndefined();
    expect(refusalReason(req('tech-lead'), c)).toContain('a signed statement is required');
    expect(refusalReason(signed, { ...c, runId: 'run-2' })).toContain('does not verify');
    expect(refusalReason(signed, { ...c, nowMs: Date.parse('2026-11-26T12:00:00Z') })).toContain(
      'more than 15 minutes',
    );
    // Approvers without a key are unaffected unless the plan requires signatures.
    expect(refusalReason(req('qa-lead'), c)).toBeUndefined();
  });
  test('base64 round trip without Buffer', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252, 253]);
    expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    expect(Array.from(fromBase64(toBase64(bytes))!)).toEqual(Array.from(bytes));
    expect(fromBase64('abc')).toBeUndefined();
  });
});

// ---- the gate trusts nothing it is given ----

const IDENTITY_KEY = toBase64(Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0))); // the point (0, 1)
/**
 * R = identity, S = 0: a "signature" that holds for a small-order key under lenient (ZIP-215) rules, for any message.
 */
const FORGED_SIG = toBase64(Uint8Array.from({ length: 64 }, (_, i) => (i === 0 ? 1 : 0)));
const subject = { version: '2.4.0', imageTag: '1234-abc1234', planDigest: planDigest(plan) };

describe('weak keys (hole 3)', () => {
  test('a small-order key with a fixed forged signature is refused by verification (lenient ed25519 accepts it)', () => {
    // Lenient verification: ed25519.verify with its default (ZIP-215) rules accepts the forgery.
    expect(
      ed25519.verify(fromBase64(FORGED_SIG)!, new TextEncoder().encode(statementText(st)), fromBase64(IDENTITY_KEY)!),
    ).toBe(true);
    expect(verifyStatement(st, FORGED_SIG, IDENTITY_KEY)).toBe(false);
    expect(verifyStatement({ ...st, ...subject }, FORGED_SIG, IDENTITY_KEY)).toBe(false);
    expect(publicKeyProblem(IDENTITY_KEY)).toMatch(/small-order/);
  });

  test('non-canonical and mixed-order keys are refused; a generated key is sound', () => {
    const p = (1n << 255n) - 19n;
    const nonCanonical = new Uint8Array(32);
    let y = p + 1n; // y = 1 written as y + p
    for (let i = 0; i < 32; i++) {
      nonCanonical[i] = Number(y & 0xffn);
      y >>= 8n;
    }
    expect(publicKeyProblem(toBase64(nonCanonical))).toMatch(/canonical/);
    const honest = ed25519.ExtendedPoint.fromHex(ed25519.getPublicKey(ed25519.utils.randomPrivateKey()));
    const order4 = ed25519.ExtendedPoint.fromHex(new Uint8Array(32)); // (sqrt(-1), 0)
    expect(publicKeyProblem(toBase64(honest.add(order4).toRawBytes()))).toMatch(/torsion/);
    expect(publicKeyProblem(toBase64(honest.toRawBytes()))).toBeUndefined();
    expect(publicKeyProblem('not-a-key')).toMatch(/base64 ed25519/);
  });

  test('the gate refuses a weak key in the plan even if the plan skipped validation, and a key shared by two roles', () => {
    const weak = defaultPlan();
    weak.approval.approvers[0].publicKey = IDENTITY_KEY;
    const forged = { ...req('tech-lead'), signature: FORGED_SIG, signedAt: st.signedAt };
    const strict = ctx([], { plan: weak, nowMs: Date.parse(st.signedAt), strict: { subject } });
    expect(refusalReason(forged, strict)).toBe(
      'the public key of "tech-lead" is a small-order point (a weak key that accepts forged signatures)',
    );
    const key = ed25519.utils.randomPrivateKey();
    const shared = defaultPlan();
    for (const a of shared.approval.approvers) a.publicKey = publicKeyOf(key);
    const signed = {
      ...req('qa-lead'),
      signedAt: st.signedAt,
      signature: signStatement({ ...st, role: 'qa-lead', approverId: 'qa-lead', ...subject }, key),
    };
    expect(refusalReason(signed, { ...strict, plan: shared })).toBe(
      'approver "qa-lead" shares a key with "tech-lead": each role needs its own person',
    );
  });

  test('no required roles never opens the gate', () => {
    expect(gateState({ ...plan, approval: { ...plan.approval, requiredRoles: [] } }, [])).toBe('waiting');
  });
});

describe('signed statements bind the artifact (hole 4)', () => {
  const key = ed25519.utils.randomPrivateKey();
  const signedPlan = defaultPlan();
  signedPlan.approval.allowUnsigned = false;
  signedPlan.approval.approvers.forEach((a) => {
    a.publicKey = publicKeyOf(a.id === 'tech-lead' ? key : ed25519.utils.randomPrivateKey());
  });
  const c = ctx([], {
    plan: signedPlan,
    nowMs: Date.parse(st.signedAt),
    strict: { subject: { ...subject, planDigest: planDigest(signedPlan) } },
  });
  const v2 = { ...st, version: '2.4.0', imageTag: '1234-abc1234', planDigest: planDigest(signedPlan) };

  test('v2 names version, image tag and plan digest; a v2 signature verifies only for them', () => {
    expect(statementText(v2)).toBe(
      `hwayo-release approval v2\n${JSON.stringify(['release-hwayo-2.4.0', 'run-1', 'approve', 'tech-lead', 'tech-lead', st.signedAt, '2.4.0', '1234-abc1234', v2.planDigest])}`,
    );
    const sig = signStatement(v2, key);
    expect(refusalReason({ ...req('tech-lead'), signature: sig, signedAt: st.signedAt }, c)).toBeUndefined();
    for (const other of [
      { version: '2.5.0' },
      { imageTag: '9999-evil' },
      { planDigest: planDigest({ ...signedPlan, app: 'other' }) },
    ]) {
      expect(
        refusalReason(
          { ...req('tech-lead'), signature: sig, signedAt: st.signedAt },
          { ...c, strict: { subject: { ...c.strict!.subject, ...other } } },
        ),
      ).toMatch(/does not verify/);
    }
  });

  test('a v1 signature (no artifact) is refused once the workflow binds statements', () => {
    const v1sig = signStatement(st, key);
    expect(refusalReason({ ...req('tech-lead'), signature: v1sig, signedAt: st.signedAt }, c)).toMatch(
      /does not verify/,
    );
    // Histories from before keep the v1 rules.
    expect(
      refusalReason({ ...req('tech-lead'), signature: v1sig, signedAt: st.signedAt }, { ...c, strict: undefined }),
    ).toBeUndefined();
  });

  test('signatures are required by default: an approver without a key cannot approve unsigned', () => {
    const noKey = defaultPlan();
    noKey.approval.allowUnsigned = false;
    expect(refusalReason(req('qa-lead'), ctx([], { plan: noKey, strict: { subject } }))).toBe(
      'approver "qa-lead" has no public key in the plan',
    );
    // With approval.allowUnsigned, unsigned decisions pass (the report marks them).
    expect(refusalReason(req('qa-lead'), ctx([], { strict: { subject } }))).toBeUndefined();
  });

  test('the plan digest is canonical: key order does not matter, any edit does', () => {
    expect(planDigest({ a: 1, b: [1, { c: 'x', d: undefined }] })).toBe(planDigest({ b: [1, { c: 'x' }], a: 1 }));
    expect(planDigest(plan)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(planDigest({ ...plan, canary: { ...plan.canary, steps: [{ weight: 100, watchMs: 1000 }] } })).not.toBe(
      planDigest(plan),
    );
    expect(canonicalJson({ b: 1, a: 'x' })).toBe('{"a":"x","b":1}');
  });
});

test('a closed gate refuses and says to use abort (hole 1)', () => {
  expect(
    refusalReason(
      req('qa-lead', 'qa-lead', 'reject'),
      ctx([], { waiting: false, closedBecause: 'every required role has approved' }),
    ),
  ).toBe('the approval gate is closed (every required role has approved); to stop the release use abort');
});

test('the gate is closed before it opened, after the deadline, outside awaiting-approval, and once decided', () => {
  const now = Date.parse('2026-11-26T10:00:00Z');
  expect(gateClosedReason({ opened: false }, 'preflight', undefined, now)).toBe(
    'preflight is still running; the gate opens when it has passed',
  );
  expect(gateClosedReason({ opened: false }, 'done', undefined, now)).toBe('the release is in done');
  expect(gateClosedReason({ opened: true }, 'awaiting-approval', now + 1, now)).toBeUndefined();
  expect(gateClosedReason({ opened: true }, 'awaiting-approval', now, now)).toBe('the approval deadline has passed');
  expect(gateClosedReason({ opened: true }, 'preflight-recheck', now + 1, now)).toBe(
    'the release is in preflight-recheck',
  );
  expect(
    gateClosedReason({ opened: true, decided: 'rejected by qa (qa-lead)' }, 'awaiting-approval', now + 1, now),
  ).toBe('rejected by qa (qa-lead)');
});
