// AES-256-GCM payload codec: every payload is encrypted whole (its metadata and data) with a fresh
// 12-byte IV under the payload key derived from a master key (derive.ts); the key id and the derivation
// travel in the clear so any key of the ring can decrypt it later.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { KDF, keyRing, type KeyPair } from './derive';
import type { CodecKey } from './keys';

export const ENCODING = 'binary/encrypted';
export const KEY_ID_HEADER = 'encryption-key-id';
/** `hkdf-sha256`: encrypted with the derived payload key. Absent: with the master key itself (written before
 * keys were derived; committed histories and stored data hold such payloads, so they still decrypt). */
export const KDF_HEADER = 'encryption-kdf';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const enc = new TextEncoder();
const dec = new TextDecoder();

export interface AesGcmCodecOptions {
  /**
   * What decode does with a payload that is not encrypted. `refuse` (the worker and the CLI): nothing in
   * plaintext is taken as input, since anyone who can write to Temporal could write it. `pass` (the codec
   * server, which only shows payloads to people): shown as stored.
   */
  plaintext?: 'refuse' | 'pass';
}

export class AesGcmCodec implements PayloadCodec {
  private readonly ring: Map<string, KeyPair>;
  private readonly plaintext: 'refuse' | 'pass';

  /** `keys[0]` encrypts; every key decrypts. */
  constructor(
    private readonly keys: CodecKey[],
    options: AesGcmCodecOptions = {},
  ) {
    if (keys.length === 0) throw new Error('AesGcmCodec needs at least one key');
    this.ring = keyRing(keys, 'payload');
    this.plaintext = options.plaintext ?? 'refuse';
  }

  get activeKeyId(): string {
    return this.keys[0].id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const id = this.keys[0].id;
    const key = this.ring.get(id)!.derived;
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: enc.encode(ENCODING),
          [KEY_ID_HEADER]: enc.encode(id),
          [KDF_HEADER]: enc.encode(KDF),
        },
        // iv | ciphertext | tag
        data: Buffer.concat([iv, body, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || dec.decode(encoding) !== ENCODING) {
        if (this.plaintext === 'pass') return payload;
        throw new ValueError(
          `refused a payload that is not encrypted (encoding "${encoding ? dec.decode(encoding) : 'none'}"): ` +
            'with HWAYO_CODEC_KEYS set every payload must be encrypted with one of its keys',
        );
      }
      const idBytes = payload.metadata?.[KEY_ID_HEADER];
      if (!idBytes) throw new ValueError(`encrypted payload has no ${KEY_ID_HEADER} header`);
      const id = dec.decode(idBytes);
      const pair = this.ring.get(id);
      if (!pair)
        throw new ValueError(
          `payload was encrypted with key "${id}", which is not configured (HWAYO_CODEC_KEYS has: ${[...this.ring.keys()].join(', ')})`,
        );
      const kdf = payload.metadata?.[KDF_HEADER];
      if (kdf && dec.decode(kdf) !== KDF)
        throw new ValueError(`payload (key "${id}") names an unknown key derivation "${dec.decode(kdf)}"`);
      const key = kdf ? pair.derived : pair.legacy;
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError(`encrypted payload (key "${id}") is truncated`);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new ValueError(
          `payload encrypted with key "${id}" failed authentication (wrong key material or tampered data)`,
        );
      }
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
