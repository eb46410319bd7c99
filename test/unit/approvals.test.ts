import { ed25519 } from '@noble/curves/ed25519';
import { defaultPlan } from '../../src/plan/load';
import { gateState, missingRoles, refusalReason, type GateContext } from '../../src/workflows/approvals';
import type { ApprovalRecord, ApprovalRequest } from '../../src/workflows/definitions';
import { fromBase64, publicKeyOf, signStatement, statementText, toBase64, verifyStatement } from '../../src/workflows/signatures';

const plan = defaultPlan();
const ctx = (records: ApprovalRecord[] = [], over: Partial<GateContext> = {}): GateContext => ({ plan, workflowId: 'release-hwayo-2.4.0', runId: 'run-1', nowMs: Date.parse('2026-11-26T10:00:00Z'), waiting: true, records, ...over });
const req = (approverId: string, role = approverId, decision: 'approve' | 'reject' = 'approve'): ApprovalRequest => ({ approverId, role, decision });
const accepted = (r: ApprovalRequest): ApprovalRecord => ({ ...r, at: '2026-11-26T10:00:00Z', accepted: true, via: 'update' });

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
  expect(refusalReason(req('qa-lead', 'tech-lead'), ctx())).toBe('approver "qa-lead" holds role "qa-lead", not "tech-lead"');
  expect(refusalReason(req('tech-lead'), ctx([accepted(req('tech-lead'))]))).toBe('role "tech-lead" was already approved by "tech-lead"');
  expect(refusalReason({ ...req('tech-lead'), decision: 'maybe' as 'approve' }, ctx())).toBe('unknown decision "maybe"');
  expect(refusalReason(req('tech-lead'), ctx())).toBeUndefined();
});

describe('signed statements', () => {
  const key = ed25519.utils.randomPrivateKey();
  const signedPlan = defaultPlan();
  signedPlan.approval.approvers[0].publicKey = publicKeyOf(key);
  const statement = { workflowId: 'release-hwayo-2.4.0', runId: 'run-1', decision: 'approve' as const, role: 'tech-lead', approverId: 'tech-lead', signedAt: '2026-11-26T09:58:00.000Z' };

  test('the statement names every field on its own line', () => {
    expect(statementText(statement)).toBe('hwayo-release approval v1\nrelease-hwayo-2.4.0\nrun-1\napprove\ntech-lead\ntech-lead\n2026-11-26T09:58:00.000Z');
  });
  test('a valid signature verifies; any changed field does not', () => {
    const sig = signStatement(statement, key);
    expect(verifyStatement(statement, sig, publicKeyOf(key))).toBe(true);
    for (const change of [{ runId: 'run-2' }, { decision: 'reject' as const }, { role: 'qa-lead' }, { workflowId: 'release-hwayo-2.5.0' }, { signedAt: '2026-11-26T09:59:00.000Z' }]) {
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
    expect(refusalReason(signed, { ...c, nowMs: Date.parse('2026-11-26T12:00:00Z') })).toContain('more than 15 minutes');
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
