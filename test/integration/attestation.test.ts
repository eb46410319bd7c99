// The release attestation end to end on the stack's S3 (moto): the real storeReport activity with the stack's
// attestation key writes it beside the report, and `hwayo-release attestation verify` accepts it, then refuses
// it after one flipped byte, one dropped approval or an edited report.json.
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createAwsActivities } from '../../src/activities/aws';
import type { DsseEnvelope } from '../../src/attestation/dsse';
import { defaultPlan } from '../../src/plan/load';
import { fromBase64, toBase64 } from '../../src/plan/public-keys';
import { publicKeyOf } from '../../src/workflows/signatures';
import { sampleReport } from '../unit/attestation-fixture';
import { runActivity } from './activity-env';
import { cliRun } from './cli-runner';
import { stackConfig, stackVar } from './stack';

jest.setTimeout(60_000);

stackVar('HWAYO_ATTESTATION_KEY'); // the moto component writes it: fail here, clearly, on an older stack
const config = stackConfig();
const bucket = defaultPlan().artifactsBucket;
const releaseId = `release-attest-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
const base = `reports/${releaseId}/report`;
const keys = { envelope: `reports/${releaseId}/attestation.intoto.json`, json: `${base}.json`, md: `${base}.md` };
const publicKey = publicKeyOf(config.attestationKey as Uint8Array);
const reportJson = JSON.stringify(sampleReport(releaseId));
const s3 = new S3Client({
  region: config.aws.region,
  endpoint: config.aws.endpoint,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  forcePathStyle: true,
});

const read = async (key: string) =>
  (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString('utf-8')) ?? '';
const write = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const verify = () => cliRun(['attestation', 'verify', releaseId, '--bucket', bucket, '--public-key', publicKey]);
const withPayload = (e: DsseEnvelope, bytes: Uint8Array): string => JSON.stringify({ ...e, payload: toBase64(bytes) });

afterAll(async () => {
  await s3.send(
    new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: Object.values(keys).map((Key) => ({ Key })) } }),
  );
  s3.destroy();
});

test('storeReport attests the report it stores; a retry writes the same bytes; the CLI verifies it', async () => {
  const input = { bucket, key: base, markdown: '# report\n', json: reportJson };
  await runActivity(createAwsActivities(config).storeReport, input);
  const first = await read(keys.envelope);
  await runActivity(createAwsActivities(config).storeReport, input);
  expect(await read(keys.envelope)).toBe(first);
  expect(await read(keys.json)).toBe(reportJson);

  const r = await verify();
  expect(r).toMatchObject({ code: 0, err: '' });
  expect(r.out).toContain(`attestation of ${releaseId} verified: 2 subject(s), outcome succeeded, 2 accepted`);
});

test('one flipped byte of the stored envelope: the CLI exits 7 naming the signature', async () => {
  const original = await read(keys.envelope);
  const envelope = JSON.parse(original) as DsseEnvelope;
  const bytes = fromBase64(envelope.payload) as Uint8Array;
  bytes[new TextDecoder().decode(bytes).indexOf('succeeded')] ^= 0x01;
  await write(keys.envelope, withPayload(envelope, bytes));
  try {
    const r = await verify();
    expect(r.code).toBe(7);
    expect(r.err).toMatch(/attestation refused: the signature by key sha256:[0-9a-f]{64} does not verify/);
  } finally {
    await write(keys.envelope, original);
  }
});

test('one approval dropped from the stored statement: the CLI exits 7', async () => {
  const original = await read(keys.envelope);
  const envelope = JSON.parse(original) as DsseEnvelope;
  const statement = JSON.parse(new TextDecoder().decode(fromBase64(envelope.payload)));
  statement.predicate.approvals.pop();
  await write(keys.envelope, withPayload(envelope, new TextEncoder().encode(JSON.stringify(statement))));
  try {
    const r = await verify();
    expect(r.code).toBe(7);
    expect(r.err).toMatch(/attestation refused: the signature .* does not verify/);
  } finally {
    await write(keys.envelope, original);
  }
});

test('an edited report.json beside a valid attestation: the CLI exits 7 naming the report', async () => {
  await write(keys.json, reportJson.replace('"tech-lead-1"', '"tech-lead-2"'));
  try {
    const r = await verify();
    expect(r.code).toBe(7);
    expect(r.err).toMatch(/attestation refused: report\.json is not the attested one/);
  } finally {
    await write(keys.json, reportJson);
  }
  expect((await verify()).code).toBe(0);
});

test('a worker without a key writes no attestation, and the CLI says so (exit 7)', async () => {
  const unattested = { ...config, attestationKey: undefined };
  const id = `${releaseId}-unattested`;
  const key = `reports/${id}/report`;
  await runActivity(createAwsActivities(unattested).storeReport, { bucket, key, markdown: '#', json: '{}' });
  try {
    const r = await cliRun(['attestation', 'verify', id, '--bucket', bucket, '--public-key', publicKey]);
    expect(r.code).toBe(7);
    expect(r.err).toContain(`no s3://${bucket}/reports/${id}/attestation.intoto.json`);
  } finally {
    await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: `${key}.md` }, { Key: `${key}.json` }] } }),
    );
  }
});
