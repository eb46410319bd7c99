// Namespace backups keep no Secret value in the clear (threat 8, docs/security.md): encrypted with the codec key
// ring, bound to the Secret's namespace/name, or reduced to key names when the worker has no keys.
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { openProtectedSecret, protectSecret } from '../../src/activities/kubernetes/backup-secrets';
import type { CodecKey } from '../../src/codec/keys';

const key = (id: string): CodecKey => ({ id, key: randomBytes(32) });
const VALUE = 'hunter2-very-secret';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

const secret = (name = 'db') => ({
  apiVersion: 'v1',
  kind: 'Secret',
  type: 'Opaque',
  metadata: {
    name,
    namespace: 'blue',
    labels: { app: 'x' },
    annotations: {
      keep: 'me',
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ stringData: { PASSWORD: VALUE } }),
    },
  },
  data: { PASSWORD: b64(VALUE), HOST: b64('db.internal') },
});

describe('protectSecret', () => {
  it('encrypts the values: neither the value nor its base64 is in the backup text, and the key ring opens it', () => {
    const ring = [key('k2'), key('k1')];
    const sealed = protectSecret(secret(), ring);
    const text = stringify(sealed);
    expect(text).not.toContain(VALUE);
    expect(text).not.toContain(b64(VALUE));
    expect(sealed).not.toHaveProperty('data');
    expect(sealed).toMatchObject({
      kind: 'Secret',
      metadata: { name: 'db', annotations: { keep: 'me' } },
      encryptedData: { algorithm: 'AES-256-GCM', keyId: 'k2' },
    });
    expect((sealed.metadata as { annotations: object }).annotations).not.toHaveProperty([
      'kubectl.kubernetes.io/last-applied-configuration',
    ]);
    // Restore with the ring after rotation (k3 new, k2 still listed).
    const opened = openProtectedSecret(sealed, [key('k3'), ring[0]]);
    expect(opened.data).toEqual(secret().data);
    expect(opened).not.toHaveProperty('encryptedData');
  });

  it('a ciphertext moved to another Secret, a wrong key or a tampered blob does not open', () => {
    const ring = [key('k1')];
    const sealed = protectSecret(secret('db'), ring) as { encryptedData: { ciphertext: string } } & Record<
      string,
      unknown
    >;
    const other = protectSecret(secret('other'), ring) as typeof sealed;
    expect(() => openProtectedSecret({ ...other, encryptedData: sealed.encryptedData }, ring)).toThrow(
      /failed authentication/,
    );
    expect(() => openProtectedSecret(sealed, [key('k1')])).toThrow(/failed authentication/);
    expect(() => openProtectedSecret(sealed, [key('k9')])).toThrow(/key "k1", which is not configured/);
    const raw = Buffer.from(sealed.encryptedData.ciphertext, 'base64');
    raw[20] ^= 1;
    expect(() =>
      openProtectedSecret(
        { ...sealed, encryptedData: { ...sealed.encryptedData, ciphertext: raw.toString('base64') } },
        ring,
      ),
    ).toThrow(/failed authentication/);
  });

  it('without keys keeps a reference only: key names, no values', () => {
    const ref = protectSecret({ ...secret(), stringData: { EXTRA: VALUE } }, []);
    expect(stringify(ref)).not.toContain(VALUE);
    expect(stringify(ref)).not.toContain(b64(VALUE));
    expect(ref).toMatchObject({ valuesOmitted: { keys: ['EXTRA', 'HOST', 'PASSWORD'] } });
    expect(ref).not.toHaveProperty('data');
    expect(ref).not.toHaveProperty('stringData');
  });

  it('leaves every other kind as listed', () => {
    const cm = { kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } };
    expect(protectSecret(cm, [key('k1')])).toBe(cm);
  });
});
