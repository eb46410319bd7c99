// Approvals that prove who approved: an approver signs a statement naming exactly this release run,
// the decision and the role with their ed25519 key; the workflow verifies it with pure JS, so a
// signal sent by anyone with namespace access cannot impersonate an approver.
import { ed25519 } from '@noble/curves/ed25519';
import type { Decision } from './definitions';

export interface Statement {
  workflowId: string;
  runId: string;
  decision: Decision;
  role: string;
  approverId: string;
  signedAt: string;
}

/** The exact bytes that are signed; one field per line so no field can bleed into another. */
export function statementText(s: Statement): string {
  return ['hwayo-release approval v1', s.workflowId, s.runId, s.decision, s.role, s.approverId, s.signedAt].join('\n');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Strict base64 decode (no Buffer in the workflow sandbox). Returns undefined on malformed input. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let i = 0;
  for (const ch of clean) {
    acc = (acc << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[i++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < bytes.length ? B64[n & 63] : '=');
  }
  return out;
}

/** True when `signature` (base64) is publicKey's ed25519 signature of the statement. Never throws. */
export function verifyStatement(statement: Statement, signature: string, publicKey: string): boolean {
  const sig = fromBase64(signature);
  const key = fromBase64(publicKey);
  if (!sig || sig.length !== 64 || !key || key.length !== 32) return false;
  try {
    return ed25519.verify(sig, new TextEncoder().encode(statementText(statement)), key);
  } catch {
    return false;
  }
}

/** Signing lives here too so the CLI and tests produce exactly what the workflow verifies. */
export function signStatement(statement: Statement, privateKey: Uint8Array): string {
  return toBase64(ed25519.sign(new TextEncoder().encode(statementText(statement)), privateKey));
}

export function publicKeyOf(privateKey: Uint8Array): string {
  return toBase64(ed25519.getPublicKey(privateKey));
}
