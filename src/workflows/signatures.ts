// Approvals and controls that prove who sent them: a person signs a statement naming exactly this
// release run, what is released (version, image tag, plan digest) and what they decide, with their
// ed25519 key; the workflow verifies it with pure JS, so a signal sent by anyone with namespace
// access cannot impersonate an approver or an operator, nor carry a decision to another artifact.
import { ed25519 } from '@noble/curves/ed25519';
import { sha256 } from '@noble/hashes/sha2';
import { fromBase64, publicKeyProblem, toBase64 } from '../plan/public-keys';
import type { Decision, Stage } from './definitions';

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
  /** Digest of the platform policy the release runs under, when there is one (signed as '' when absent). */
  policyDigest?: string;
}

export type StatementV2 = Statement & Subject;

/** v3 (from `signed-last-known-good` on): also names what the emergency path would deploy. */
export interface StatementV3 extends StatementV2 {
  statementVersion: 3;
  /** ReleaseInput.lastKnownGoodTag; signed as '' when the release has none. */
  lastKnownGoodTag?: string;
}

/** v4 (multi-cluster releases): one approval covers the release, so it names every cluster and the waves. */
export interface StatementV4 extends Omit<StatementV3, 'statementVersion'> {
  statementVersion: 4;
  /** The clusters in wave order. */
  clusters: string[];
  /** planDigest() of the wave plan (steps, bakes, gates, onFailure). */
  wavesDigest: string;
}

export type ControlAction = 'abort' | 'pause' | 'resume' | 'promote' | 'rollback';

export interface ControlStatement extends Subject {
  workflowId: string;
  runId: string;
  action: ControlAction;
  by: string;
  reason?: string;
  signedAt: string;
}

/**
 * v2 (from `control-nonce` on): also where the release is and the nonce it issued, so a statement
 * is good for one control at one stage and step only.
 */
export interface ControlStatementV2 extends ControlStatement {
  stage: Stage;
  step: number;
  nonce: string;
}

type AnyStatement = Statement | StatementV2 | StatementV3 | StatementV4;
type AnyControlStatement = ControlStatement | ControlStatementV2;

const isV2 = (s: AnyStatement): s is StatementV2 => 'planDigest' in s && typeof s.planDigest === 'string';
const isV3 = (s: AnyStatement): s is StatementV3 | StatementV4 =>
  isV2(s) && ((s as StatementV3).statementVersion === 3 || (s as StatementV4).statementVersion === 4);
const isV4 = (s: AnyStatement): s is StatementV4 => isV2(s) && (s as StatementV4).statementVersion === 4;
const isControlV2 = (s: AnyControlStatement): s is ControlStatementV2 =>
  typeof (s as ControlStatementV2).nonce === 'string';

/**
 * The exact text that is signed. v1: one field per line (kept byte for byte for old histories).
 * v2, v3 and controls: a header line, then a JSON array, so no field (a reason with newlines) can
 * bleed into another. Each version only appends fields, and v1/v2 stay byte for byte for old histories.
 */
export function statementText(s: AnyStatement): string {
  if (!isV2(s))
    return ['hwayo-release approval v1', s.workflowId, s.runId, s.decision, s.role, s.approverId, s.signedAt].join(
      '\n',
    );
  const v2 = [s.workflowId, s.runId, s.decision, s.role, s.approverId, s.signedAt, s.version, s.imageTag, s.planDigest];
  if (!isV3(s)) return `hwayo-release approval v2\n${JSON.stringify(v2)}`;
  const v3 = [...v2, s.lastKnownGoodTag ?? '', s.policyDigest ?? ''];
  if (!isV4(s)) return `hwayo-release approval v3\n${JSON.stringify(v3)}`;
  return `hwayo-release approval v4\n${JSON.stringify([...v3, s.clusters, s.wavesDigest])}`;
}

export function controlStatementText(s: AnyControlStatement): string {
  const v1 = [s.workflowId, s.runId, s.action, s.by, s.reason ?? '', s.signedAt, s.version, s.imageTag, s.planDigest];
  if (!isControlV2(s)) return `hwayo-release control v1\n${JSON.stringify(v1)}`;
  return `hwayo-release control v2\n${JSON.stringify([...v1, s.stage, s.step, s.nonce, s.policyDigest ?? ''])}`;
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
export function verifyText(text: string, signature: string, publicKey: string): boolean {
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

/** True when `signature` (base64) is publicKey's ed25519 signature of the statement (v1, v2 or v3). */
export function verifyStatement(statement: AnyStatement, signature: string, publicKey: string): boolean {
  // v1 puts one field per line: a field holding a newline could pose as two.
  if (!isV2(statement) && Object.values(statement).some((v) => typeof v === 'string' && v.includes('\n'))) return false;
  return verifyText(statementText(statement), signature, publicKey);
}

export function verifyControlStatement(statement: AnyControlStatement, signature: string, publicKey: string): boolean {
  return verifyText(controlStatementText(statement), signature, publicKey);
}

/** Signing lives here too so the CLI and tests produce exactly what the workflow verifies. */
export function signStatement(statement: AnyStatement, privateKey: Uint8Array): string {
  return toBase64(ed25519.sign(new TextEncoder().encode(statementText(statement)), privateKey));
}

export function signControlStatement(statement: AnyControlStatement, privateKey: Uint8Array): string {
  return signText(controlStatementText(statement), privateKey);
}

export function signText(text: string, privateKey: Uint8Array): string {
  return toBase64(ed25519.sign(new TextEncoder().encode(text), privateKey));
}

export function publicKeyOf(privateKey: Uint8Array): string {
  return toBase64(ed25519.getPublicKey(privateKey));
}
