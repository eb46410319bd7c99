// Who may send a control (hole 5): the pure table the workflow applies to every control request.
import { ed25519 } from '@noble/curves/ed25519';
import { defaultPlan } from '../../src/plan/load';
import { CONTROL_RISK, controlAuthority, controlRisk, type ControlAuthContext } from '../../src/workflows/control-auth';
import type { ControlRequest } from '../../src/workflows/definitions';
import { planDigest, publicKeyOf, signControlStatement, type ControlAction } from '../../src/workflows/signatures';

const keys = { 'tech-lead': ed25519.utils.randomPrivateKey(), oncall: ed25519.utils.randomPrivateKey() };
const signedPlan = defaultPlan();
signedPlan.approval.allowUnsigned = false;
signedPlan.approval.requireSignatures = true;
signedPlan.approval.approvers.forEach((a) => {
  a.publicKey = publicKeyOf(a.id === 'tech-lead' ? keys['tech-lead'] : ed25519.utils.randomPrivateKey());
});
signedPlan.approval.operators = [{ id: 'oncall', publicKey: publicKeyOf(keys.oncall) }];
const at = '2026-11-26T10:00:00.000Z';
const ctx = (plan = signedPlan): ControlAuthContext => ({
  plan,
  workflowId: 'release-hwayo-2.4.0',
  runId: 'run-1',
  nowMs: Date.parse(at),
  subject: { version: '2.4.0', imageTag: '1234-abc1234', planDigest: planDigest(plan) },
});
const signed = (
  action: ControlAction,
  by: keyof typeof keys,
  over: Partial<{ reason: string; key: Uint8Array; version: string }> = {},
): ControlRequest => {
  const c = ctx();
  const req: ControlRequest = { by, reason: over.reason, signedAt: at };
  req.signature = signControlStatement(
    {
      workflowId: c.workflowId,
      runId: c.runId,
      action,
      by,
      reason: over.reason,
      signedAt: at,
      ...c.subject,
      ...(over.version ? { version: over.version } : {}),
    },
    over.key ?? keys[by],
  );
  return req;
};

test('promote and resume raise risk; abort, pause and rollback lower it', () => {
  expect(CONTROL_RISK).toEqual({
    promote: 'raises',
    resume: 'raises',
    abort: 'lowers',
    pause: 'lowers',
    rollback: 'lowers',
  });
});

test('a rollback in retention raises risk (every user to a blue kept small); during the canary it lowers it', () => {
  expect(controlRisk('rollback', 'retention')).toBe('raises');
  expect(controlRisk('rollback', 'canary')).toBe('lowers');
  expect(controlRisk('rollback', 'full-switch')).toBe('lowers');
  expect(controlRisk('abort', 'retention')).toBe('lowers');
  expect(controlRisk('rollback')).toBe('lowers');
  const retention = { ...ctx(), stage: 'retention' as const };
  expect(controlAuthority('rollback', { by: 'anyone', reason: 'data problem' }, retention).refusal).toBe(
    "rollback during retention raises the release's risk: it needs a statement signed by an operator or approver listed in the plan (use --key)",
  );
  expect(controlAuthority('rollback', signed('rollback', 'oncall', { reason: 'data problem' }), retention)).toEqual({
    verified: true,
  });
  expect(controlAuthority('rollback', { by: 'anyone', reason: 'error spike' }, { ...ctx(), stage: 'canary' })).toEqual({
    verified: false,
  });
  // A plan that allows unsigned controls keeps the retention rollback open too.
  expect(
    controlAuthority('rollback', { by: 'anyone', reason: 'x' }, { ...ctx(defaultPlan()), stage: 'retention' }),
  ).toEqual({ verified: false });
});

test.each([
  // action, request, refusal (undefined: accepted), verified
  [
    'promote',
    () => ({ by: 'mallory' }),
    "promote raises the release's risk: it needs a statement signed by an operator or approver listed in the plan (use --key)",
    false,
  ],
  [
    'resume',
    () => ({ by: 'oncall' }),
    '"oncall" has a key in the plan: a resume in their name must be signed (use --key)',
    false,
  ],
  ['promote', () => signed('promote', 'oncall'), undefined, true],
  ['resume', () => signed('resume', 'tech-lead', { reason: 'prometheus is back' }), undefined, true],
  [
    'promote',
    () => signed('promote', 'oncall', { key: keys['tech-lead'] }),
    'the signature does not verify for "oncall" on this release and promote',
    false,
  ],
  [
    'promote',
    () => signed('promote', 'oncall', { version: '2.5.0' }),
    'the signature does not verify for "oncall" on this release and promote',
    false,
  ],
  [
    'promote',
    () => ({ ...signed('promote', 'oncall'), reason: 'edited after signing' }),
    'the signature does not verify for "oncall" on this release and promote',
    false,
  ],
  [
    'promote',
    () => ({ ...signed('promote', 'oncall'), by: 'mallory' }),
    '"mallory" is not an operator or approver in the plan, so the signature cannot be checked',
    false,
  ],
  ['abort', () => ({ by: 'someone-on-call' }), undefined, false],
  ['pause', () => ({ by: 'someone-on-call' }), undefined, false],
  [
    'rollback',
    () => ({ by: 'tech-lead', reason: 'errors' }),
    '"tech-lead" has a key in the plan: a rollback in their name must be signed (use --key)',
    false,
  ],
  ['rollback', () => signed('rollback', 'tech-lead', { reason: 'errors' }), undefined, true],
  [
    'abort',
    () => signed('pause', 'oncall'),
    'the signature does not verify for "oncall" on this release and abort',
    false,
  ],
] as [ControlAction, () => ControlRequest, string | undefined, boolean][])(
  'signatures required: %s %#',
  (action, make, refusal, verified) => {
    expect(controlAuthority(action, make(), ctx())).toEqual(refusal ? { refusal, verified: false } : { verified });
  },
);

test('a signature made 20 minutes away from the workflow clock is refused', () => {
  expect(
    controlAuthority('promote', signed('promote', 'oncall'), { ...ctx(), nowMs: Date.parse(at) + 20 * 60_000 }).refusal,
  ).toMatch(/more than 15 minutes/);
});

test('a plan with approval.allowUnsigned keeps unsigned controls open, but a listed key is still required to speak for its owner', () => {
  const open = defaultPlan();
  expect(controlAuthority('promote', { by: 'anyone' }, ctx(open))).toEqual({ verified: false });
  open.approval.approvers[0].publicKey = publicKeyOf(keys['tech-lead']);
  expect(controlAuthority('promote', { by: 'tech-lead' }, ctx(open)).refusal).toBe(
    '"tech-lead" has a key in the plan: a promote in their name must be signed (use --key)',
  );
});
