// Reads the CI's security reports (local paths or s3:// URIs) and applies the gates of evidence.ts.
// A report that is missing, unreadable or not what it claims to be fails its gate: no evidence, no release.
import { readFile } from 'node:fs/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { parseS3Uri, type AwsClients } from './aws-clients';
import { awsFailure } from './classify';
import type { CheckResult, EvidenceRefs } from './contract';
import { EvidenceError, GATES, type GateOutcome } from './evidence';

type Gate = keyof typeof GATES;

/** The report's text, or a one-line reason it could not be read. Throws only when a retry may help. */
async function readReport(ref: string, aws: AwsClients): Promise<{ text: string } | { problem: string }> {
  const s3 = parseS3Uri(ref);
  if (s3) {
    try {
      const out = await aws.s3().send(new GetObjectCommand({ Bucket: s3.bucket, Key: s3.key }));
      return { text: (await out.Body?.transformToString('utf8')) ?? '' };
    } catch (err) {
      const failure = awsFailure(`reading ${ref}`, err);
      if (failure.type === 'NotFound' || failure.type === 'PermissionDenied') return { problem: `${ref} cannot be read (${failure.message.split(': ').slice(1).join(': ')})` };
      throw failure;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) return { problem: `${ref}: only local paths and s3:// URIs are supported` };
  try {
    return { text: await readFile(ref, 'utf8') };
  } catch (err) {
    return { problem: `${ref} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
}

async function evaluate(gate: Gate, ref: string | undefined, aws: AwsClients): Promise<GateOutcome> {
  const { label, parse } = GATES[gate];
  const failed = (detail: string): GateOutcome => ({ gate, ok: false, count: 0, detail });
  if (!ref) return failed(`no ${label} report was handed over (evidence.${gate})`);
  const read = await readReport(ref, aws);
  if ('problem' in read) return failed(`${label} report ${read.problem}`);
  let json: unknown;
  try {
    json = JSON.parse(read.text);
  } catch {
    return failed(`${label} report ${ref} is not valid JSON`);
  }
  try {
    return parse(json);
  } catch (err) {
    if (err instanceof EvidenceError) return failed(`${label} report ${ref}: ${err.message}`);
    throw err;
  }
}

export async function checkSecurityEvidence(name: string, refs: EvidenceRefs | undefined, aws: AwsClients): Promise<CheckResult> {
  const gates = Object.keys(GATES) as Gate[];
  const outcomes = await Promise.all(gates.map((g) => evaluate(g, refs?.[g], aws)));
  const failed = outcomes.filter((o) => !o.ok);
  const data = Object.fromEntries(outcomes.flatMap((o) => [[`${o.gate}Ok`, o.ok], [`${o.gate}Findings`, o.count]]));
  return failed.length
    ? { name, ok: false, detail: failed.map((o) => o.detail).join('; '), data }
    : { name, ok: true, detail: outcomes.map((o) => o.detail).join('; '), data };
}
