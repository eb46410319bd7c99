// The release attestation: a DSSE envelope around an in-toto statement of the report, signed by the worker's key.
// Any change to the envelope or to the report it names is refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519';
import { pae, sha256Digest, type DsseEnvelope } from '../../src/attestation/dsse';
import { attestRelease, attestationSummary, statementOf, verifyAttestation } from '../../src/attestation/statement';
import { EXIT, type Io } from '../../src/client/cli';
import { run } from '../../src/client/main';
import { fromBase64, toBase64 } from '../../src/plan/public-keys';
import { sampleReport } from './attestation-fixture';

const privateKey = new Uint8Array(32).fill(7);
const publicKey = toBase64(ed25519.getPublicKey(privateKey));
const otherPublicKey = toBase64(ed25519.getPublicKey(new Uint8Array(32).fill(9)));

const report = sampleReport();
const reportJson = JSON.stringify(report);

const payloadOf = (e: DsseEnvelope) => JSON.parse(new TextDecoder().decode(fromBase64(e.payload)));
const withPayload = (e: DsseEnvelope, statement: unknown): DsseEnvelope => ({
  ...e,
  payload: toBase64(new TextEncoder().encode(JSON.stringify(statement))),
});

test('PAE is the DSSE spec example byte for byte', () => {
  const out = pae('http://example.com/HelloWorld', new TextEncoder().encode('hello world'));
  expect(new TextDecoder().decode(out)).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
});

test('a signed attestation verifies with its key and its report, and says what it covers', () => {
  const envelope = attestRelease(reportJson, privateKey);
  expect(verifyAttestation(envelope, publicKey, reportJson)).toEqual([]);
  expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
  expect(envelope.signatures[0].keyid).toBe(sha256Digest(fromBase64(publicKey) as Uint8Array));
  const s = payloadOf(envelope);
  expect(s._type).toBe('https://in-toto.io/Statement/v1');
  expect(s.predicateType).toBe('https://hwayo.io/attestations/release/v1');
  expect(s.subject).toEqual([
    expect.objectContaining({ name: 'registry.local/shop-api:1234-abc1234' }),
    expect.objectContaining({ name: 'registry.local/shop-web:1234-abc1234' }),
  ]);
  expect(s.predicate).toMatchObject({
    releaseId: 'release-shop-2.4.0',
    outcome: 'succeeded',
    planDigest: 'sha256:11',
    policy: report.policy,
    approvals: report.approvals,
    controls: report.audit,
    analyses: [{ at: '2026-12-06T01:20:00.000Z', stage: 'canary', weight: 10, kind: 'window-end', verdict: 'pass' }],
    reportDigest: sha256Digest(reportJson),
  });
  expect(attestationSummary(envelope, publicKey)).toMatch(/2 subject\(s\), outcome succeeded, 2 accepted approval/);
  // Deterministic: a retried activity writes the same bytes.
  expect(attestRelease(reportJson, privateKey)).toEqual(envelope);
});

test('a release that never deployed green is named by app and tag', () => {
  const { images: _images, ...undeployed } = report;
  const envelope = attestRelease(JSON.stringify({ ...undeployed, outcome: 'rejected' }), privateKey);
  expect(payloadOf(envelope).subject).toEqual([
    { name: 'shop:1234-abc1234', uri: 'hwayo-release:shop:1234-abc1234', annotations: expect.any(Object) },
  ]);
});

test('one flipped byte of the payload is refused', () => {
  const envelope = attestRelease(reportJson, privateKey);
  const bytes = fromBase64(envelope.payload) as Uint8Array;
  const i = new TextDecoder().decode(bytes).indexOf('succeeded');
  bytes[i] ^= 0x01; // "succeeded" -> "rucceeded"
  const problems = verifyAttestation({ ...envelope, payload: toBase64(bytes) }, publicKey, reportJson);
  expect(problems).toEqual([expect.stringMatching(/signature .* does not verify/)]);
});

test('a statement with one approval dropped, re-encoded without re-signing, is refused', () => {
  const envelope = attestRelease(reportJson, privateKey);
  const s = payloadOf(envelope);
  s.predicate.approvals.pop();
  expect(verifyAttestation(withPayload(envelope, s), publicKey, reportJson)).toEqual([
    expect.stringMatching(/does not verify/),
  ]);
});

test('another key is refused, and so is an envelope without signatures', () => {
  const envelope = attestRelease(reportJson, privateKey);
  expect(verifyAttestation(envelope, otherPublicKey)).toEqual([expect.stringMatching(/^no signature by key sha256:/)]);
  const forged = {
    ...envelope,
    signatures: [{ ...envelope.signatures[0], keyid: sha256Digest(fromBase64(otherPublicKey) as Uint8Array) }],
  };
  expect(verifyAttestation(forged, otherPublicKey)).toEqual([expect.stringMatching(/does not verify/)]);
  expect(verifyAttestation({ ...envelope, signatures: [] }, publicKey)).toEqual(['the envelope has no signatures']);
});

test('a report.json that differs by one byte from the attested one is refused', () => {
  const envelope = attestRelease(reportJson, privateKey);
  const edited = reportJson.replace('"succeeded"', '"succeedeD"');
  expect(edited).not.toBe(reportJson);
  expect(verifyAttestation(envelope, publicKey, edited)).toEqual([
    expect.stringMatching(/^report\.json is not the attested one/),
  ]);
});

test('a validly signed payload that is not our statement is refused', () => {
  const envelope = attestRelease(reportJson, privateKey);
  const s = { ...payloadOf(envelope), predicateType: 'https://slsa.dev/provenance/v1' };
  const body = new TextEncoder().encode(JSON.stringify(s));
  const sig = toBase64(ed25519.sign(pae(envelope.payloadType, body), privateKey));
  const resigned = { ...withPayload(envelope, s), signatures: [{ keyid: envelope.signatures[0].keyid, sig }] };
  expect(verifyAttestation(resigned, publicKey)).toEqual(['predicateType is "https://slsa.dev/provenance/v1"']);
  expect(statementOf(envelope)).toMatchObject({ predicate: { releaseId: 'release-shop-2.4.0' } });
  expect(verifyAttestation({ payloadType: 'text/plain' }, publicKey)).toEqual([
    'payloadType is "text/plain", not application/vnd.in-toto+json',
  ]);
});

test('an attestation of another release is refused when the release is named', () => {
  const envelope = attestRelease(reportJson, privateKey);
  expect(verifyAttestation(envelope, publicKey, reportJson, 'release-shop-2.4.0')).toEqual([]);
  expect(verifyAttestation(envelope, publicKey, reportJson, 'release-shop-2.5.0')).toEqual([
    'it attests release "release-shop-2.4.0", not release-shop-2.5.0',
  ]);
});

describe('hwayo-release attestation verify --file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwayo-attestation-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const cli = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const io: Io = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), env: {}, isTTY: false };
    return { code: await run(['attestation', 'verify', ...argv], io), out, err };
  };
  const envelopeFile = write('attestation.intoto.json', JSON.stringify(attestRelease(reportJson, privateKey)));
  const reportFile = write('report.json', reportJson);

  test('a stored pair verifies: exit 0 and one line', async () => {
    const r = await cli('--file', envelopeFile, '--report', reportFile, '--public-key', publicKey);
    expect(r).toMatchObject({ code: EXIT.ok, err: '' });
    expect(r.out).toMatch(/^attestation of release-shop-2\.4\.0 verified: 2 subject\(s\), outcome succeeded, /);
  });

  test('tampering exits 7 naming the problem; a bad key is a usage error', async () => {
    const edited = write('edited.json', reportJson.replace('"qa"', '"qA"'));
    const r = await cli('--file', envelopeFile, '--report', edited, '--public-key-file', write('pub', publicKey));
    expect(r).toMatchObject({ code: EXIT.refused, out: '' });
    expect(r.err).toMatch(/^attestation refused: report\.json is not the attested one/);
    const other = await cli('--file', envelopeFile, '--public-key', otherPublicKey);
    expect(other.code).toBe(EXIT.refused);
    expect(other.err).toMatch(/attestation refused: no signature by key/);
    expect((await cli('--file', envelopeFile, '--public-key', 'AAAA')).code).toBe(EXIT.usage);
    expect((await cli('--file', envelopeFile)).code).toBe(EXIT.usage);
    expect((await cli('release-x', '--report', reportFile, '--public-key', publicKey)).code).toBe(EXIT.usage);
  });
});
