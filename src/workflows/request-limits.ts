// What an approval or a control request may carry, pure: checked at the workflow's handler boundary
// (signal handlers, update validators and handlers) and by the CLI before sending. A request out of
// these bounds is refused whole; only a clipped, escaped copy of the offending field is ever stored.
import type { ReleasePlan } from '../plan/types';
import type { ApprovalRequest } from './definitions';

/** Approver ids, operator names and roles: what a plan id may be, and what `by` may be. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/i;
/** A reason or a comment: one line of at most this many characters. */
export const TEXT_MAX = 1_000;
/** A signature: the base64 of an ed25519 signature (64 bytes). */
export const SIGNATURE_PATTERN = /^[A-Za-z0-9+/]{86}==$/;
/** signedAt: an ISO 8601 time such as 2026-12-06T01:23:45.678Z (or with an offset). */
export const SIGNED_AT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
export const SIGNED_AT_MAX = 40;
/** How much of an offending value a refusal and the audit keep. */
export const CLIP_AT = 80;

// Control characters (also newlines), line separators and bidi overrides: they could forge lines in
// a log or the report, or reorder what a reader sees.
const UNSAFE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const UNSAFE_ALL = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069"\\]/gu;

/** A printable, bounded copy of any value: the first 80 characters, escaped, and the length when clipped. */
export function clip(value: unknown): string {
  if (typeof value !== 'string') return `(${value === null ? 'null' : typeof value})`;
  const head = value
    .slice(0, CLIP_AT)
    .replace(UNSAFE_ALL, (c) =>
      c === '"' || c === '\\' ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  return value.length > CLIP_AT ? `"${head}"... (${value.length} chars)` : `"${head}"`;
}

/** Why `value` is not a name (also the CLI's check of --as, --role, --by). */
export const nameProblem = (field: string, value: unknown): string | undefined =>
  typeof value === 'string' && NAME_PATTERN.test(value)
    ? undefined
    : `${field} ${clip(value)} must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit`;

/** Why `value` is not a one-line text within TEXT_MAX (also the CLI's check of --reason, --comment). */
export function textProblem(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return `${field} ${clip(value)} must be text`;
  if (value.length > TEXT_MAX) return `${field} ${clip(value)} is longer than ${TEXT_MAX} characters`;
  if (UNSAFE.test(value)) return `${field} ${clip(value)} must be one line without control characters`;
  return undefined;
}

function signatureProblem(req: { signature?: unknown; signedAt?: unknown }): string | undefined {
  const { signature, signedAt } = req;
  if (signature !== undefined && (typeof signature !== 'string' || !SIGNATURE_PATTERN.test(signature)))
    return `signature ${clip(signature)} must be the base64 of 64 bytes`;
  if (
    signedAt !== undefined &&
    (typeof signedAt !== 'string' || signedAt.length > SIGNED_AT_MAX || !SIGNED_AT_PATTERN.test(signedAt))
  )
    return `signedAt ${clip(signedAt)} must be an ISO time of at most ${SIGNED_AT_MAX} characters`;
  return undefined;
}

/** A name that is not listed but differs from a listed id only in case: it would pass for that person. */
function nearName(field: string, value: string, ids: string[]): string | undefined {
  if (ids.includes(value)) return undefined;
  const like = ids.find((id) => id.toLowerCase() === value.toLowerCase());
  return like ? `${field} ${clip(value)} is not "${like}": names are matched exactly` : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Why an approval request is out of bounds; undefined when it may go on to the gate's rules. */
export function approvalLimitProblem(req: unknown, plan: ReleasePlan): string | undefined {
  if (!isObject(req)) return 'the request must be an object';
  const roles = [...plan.approval.requiredRoles, ...plan.approval.approvers.map((a) => a.role)];
  const problem = nameProblem('approverId', req.approverId) ?? nameProblem('role', req.role);
  if (problem) return problem;
  const approverId = req.approverId as string;
  const role = req.role as string;
  if (!roles.includes(role))
    return `role ${clip(role)} is not one of the plan's roles (${[...new Set(roles)].join(', ')})`;
  return (
    nearName(
      'approverId',
      approverId,
      plan.approval.approvers.map((a) => a.id),
    ) ??
    textProblem('comment', req.comment) ??
    signatureProblem(req)
  );
}

/** Why a control request is out of bounds; undefined when it may go on to the stage rules. */
export function controlLimitProblem(req: unknown, plan: ReleasePlan): string | undefined {
  if (!isObject(req)) return 'the request must be an object';
  const ids = [...plan.approval.approvers, ...(plan.approval.operators ?? [])].map((p) => p.id);
  return (
    nameProblem('by', req.by) ??
    nearName('by', req.by as string, ids) ??
    textProblem('reason', req.reason) ??
    signatureProblem(req)
  );
}

/** The part of a refused approval that is kept: every field clipped, the signature dropped. */
export function boundedApproval(req: unknown, decision: ApprovalRequest['decision']): ApprovalRequest {
  const r = isObject(req) ? req : {};
  return {
    approverId: clip(r.approverId),
    role: clip(r.role),
    decision,
    ...(r.comment !== undefined ? { comment: clip(r.comment) } : {}),
  };
}

/** The sender of a refused control as the audit keeps it. */
export const boundedBy = (req: unknown): string => clip(isObject(req) ? req.by : req);
