// The payload codec fails closed (issue 19, item 7): no keys and no explicit HWAYO_CODEC=off stops a worker or
// client; a plaintext payload is refused; payloads and Secret backups use keys derived per purpose; what the
// earlier codec wrote with the master key itself (test/fixtures/codec/legacy-scheme.json, made by 7bc64c6's
// codec) still decodes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { openProtectedSecret, protectSecret } from '../../src/activities/kubernetes/backup-secrets';
import {
  AesGcmCodec,
  codecMode,
  codecsFromEnv,
  dataConverterFromEnv,
  ENCODING,
  KDF_HEADER,
  KEY_ID_HEADER,
  parseCodecKeys,
} from '../../src/codec';
import { deriveKey } from '../../src/codec/derive';
import { open, seal, type Envelope } from '../../src/codec/envelope';
import { ConfigError, loadWorkerConfig } from '../../src/worker/config';

const legacy = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'codec', 'legacy-scheme.json'), 'utf8')) as {
  masterKey: string;
  payload: { metadata: Record<string, string>; data: string };
  secretBackup: { aad: string; envelope: Envelope };
};
const fromJson = (p: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const plain = (data: string): Payload => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(data),
});
const newKey = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

describe('the codec is required unless explicitly off', () => {
  const refused = (env: NodeJS.ProcessEnv) => {
    try {
      loadWorkerConfig([], { HWAYO_KUBE_IN_CLUSTER: 'true', ...env });
    } catch (err) {
      return err instanceof ConfigError ? err.problems : [String(err)];
    }
    return [];
  };

  test('a worker without keys and without HWAYO_CODEC=off refuses to start, naming the variables', () => {
    expect(refused({})).toEqual([
      'HWAYO_CODEC_KEYS: not set: payload encryption is required: set HWAYO_CODEC_KEYS ("<key id>:<base64 of 32 ' +
        'bytes>", from openssl rand -base64 32), or HWAYO_CODEC=off on a local stack or in tests',
    ]);
    expect(refused({ HWAYO_CODEC: 'required' })).toHaveLength(1);
    expect(refused({ HWAYO_CODEC: 'no' })[0]).toMatch(/^HWAYO_CODEC: /);
  });

  test('with keys, or with HWAYO_CODEC=off, it starts', () => {
    expect(refused({ HWAYO_CODEC_KEYS: newKey('k1') })).toEqual([]);
    expect(refused({ HWAYO_CODEC: 'off' })).toEqual([]);
  });

  test('clients: no keys and no off throws; off is no codec; keys win over off', () => {
    expect(() => dataConverterFromEnv({})).toThrow(/HWAYO_CODEC_KEYS is not set: payload encryption is required/);
    expect(() => codecMode({ HWAYO_CODEC: 'plaintext' })).toThrow(/HWAYO_CODEC must be "required"/);
    expect(dataConverterFromEnv({ HWAYO_CODEC: 'off' })).toEqual({});
    expect(codecMode({ HWAYO_CODEC: 'off', HWAYO_CODEC_KEYS: newKey('k1') }).kind).toBe('keys');
  });
});

describe('decode refuses what is not encrypted', () => {
  const [codec] = codecsFromEnv({ HWAYO_CODEC_KEYS: newKey('k1') });

  test('a plaintext payload (as anyone who can write to Temporal could send) is refused', async () => {
    await expect(codec.decode([plain('{"decision":"approve"}')])).rejects.toThrow(
      /refused a payload that is not encrypted \(encoding "json\/plain"\)/,
    );
    await expect(codec.decode([{ data: Buffer.from('x') }])).rejects.toThrow(/encoding "none"/);
  });

  test('the codec server, which only shows payloads, passes a plaintext one through', async () => {
    const viewer = new AesGcmCodec(parseCodecKeys(newKey('k1')), { plaintext: 'pass' });
    const [shown] = await viewer.decode([plain('"old"')]);
    expect(text(shown.data)).toBe('"old"');
  });
});

describe('a key per purpose, derived from each master key', () => {
  const ring = parseCodecKeys(legacy.masterKey);
  const master = ring[0].key;

  test('payload and backup keys differ from each other and from the master key', () => {
    const payload = deriveKey(master, 'payload');
    const backup = deriveKey(master, 'secret-backup');
    expect(payload).toHaveLength(32);
    expect(new Set([payload.toString('hex'), backup.toString('hex'), master.toString('hex')]).size).toBe(3);
    expect(deriveKey(master, 'payload').equals(payload)).toBe(true); // deterministic: any process derives the same
  });

  test('a new payload is encrypted with the derived payload key, marked so, key id kept', async () => {
    const [encoded] = await new AesGcmCodec(ring).encode([plain('"new"')]);
    expect(text(encoded.metadata![KEY_ID_HEADER])).toBe('k-legacy');
    expect(text(encoded.metadata![KDF_HEADER])).toBe('hkdf-sha256');
    expect(text(encoded.metadata!.encoding)).toBe(ENCODING);
    const data = Buffer.from(encoded.data!);
    const gcm = (key: Buffer) => {
      const d = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      d.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([d.update(data.subarray(12, data.length - 16)), d.final()]);
    };
    expect(() => gcm(master)).toThrow();
    expect(() => gcm(deriveKey(master, 'secret-backup'))).toThrow();
    expect(gcm(deriveKey(master, 'payload')).includes(Buffer.from('"new"'))).toBe(true);
    // Without its mark the same bytes would be tried with the master key, and fail.
    const metadata = { ...encoded.metadata };
    delete metadata[KDF_HEADER];
    const unmarked: Payload = { ...encoded, metadata };
    await expect(new AesGcmCodec(ring).decode([unmarked])).rejects.toThrow(/failed authentication/);
  });

  test('a Secret backup is sealed with the derived backup key; it does not open as anything else', () => {
    const envelope = seal(ring, Buffer.from('v'), 'Secret blue/db');
    expect(envelope).toMatchObject({ keyId: 'k-legacy', kdf: 'hkdf-sha256' });
    expect(open(ring, envelope, 'Secret blue/db').toString()).toBe('v');
    const { kdf: _kdf, ...unmarked } = envelope;
    expect(() => open(ring, unmarked, 'Secret blue/db')).toThrow(/failed authentication/);
  });

  test('a payload written before keys were derived (master key, no mark) still decodes', async () => {
    const stored = fromJson(legacy.payload);
    expect(stored.metadata![KDF_HEADER]).toBeUndefined();
    const [decoded] = await new AesGcmCodec(ring).decode([stored]);
    expect(JSON.parse(text(decoded.data))).toEqual({ comment: 'written before keys were derived' });
    // and only with its key
    await expect(
      new AesGcmCodec(parseCodecKeys(`k-legacy:${randomBytes(32).toString('base64')}`)).decode([stored]),
    ).rejects.toThrow(/failed authentication/);
  });

  test('a Secret backup written before keys were derived still opens for a restore', () => {
    const { aad, envelope } = legacy.secretBackup;
    expect(envelope.kdf).toBeUndefined();
    expect(JSON.parse(open(ring, envelope, aad).toString('utf8'))).toEqual({ data: { TOKEN: 'c2VjcmV0' } });
    const item = { kind: 'Secret', metadata: { name: 'db', namespace: 'blue' }, encryptedData: envelope };
    expect(openProtectedSecret(item, ring).data).toEqual({ TOKEN: 'c2VjcmV0' });
    const resealed = protectSecret({ ...item, data: { TOKEN: 'c2VjcmV0' } }, ring) as { encryptedData: Envelope };
    expect(resealed.encryptedData.kdf).toBe('hkdf-sha256');
  });
});
