// Reads the CI's security reports and applies the gates of evidence.ts. Reports are read only from
// where the worker's operator put them: below HWAYO_EVIDENCE_ROOT on the worker's disk, or in
// HWAYO_EVIDENCE_BUCKET under evidence/<app>/<version>/. A path the starter names anywhere else is
// refused, so a release cannot be waved through with a report from an unrelated place. A report that
// is missing, unreadable, elsewhere, or not tied to the release fails its gate: no evidence, no release.
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { parseS3Uri, type AwsClients } from './aws/clients';
import { awsFailure } from './classify';
import type { ActivityConfig } from './config';
import type { CheckResult, EvidenceRefs } from './contract';
import { EvidenceError, GATES, type GateOutcome, type ReleaseArtifact } from './evidence';

type Gate = keyof typeof GATES;
export type EvidenceConfig = ActivityConfig['evidence'];
/** The release the reports must belong to. */
export interface EvidenceRelease {
  app: string;
  version: string;
}

export type EvidenceLocation = { file: string } | { bucket: string; key: string } | { problem: string };

const inside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
};

/** The S3 prefix of a version's reports: evidence/<app>/<version>/. */
export const evidencePrefix = (config: EvidenceConfig, release: EvidenceRelease) =>
  `${config.prefix}/${release.app}/${release.version}/`;

/**
 * Where `ref` may be read from, or why it may not. Local refs are relative to the evidence root (an
 * absolute path must lie below it); `..` is refused outright and symlinks are followed only when
 * their target is still below the root. s3:// refs must be in the evidence bucket under the version's prefix.
 */
export async function locateEvidence(
  ref: string,
  config: EvidenceConfig,
  release: EvidenceRelease,
): Promise<EvidenceLocation> {
  if (ref.includes('\0')) return { problem: `${JSON.stringify(ref)} is not a path` };
  const s3 = parseS3Uri(ref);
  if (s3) {
    if (!config.bucket)
      return { problem: `${ref}: the worker reads no evidence from S3 (HWAYO_EVIDENCE_BUCKET is not set)` };
    const prefix = evidencePrefix(config, release);
    if (
      s3.bucket !== config.bucket ||
      !s3.key.startsWith(prefix) ||
      s3.key.split('/').some((p) => p === '..' || p === '.')
    ) {
      return { problem: `${ref} is outside this version's evidence prefix s3://${config.bucket}/${prefix}` };
    }
    return s3;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref))
    return { problem: `${ref}: only paths below the evidence root and s3:// URIs are supported` };
  if (ref.split(/[\\/]/).includes('..')) return { problem: `${ref}: ".." is not allowed in an evidence path` };
  if (!config.root)
    return { problem: `${ref}: the worker reads no evidence from disk (HWAYO_EVIDENCE_ROOT is not set)` };
  const root = resolve(config.root);
  const path = isAbsolute(ref) ? resolve(ref) : resolve(root, ref);
  if (!inside(root, path)) return { problem: `${ref} is outside the evidence root ${root}` };
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    return { problem: `${ref} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  const realRoot = await realpath(root).catch(() => root);
  if (!inside(realRoot, real)) return { problem: `${ref} leads outside the evidence root ${root} (symbolic link)` };
  return { file: real };
}

/** The report's text, or a one-line reason it could not be read. Throws only when a retry may help. */
async function readReport(
  ref: string,
  where: Exclude<EvidenceLocation, { problem: string }>,
  aws: AwsClients,
): Promise<{ text: string } | { problem: string }> {
  if ('bucket' in where) {
    try {
      const out = await aws.s3().send(new GetObjectCommand({ Bucket: where.bucket, Key: where.key }));
      return { text: (await out.Body?.transformToString('utf8')) ?? '' };
    } catch (err) {
      const failure = awsFailure(`reading ${ref}`, err);
      if (failure.type === 'NotFound' || failure.type === 'PermissionDenied')
        return { problem: `${ref} cannot be read (${failure.message.split(': ').slice(1).join(': ')})` };
      throw failure;
    }
  }
  try {
    // O_NOFOLLOW: the file checked above is the file read, not a link swapped in since.
    const handle = await open(where.file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return { text: await handle.readFile('utf8') };
    } finally {
      await handle.close();
    }
  } catch (err) {
    return { problem: `${ref} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
}

async function evaluate(gate: Gate, ref: string | undefined, ctx: EvidenceContext): Promise<GateOutcome> {
  const { label, parse } = GATES[gate];
  const failed = (detail: string): GateOutcome => ({ gate, ok: false, count: 0, detail });
  if (!ref) return failed(`no ${label} report was handed over (evidence.${gate})`);
  const where = await locateEvidence(ref, ctx.config, ctx.release);
  if ('problem' in where) return failed(`${label} report ${where.problem}`);
  const read = await readReport(ref, where, ctx.aws);
  if ('problem' in read) return failed(`${label} report ${read.problem}`);
  let json: unknown;
  try {
    json = JSON.parse(read.text);
  } catch {
    return failed(`${label} report ${ref} is not valid JSON`);
  }
  try {
    return parse(json, ctx.artifact);
  } catch (err) {
    if (err instanceof EvidenceError) return failed(`${label} report ${ref}: ${err.message}`);
    throw err;
  }
}

export interface EvidenceContext {
  config: EvidenceConfig;
  release: EvidenceRelease;
  artifact: ReleaseArtifact;
  aws: AwsClients;
}

export async function checkSecurityEvidence(
  name: string,
  refs: EvidenceRefs | undefined,
  ctx: EvidenceContext,
): Promise<CheckResult> {
  const gates = Object.keys(GATES) as Gate[];
  const outcomes = await Promise.all(gates.map((g) => evaluate(g, refs?.[g], ctx)));
  const failed = outcomes.filter((o) => !o.ok);
  const data = Object.fromEntries(
    outcomes.flatMap((o) => [
      [`${o.gate}Ok`, o.ok],
      [`${o.gate}Findings`, o.count],
    ]),
  );
  return failed.length
    ? { name, ok: false, detail: failed.map((o) => o.detail).join('; '), data }
    : { name, ok: true, detail: outcomes.map((o) => o.detail).join('; '), data };
}
