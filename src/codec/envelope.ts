// AES-256-GCM of raw bytes with the codec's key ring, for data that leaves Temporal (namespace backups):
// iv | ciphertext | tag under the Secret-backup key derived from the master key (derive.ts), bound to `aad`
// (what the bytes belong to) so a blob cannot be moved to another object.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KDF, keyRing } from './derive';
import type { CodecKey } from './keys';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Envelope {
  algorithm: 'AES-256-GCM';
  keyId: string;
  /** `hkdf-sha256`: the derived Secret-backup key. Absent: the master key itself (backups written before keys
   * were derived, which a restore still opens). */
  kdf?: typeof KDF;
  ciphertext: string;
}

/** Encrypts with `keys[0]`'s derived Secret-backup key. */
export function seal(keys: CodecKey[], plain: Buffer, aad: string): Envelope {
  if (keys.length === 0) throw new Error('seal needs at least one key');
  const { id } = keys[0];
  const key = keyRing(keys.slice(0, 1), 'secret-backup').get(id)!.derived;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return {
    algorithm: 'AES-256-GCM',
    keyId: id,
    kdf: KDF,
    ciphertext: Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64'),
  };
}

/** Decrypts with whichever key of the ring `envelope.keyId` names; wrong key, aad or tampering throws. */
export function open(keys: CodecKey[], envelope: Envelope, aad: string): Buffer {
  const pair = keyRing(keys, 'secret-backup').get(envelope.keyId);
  if (!pair)
    throw new Error(
      `encrypted with key "${envelope.keyId}", which is not configured (have: ${keys.map((k) => k.id).join(', ') || 'none'})`,
    );
  if (envelope.kdf !== undefined && envelope.kdf !== KDF)
    throw new Error(`ciphertext (key "${envelope.keyId}") names an unknown key derivation "${String(envelope.kdf)}"`);
  const key = envelope.kdf ? pair.derived : pair.legacy;
  const data = Buffer.from(envelope.ciphertext, 'base64');
  if (data.length < IV_BYTES + TAG_BYTES) throw new Error(`ciphertext (key "${envelope.keyId}") is truncated`);
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new Error(
      `ciphertext (key "${envelope.keyId}") failed authentication: wrong key, wrong object or tampered data`,
    );
  }
}
