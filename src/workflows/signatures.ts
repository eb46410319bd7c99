// Approvals and controls that prove who sent them: a person signs a statement naming exactly this
// release run, what is released (version, image tag, plan digest) and what they decide, with their
// ed25519 key; the workflow verifies it with pure JS, so a signal sent by anyone with namespace
// access cannot impersonate an approver or an operator, nor carry a decision to another artifact.
import { ed25519 } from '@noble/curves/ed25519';
import { sha256 } from '@noble/hashes/sha2';
import type { Decision } from './definitions';

/** v1 (workflows started before `approval-v2`): the run, the decision and the role only. */
export interface Statement {
  workflowId: string;
  runId: string;
  decision: Decision;
  role: string;
  approverId: string;
  signedAt: string;
}

/** What is being released: a signature over these cannot be carried to another artifact or an edited plan. */
export interface Subject {
  version: string;
  imageTag: string;
  /** planDigest() of the plan the release runs with. */
  planDigest: string;
}

export type StatementV2 = Statement & Subject;

export type ControlAction = 'abort' | 'pause' | 'resume' | 'promote' | 'rollback';

export interface ControlStatement extends Subject {
  workflowId: string;
  runId: string;
  action: ControlAction;
  by: string;
  reason?: string;
  signedAt: string;
}

const isV2 = (s: Statement | StatementV2): s is StatementV2 => 'planDigest' in s && typeof s.planDigest === 'string';

/**
 * The exact text that is signed. v1: one field per line (kept byte for byte for old histories).
 * v2 and controls: a header line, then a JSON array, so no field (a reason with newlines) can bleed
 * into another.
 */
export function statementText(s: Statement | StatementV2): string {
  if (!isV2(s)) return ['hwayo-release approval v1', s.workflowId, s.runId, s.decision, s.role, s.approverId, s.signedAt].join('\n');
  return `hwayo-release approval v2\n${JSON.stringify([s.workflowId, s.runId, s.decision, s.role, s.approverId, s.signedAt, s.version, s.imageTag, s.planDigest])}`;
}

export function controlStatementText(s: ControlStatement): string {
  return `hwayo-release control v1\n${JSON.stringify([s.workflowId, s.runId, s.action, s.by, s.reason ?? '', s.signedAt, s.version, s.imageTag, s.planDigest])}`;
}

/** Deterministic JSON: object keys sorted, undefined members left out (as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** "sha256:<hex>" of the plan's canonical JSON: what a reviewer approved, to the byte. */
export function planDigest(plan: unknown): string {
  const bytes = sha256(new TextEncoder().encode(canonicalJson(plan)));
  return `sha256:${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
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

/**
 * Why a public key is unusable, or undefined when it is a sound ed25519 key: 32 bytes in canonical
 * encoding, a point on the curve, not of small order and free of torsion. A small-order key (the
 * identity 0100..00, for one) "verifies" forged signatures under lenient rules; no honest key is one.
 */
export function publicKeyProblem(publicKey: string): string | undefined {
  const bytes = /^[A-Za-z0-9+/]{43}=$/.test(publicKey) ? fromBase64(publicKey) : undefined;
  if (!bytes || bytes.length !== 32) return 'must be a base64 ed25519 public key (32 bytes)';
  let point: ReturnType<typeof ed25519.ExtendedPoint.fromHex>;
  try {
    point = ed25519.ExtendedPoint.fromHex(bytes, false);
  } catch {
    return 'is not a point on ed25519 in canonical encoding';
  }
  if (toBase64(point.toRawBytes()) !== publicKey) return 'is not in canonical encoding';
  if (point.isSmallOrder()) return 'is a small-order point (a weak key that accepts forged signatures)';
  if (!point.isTorsionFree()) return 'has a torsion component (not a key made by ed25519 key generation)';
  return undefined;
}

/** Strict RFC 8032 verification (no ZIP-215 leniency) with a sound key. Never throws. */
function verifyText(text: string, signature: string, publicKey: string): boolean {
  if (publicKeyProblem(publicKey) !== undefined) return false;
  const sig = fromBase64(signature);
  const key = fromBase64(publicKey);
  if (!sig || sig.length !== 64 || !key) return false;
  try {
    return ed25519.verify(sig, new TextEncoder().encode(text), key, { zip215: false });
  } catch {
    return false;
  }
}

/** True when `signature` (base64) is publicKey's ed25519 signature of the statement (v1 or v2). */
export function verifyStatement(statement: Statement | StatementV2, signature: string, publicKey: string): boolean {
  // v1 puts one field per line: a field holding a newline could pose as two.
  if (!isV2(statement) && Object.values(statement).some((v) => typeof v === 'string' && v.includes('\n'))) return false;
  return verifyText(statementText(statement), signature, publicKey);
}

export function verifyControlStatement(statement: ControlStatement, signature: string, publicKey: string): boolean {
  return verifyText(controlStatementText(statement), signature, publicKey);
}

/** Signing lives here too so the CLI and tests produce exactly what the workflow verifies. */
export function signStatement(statement: Statement | StatementV2, privateKey: Uint8Array): string {
  return toBase64(ed25519.sign(new TextEncoder().encode(statementText(statement)), privateKey));
}

export function signControlStatement(statement: ControlStatement, privateKey: Uint8Array): string {
  return toBase64(ed25519.sign(new TextEncoder().encode(controlStatementText(statement)), privateKey));
}

export function publicKeyOf(privateKey: Uint8Array): string {
  return toBase64(ed25519.getPublicKey(privateKey));
}
