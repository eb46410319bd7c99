// `attestation verify`: checks a release's signed attestation (src/attestation) against the worker's public key
// and the report stored beside it, from the release's artifacts bucket or from local copies.
import { readFileSync } from 'node:fs';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { isAwsNotFound } from '../activities/classify';
import { attestationKey, attestationSummary, verifyAttestation } from '../attestation/statement';
import type { DsseEnvelope } from '../attestation/dsse';
import { publicKeyProblem } from '../plan/public-keys';
import { CliError, EXIT, optional, parse, usageError, type Command, type Io } from './cli';
import { CONNECTION_HELP, CONNECTION_OPTIONS, withClient } from './connection';
import { releaseInput } from './release';
import { cliS3 } from './s3';

const VERIFY_HELP = `Usage: hwayo-release attestation verify RELEASE-ID [--bucket BUCKET] KEY
       hwayo-release attestation verify --file ENVELOPE [--report REPORT-JSON] KEY
KEY:   --public-key BASE64 | --public-key-file FILE

Verifies the release attestation the worker signed when the release ended
(s3://<artifactsBucket>/reports/<id>/attestation.intoto.json, a DSSE envelope around an in-toto statement):
the signature by the worker's key, the statement's type, and that report.json beside it is the report
it attests, to the byte. Prints one line on success; otherwise every problem, and exits 7.

  --public-key BASE64     the worker's attestation public key (keys public --key FILE prints it)
  --public-key-file FILE  a file holding it
  --bucket BUCKET         read from BUCKET instead of the plan's artifactsBucket (no Temporal needed, so it
                          works after the release's history is gone)
  --file ENVELOPE         verify a local envelope instead
  --report REPORT-JSON    with --file: also check this report.json against it

AWS: AWS_REGION, AWS_ENDPOINT_URL, credentials from the environment or the default chain.
${CONNECTION_HELP}`;

function publicKeyArg(values: Record<string, unknown>): string {
  const given = optional(values, 'public-key');
  const file = optional(values, 'public-key-file');
  if (!given === !file) throw usageError('pass one of --public-key and --public-key-file\n(see --help)');
  let key = given;
  if (file) {
    try {
      key = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw usageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const problem = publicKeyProblem(key as string);
  if (problem) throw usageError(`the attestation public key ${problem}`);
  return key as string;
}

function readLocal(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

async function readObject(s3: S3Client, bucket: string, key: string, missing: string): Promise<string> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await out.Body?.transformToString('utf-8')) ?? '';
  } catch (err) {
    if (isAwsNotFound(err)) throw new CliError(`no s3://${bucket}/${key}: ${missing}`, EXIT.refused);
    throw new CliError(`cannot read s3://${bucket}/${key}: ${(err as Error).name}: ${(err as Error).message}`);
  }
}

/** The stored envelope and report of a release, from `bucket` or the bucket its plan names. */
async function fetchStored(id: string, values: Record<string, unknown>, io: Io) {
  const bucket =
    optional(values, 'bucket') ??
    (await withClient(values, io, async ({ client }) => (await releaseInput(client, id)).plan.artifactsBucket));
  const s3 = cliS3(io.env);
  try {
    const base = `reports/${id}/report`;
    const envelope = await readObject(
      s3,
      bucket,
      attestationKey(base),
      'the release has not ended, or its worker had no HWAYO_ATTESTATION_KEY',
    );
    const report = await readObject(s3, bucket, `${base}.json`, 'the report is missing');
    return { envelope, report, where: `s3://${bucket}/reports/${id}/` };
  } finally {
    s3.destroy();
  }
}

const verify: Command = {
  summary: "verify a release's signed attestation (exit 7 on any tampering)",
  help: VERIFY_HELP,
  async run(argv: string[], io: Io) {
    const options = {
      ...CONNECTION_OPTIONS,
      'public-key': { type: 'string' },
      'public-key-file': { type: 'string' },
      bucket: { type: 'string' },
      file: { type: 'string' },
      report: { type: 'string' },
    } as const;
    const args = parse(argv, options, VERIFY_HELP, io, { min: 0, max: 1, names: 'RELEASE-ID' });
    if (!args) return EXIT.ok;
    const publicKey = publicKeyArg(args.values);
    const file = optional(args.values, 'file');
    const id = args.positionals[0];
    if (!file === !id) throw usageError('pass a RELEASE-ID or --file ENVELOPE\n(see --help)');
    const reportFile = optional(args.values, 'report');
    if (id && reportFile) throw usageError('--report goes with --file\n(see --help)');
    const stored = file
      ? { envelope: readLocal(file), report: reportFile === undefined ? undefined : readLocal(reportFile), where: file }
      : await fetchStored(id, args.values, io);
    let envelope: unknown;
    try {
      envelope = JSON.parse(stored.envelope);
    } catch {
      throw new CliError(`the attestation at ${stored.where} is not JSON`, EXIT.refused);
    }
    const problems = verifyAttestation(envelope, publicKey, stored.report, id);
    if (problems.length) {
      for (const p of problems) io.err(`attestation refused: ${p}`);
      return EXIT.refused;
    }
    io.out(attestationSummary(envelope as DsseEnvelope, publicKey));
    return EXIT.ok;
  },
};

export const attestationCommands: Record<string, Command> = { verify };
