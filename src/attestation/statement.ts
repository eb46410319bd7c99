// The release attestation: an in-toto Statement v1 of what a release did, signed by the worker's key in a DSSE
// envelope and stored beside the report (reports/<releaseId>/attestation.intoto.json). Built from the report
// alone, so it says nothing the report does not; it binds the report's exact bytes by digest. Pure.
import { fromBase64 } from '../plan/public-keys';
import type { ReleaseReport } from '../workflows/definitions';
import { keyIdOf, sha256Digest, sign, signatureProblem, type DsseEnvelope } from './dsse';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://hwayo.io/attestations/release/v1';
export const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** The attestation's object key beside the report's: reports/<id>/report -> reports/<id>/attestation.intoto.json. */
export const attestationKey = (reportBase: string): string => reportBase.replace(/[^/]*$/, 'attestation.intoto.json');

export interface ResourceDescriptor {
  name: string;
  uri?: string;
  digest?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ReleasePredicate {
  releaseId: string;
  app: string;
  version: string;
  imageTag: string;
  outcome: ReleaseReport['outcome'];
  reason?: string;
  startedAt: string;
  finishedAt: string;
  /** The digest approvals and controls signed (absent for releases started before the report carried it). */
  planDigest?: string;
  policy?: ReleaseReport['policy'];
  approvedWithoutSignatures?: boolean;
  approvals: ReleaseReport['approvals'];
  controls: ReleaseReport['audit'];
  preflight: { at: string; results: { name: string; ok: boolean }[] }[];
  steps: ReleaseReport['steps'];
  analyses: { at: string; stage: string; weight: number; kind: string; verdict: string }[];
  compensations: string[];
  timeline: ReleaseReport['timeline'];
  /** "sha256:<hex>" of the exact report.json bytes stored beside this attestation. */
  reportDigest: string;
}

export interface ReleaseStatement {
  _type: typeof STATEMENT_TYPE;
  subject: ResourceDescriptor[];
  predicateType: typeof PREDICATE_TYPE;
  predicate: ReleasePredicate;
}

/**
 * One descriptor per image green ran (name: the image reference with the release's tag). No registry digests
 * exist yet, so they carry none (in-toto asks for one): the report digest in the predicate binds the content.
 * A release that never deployed, or one from before the report named its images, is named by app and tag.
 */
function subjectOf(r: ReleaseReport): ResourceDescriptor[] {
  const annotations = { app: r.app, version: r.version, imageTag: r.imageTag };
  const images = Array.isArray(r.images) ? r.images : [];
  if (!images.length)
    return [{ name: `${r.app}:${r.imageTag}`, uri: `hwayo-release:${r.app}:${r.imageTag}`, annotations }];
  return images.map((image) => ({ name: image, uri: `oci://${image}`, annotations }));
}

export function releaseStatement(report: ReleaseReport, reportJson: string): ReleaseStatement {
  const r = report;
  return {
    _type: STATEMENT_TYPE,
    subject: subjectOf(r),
    predicateType: PREDICATE_TYPE,
    predicate: {
      releaseId: r.releaseId,
      app: r.app,
      version: r.version,
      imageTag: r.imageTag,
      outcome: r.outcome,
      reason: r.reason,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      planDigest: r.planDigest,
      policy: r.policy,
      approvedWithoutSignatures: r.approvedWithoutSignatures,
      approvals: r.approvals ?? [],
      controls: r.audit ?? [],
      preflight: (r.preflight ?? []).map((p) => ({
        at: p.at,
        results: p.results.map(({ name, ok }) => ({ name, ok })),
      })),
      steps: r.steps ?? [],
      analyses: (r.analyses ?? []).map(({ at, stage, weight, kind, verdict }) => ({
        at,
        stage,
        weight,
        kind,
        verdict,
      })),
      compensations: r.compensations ?? [],
      timeline: r.timeline ?? [],
      reportDigest: sha256Digest(reportJson),
    },
  };
}

/** Signs the statement of `reportJson` (the exact bytes stored) with the worker's private key. */
export function attestRelease(reportJson: string, privateKey: Uint8Array): DsseEnvelope {
  const statement = releaseStatement(JSON.parse(reportJson) as ReleaseReport, reportJson);
  return sign(PAYLOAD_TYPE, new TextEncoder().encode(JSON.stringify(statement)), privateKey);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function envelopeProblem(e: unknown): string | undefined {
  if (!isRecord(e)) return 'the attestation is not a JSON object';
  if (e.payloadType !== PAYLOAD_TYPE) return `payloadType is ${JSON.stringify(e.payloadType)}, not ${PAYLOAD_TYPE}`;
  if (typeof e.payload !== 'string' || !fromBase64(e.payload)) return 'payload is missing or not base64';
  if (!Array.isArray(e.signatures) || e.signatures.length === 0) return 'the envelope has no signatures';
  if (!e.signatures.every((s) => isRecord(s) && typeof s.keyid === 'string' && typeof s.sig === 'string'))
    return 'a signature is not {keyid, sig}';
  return undefined;
}

/** The statement inside a well-formed envelope, or why it is not ours. */
export function statementOf(envelope: DsseEnvelope): ReleaseStatement | string {
  let s: unknown;
  try {
    s = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64(envelope.payload)));
  } catch {
    return 'the payload is not JSON';
  }
  if (!isRecord(s) || s._type !== STATEMENT_TYPE) return `the payload is not an in-toto ${STATEMENT_TYPE}`;
  if (s.predicateType !== PREDICATE_TYPE) return `predicateType is ${JSON.stringify(s.predicateType)}`;
  if (!Array.isArray(s.subject) || s.subject.length === 0) return 'the statement has no subject';
  if (!isRecord(s.predicate) || typeof s.predicate.reportDigest !== 'string')
    return 'the predicate has no reportDigest';
  return s as unknown as ReleaseStatement;
}

/**
 * Every reason the attestation cannot be trusted (empty: valid): the envelope's shape, the signature by
 * `publicKey` (base64), the statement's type and, given them, the report's bytes and the release it is about.
 */
export function verifyAttestation(
  envelope: unknown,
  publicKey: string,
  reportJson?: string,
  releaseId?: string,
): string[] {
  const shape = envelopeProblem(envelope);
  if (shape) return [shape];
  const e = envelope as DsseEnvelope;
  const problems: string[] = [];
  const sig = signatureProblem(e, publicKey);
  if (sig) problems.push(sig);
  const statement = statementOf(e);
  if (typeof statement === 'string') return [...problems, statement];
  // A valid attestation of another release, copied under this one's name, is not this release's.
  if (releaseId !== undefined && statement.predicate.releaseId !== releaseId)
    problems.push(`it attests release ${JSON.stringify(statement.predicate.releaseId)}, not ${releaseId}`);
  if (reportJson !== undefined) {
    const digest = sha256Digest(reportJson);
    if (digest !== statement.predicate.reportDigest)
      problems.push(
        `report.json is not the attested one (its digest ${digest}, attested ${statement.predicate.reportDigest})`,
      );
  }
  return problems;
}

/** One line on a valid attestation: what it covers and who signed it. */
export function attestationSummary(envelope: DsseEnvelope, publicKey: string): string {
  const s = statementOf(envelope) as ReleaseStatement;
  const p = s.predicate;
  const approvals = p.approvals.filter((a) => a.accepted && a.decision === 'approve').length;
  return (
    `attestation of ${p.releaseId} verified: ${s.subject.length} subject(s), outcome ${p.outcome}, ` +
    `${approvals} accepted approval(s) of ${p.approvals.length}, signed by key ${keyIdOf(publicKey)}`
  );
}
