// Who may take or resolve an incident, pure. The same people and keys as the release's controls
// (control-auth.ts): an operator or approver of the plan, proved by an ed25519 signature over a
// statement naming this incident, the action and its current nonce, so it is good once and only here.
import { signedAtProblem } from './signature-check';
import type { IncidentAction, IncidentRequest } from './incident-definitions';
import { publicKeyProblem } from '../plan/public-keys';
import { nameProblem, textProblem } from './request-limits';
import { signText, verifyText } from './signatures';

export interface IncidentStatement {
  incidentId: string;
  runId: string;
  action: IncidentAction;
  by: string;
  note?: string;
  signedAt: string;
  nonce: string;
}

/** A header of its own: a release control's signature never verifies as an incident statement. */
export function incidentStatementText(s: IncidentStatement): string {
  return `hwayo-release incident v1\n${JSON.stringify([s.incidentId, s.runId, s.action, s.by, s.note ?? '', s.signedAt, s.nonce])}`;
}

export const signIncidentStatement = (s: IncidentStatement, privateKey: Uint8Array): string =>
  signText(incidentStatementText(s), privateKey);

export interface IncidentAuthContext {
  incidentId: string;
  runId: string;
  nonce: string;
  nowMs: number;
  people: { id: string; publicKey?: string }[];
  signaturesRequired: boolean;
}

/** Why the request is refused, or undefined; `signed` says the sender proved who they are. */
export function incidentAuthority(
  action: IncidentAction,
  req: IncidentRequest,
  ctx: IncidentAuthContext,
): { refusal?: string; signed: boolean } {
  const refuse = (refusal: string) => ({ refusal, signed: false });
  const bounds = incidentLimitProblem(req);
  if (bounds) return refuse(bounds);
  const person = ctx.people.find((p) => p.id === req.by);
  if (req.signature === undefined && !person?.publicKey) {
    return ctx.signaturesRequired
      ? refuse(
          `an incident ${action} needs a statement signed by an operator or approver listed in the plan (use --key)`,
        )
      : { signed: false };
  }
  if (!person?.publicKey) return refuse(`"${req.by}" has no key in the plan, so the signature cannot be checked`);
  if (!req.signature || !req.signedAt)
    return refuse(`"${req.by}" has a key in the plan: sign the ${action} (use --key)`);
  const late = signedAtProblem(req.signedAt, ctx.nowMs, 'age-and-lead');
  if (late) return refuse(late);
  const weak = publicKeyProblem(person.publicKey);
  if (weak) return refuse(`the public key of "${req.by}" ${weak}`);
  if (req.nonce !== ctx.nonce)
    return refuse(`nonce already used or stale: sign the ${action} again for the incident's current nonce`);
  const statement: IncidentStatement = {
    incidentId: ctx.incidentId,
    runId: ctx.runId,
    action,
    by: req.by,
    note: req.note,
    signedAt: req.signedAt,
    nonce: ctx.nonce,
  };
  if (!verifyText(incidentStatementText(statement), req.signature, person.publicKey))
    return refuse(`the signature does not verify for "${req.by}" on this incident and ${action}`);
  return { signed: true };
}

/** Why a request is out of bounds (also the updates' validator, so it never enters the history). */
export function incidentLimitProblem(req: unknown): string | undefined {
  if (typeof req !== 'object' || req === null) return 'the request must be an object';
  const r = req as Record<string, unknown>;
  return nameProblem('by', r.by) ?? textProblem('note', r.note);
}
