// One key per purpose from each master key of HWAYO_CODEC_KEYS (HKDF-SHA256, RFC 5869): a payload key
// and a Secret-backup key, so a ciphertext of one purpose never opens under the other's key and neither
// use exposes the master key itself.
import { hkdf } from '@noble/hashes/hkdf';
import { sha256 } from '@noble/hashes/sha2';
import type { CodecKey } from './keys';

export type KeyPurpose = 'payload' | 'secret-backup';

/** Written beside the key id on everything encrypted with a derived key; absent = the master key itself. */
export const KDF = 'hkdf-sha256';

const INFO: Record<KeyPurpose, string> = {
  payload: 'hwayo-release/codec/v1/temporal-payload',
  'secret-backup': 'hwayo-release/codec/v1/s3-secret-backup',
};

export function deriveKey(master: Buffer, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdf(sha256, master, undefined, INFO[purpose], 32));
}

export interface KeyPair {
  /** The purpose's derived key: what encrypts. */
  derived: Buffer;
  /** The master key: decrypts only what was written before keys were derived (no KDF mark). */
  legacy: Buffer;
}

/** Each key id of the ring with its derived and legacy keys, in ring order. */
export function keyRing(keys: CodecKey[], purpose: KeyPurpose): Map<string, KeyPair> {
  return new Map(keys.map((k) => [k.id, { derived: deriveKey(k.key, purpose), legacy: k.key }]));
}
