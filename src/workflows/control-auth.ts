// Who may send a control, pure. The sender's "by" is only a claim; a listed name is believed only
// with a signature by that person's key. Controls that raise risk (promote skips canary steps or
// deletes blue early; resume overrides a pause, also one for inconclusive metrics) need a verified
// operator or approver when the plan requires signatures. Controls that lower risk (abort, pause,
// rollback) stay open, so an incident is never blocked on key logistics, but cannot borrow a listed
// name unsigned. A rollback in retention raises risk: it moves every user to a blue kept small and
// undoes a verified release. Every refusal is audited by the workflow.
import type { ReleasePlan } from '../plan/types';
import { signaturesRequired } from './approvals';
import type { ControlRequest, Stage } from './definitions';
import { signatureRefusal } from './signature-check';
import { verifyControlStatement, type ControlAction, type Subject } from './signatures';

export const CONTROL_RISK: Record<ControlAction, 'raises' | 'lowers'> = {
  promote: 'raises',
  resume: 'raises',
  abort: 'lowers',
  pause: 'lowers',
  rollback: 'lowers',
};

/** The risk of a control in a stage; without a stage, the table above. */
export function controlRisk(action: ControlAction, stage?: Stage): 'raises' | 'lowers' {
  return action === 'rollback' && stage === 'retention' ? 'raises' : CONTROL_RISK[action];
}

export interface ControlAuthContext {
  plan: ReleasePlan;
  workflowId: string;
  runId: string;
  nowMs: number;
  subject: Subject;
  /**
   * From `control-nonce` on: where the release is and the nonce it issued for it. A signed control
   * names all three (control v2); the nonce is good once.
   */
  at?: { stage: Stage; step: number; nonce: string };
  /** The stage the release is in, when its risk depends on it (controlRisk). */
  stage?: Stage;
}

/** The refusal of a signed control whose nonce is not the one the release issued last. */
export const STALE_NONCE = 'nonce already used or stale';

export interface ControlAuthority {
  /** Why the request is refused; undefined when it may go on to the stage rules. */
  refusal?: string;
  /** The sender proved who they are with a listed key. */
  verified: boolean;
}

/** The operators and approvers of the plan, each once, with the key (if any) that speaks for them. */
export function listedPeople(plan: ReleasePlan): { id: string; publicKey?: string }[] {
  return [...plan.approval.approvers, ...(plan.approval.operators ?? [])].map(({ id, publicKey }) => ({
    id,
    publicKey,
  }));
}

export function controlAuthority(
  action: ControlAction,
  req: ControlRequest,
  ctx: ControlAuthContext,
): ControlAuthority {
  const people = listedPeople(ctx.plan);
  const person = people.find((p) => p.id === req.by);
  const refuse = (refusal: string): ControlAuthority => ({ refusal, verified: false });
  if (req.signature !== undefined || person?.publicKey) {
    if (!person)
      return refuse(`"${req.by}" is not an operator or approver in the plan, so the signature cannot be checked`);
    if (!person.publicKey)
      return refuse(`"${req.by}" has no public key in the plan, so the signature cannot be checked`);
    const { publicKey } = person;
    const at = ctx.at;
    const refusal = signatureRefusal(req, {
      signer: { id: req.by, publicKey },
      nowMs: ctx.nowMs,
      time: at !== undefined ? 'age-and-lead' : 'skew',
      keyHolders: people,
      beforeVerify: () => {
        if (!at || req.nonce === at.nonce) return undefined;
        return req.nonce === undefined
          ? `a signed ${action} must name the release's current nonce (hwayo-release status shows it)`
          : `${STALE_NONCE}: sign the ${action} again for the release's current nonce`;
      },
      verify: (signature, signedAt) => {
        const statement = {
          workflowId: ctx.workflowId,
          runId: ctx.runId,
          action,
          by: req.by,
          reason: req.reason,
          signedAt,
          ...ctx.subject,
          ...at,
        };
        return verifyControlStatement(statement, signature, publicKey);
      },
      refusals: {
        unsigned: `"${req.by}" has a key in the plan: a ${action} in their name must be signed (use --key)`,
        sharedKey: (other) => `"${req.by}" shares a key with "${other}": each person needs their own key`,
        doesNotVerify: () => `the signature does not verify for "${req.by}" on this release and ${action}`,
      },
    });
    return refusal ? refuse(refusal) : { verified: true };
  }
  if (controlRisk(action, ctx.stage) === 'raises' && signaturesRequired(ctx.plan)) {
    const during = ctx.stage === 'retention' && action === 'rollback' ? ' during retention' : '';
    return refuse(
      `${action}${during} raises the release's risk: it needs a statement signed by an operator or approver listed in the plan (use --key)`,
    );
  }
  return { verified: false };
}
