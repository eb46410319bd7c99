// One check for a signed request, approval or control, pure: signed at all, signed at an acceptable
// time, by a strong key no one else holds, and the statement verifies. The callers say which time
// rule applies, who else holds keys, and the words of each refusal.
import { publicKeyProblem } from '../plan/public-keys';

/** Signature time rule 'skew': how far from the workflow's clock, either way. */
export const SIGNATURE_MAX_SKEW_MS = 15 * 60_000;
/** Signature time rule 'age-and-lead' (control v2, approval v3): how old a signature may be... */
export const SIGNATURE_MAX_AGE_MS = 15 * 60_000;
/** ...and how far ahead of the workflow's clock (a statement dated ahead would stay valid for longer). */
export const SIGNATURE_MAX_AHEAD_MS = 60_000;

/** 'skew': SIGNATURE_MAX_SKEW_MS either way; 'age-and-lead': SIGNATURE_MAX_AGE_MS old, SIGNATURE_MAX_AHEAD_MS ahead. */
export type SignatureTimeRule = 'skew' | 'age-and-lead';

const inWords = (ms: number) =>
  ms >= 120_000 && ms % 60_000 === 0 ? `${ms / 60_000} minutes` : `${ms / 1000} seconds`;

/** Why a signature's time is refused under `rule` (undefined when it is fine). */
export function signedAtProblem(signedAt: string, nowMs: number, rule: SignatureTimeRule): string | undefined {
  const ms = Date.parse(signedAt);
  if (Number.isNaN(ms)) return `signedAt "${signedAt}" is not an ISO time`;
  if (rule === 'skew')
    return Math.abs(nowMs - ms) > SIGNATURE_MAX_SKEW_MS
      ? `the signature was made at ${signedAt}, more than ${inWords(SIGNATURE_MAX_SKEW_MS)} from the workflow's time`
      : undefined;
  if (ms - nowMs > SIGNATURE_MAX_AHEAD_MS)
    return `the signature is dated ${signedAt}, more than ${inWords(SIGNATURE_MAX_AHEAD_MS)} ahead of the workflow's time`;
  if (nowMs - ms > SIGNATURE_MAX_AGE_MS)
    return `the signature was made at ${signedAt}, more than ${inWords(SIGNATURE_MAX_AGE_MS)} before the workflow's time`;
  return undefined;
}

export interface KeyHolder {
  id: string;
  publicKey?: string;
}

/** What a signed request carries; either may be missing, which is itself a refusal. */
export interface Signed {
  signature?: string;
  signedAt?: string;
}

export interface SignatureRules {
  signer: { id: string; publicKey: string };
  nowMs: number;
  time: SignatureTimeRule;
  /** When given, the signer's key must be strong and held by none of these others. */
  keyHolders?: KeyHolder[];
  /** Checked after the key, before the signature (a control's nonce); a refusal or undefined. */
  beforeVerify?: () => string | undefined;
  verify: (signature: string, signedAt: string) => boolean;
  refusals: { unsigned: string; sharedKey: (otherId: string) => string; doesNotVerify: () => string };
}

/** Why a signed request is refused, in the order the checks run; undefined when the signature holds. */
export function signatureRefusal(req: Signed, rules: SignatureRules): string | undefined {
  const { signer, refusals } = rules;
  if (!req.signature || !req.signedAt) return refusals.unsigned;
  const late = signedAtProblem(req.signedAt, rules.nowMs, rules.time);
  if (late) return late;
  if (rules.keyHolders) {
    const weak = publicKeyProblem(signer.publicKey);
    if (weak) return `the public key of "${signer.id}" ${weak}`;
    const shared = rules.keyHolders.find((p) => p.id !== signer.id && p.publicKey === signer.publicKey);
    if (shared) return refusals.sharedKey(shared.id);
  }
  const before = rules.beforeVerify?.();
  if (before) return before;
  return rules.verify(req.signature, req.signedAt) ? undefined : refusals.doesNotVerify();
}
