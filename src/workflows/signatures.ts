// Approvals and controls that prove who sent them: a person signs a statement naming exactly this
// release run, what is released (version, image tag, plan digest) and what they decide, with their
// ed25519 key; the workflow verifies it with pure JS, so a signal sent by anyone with namespace
// access cannot impersonate an approver or an operator, nor carry a decision to another artifact.
import { ed25519 } from '@noble/curves/ed25519';
import { sha256 } from '@noble/hashes/sha2';
import { fromBase64, publicKeyProblem, toBase64 } from '../plan/public-keys';
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
  if (!isV2(s))
    return ['hwayo-release approval v1', s.workflowId, s.runId, s.decision, s.role, s.approverId, s.signedAt].join(
      '\n',
    );
  return `hwayo-release approval v2\n${JSON.stringify([s.workflowId, s.runId, s.decision, s.role, s.approverId, s.signedAt, s.version, s.imageTag, s.planDigest])}`;
}

export function controlStatementText(s: ControlStatement): string {
  return `hwayo-release control v1\n${JSON.stringify([s.workflowId, s.runId, s.action, s.by, s.reason ?? '', s.signedAt, s.version, s.imageTag, s.planDigest])}`;
}

/** Deterministic JSON: object keys sorted, undefined members left out (as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** "sha256:<hex>" of the plan's canonical JSON: what a reviewer approved, to the byte. */
export function planDigest(plan: unknown): string {
  const bytes = sha256(new TextEncoder().encode(canonicalJson(plan)));
  return `sha256:${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
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
