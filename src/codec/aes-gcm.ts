// AES-256-GCM payload codec: every payload is encrypted whole (its metadata and data) with a fresh
// 12-byte IV; the key id travels in the clear so any key of the key ring can decrypt it later.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { CodecKey } from './keys';

export const ENCODING = 'binary/encrypted';
export const KEY_ID_HEADER = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const enc = new TextEncoder();
const dec = new TextDecoder();

export class AesGcmCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  /** `keys[0]` encrypts; every key decrypts. */
  constructor(private readonly keys: CodecKey[]) {
    if (keys.length === 0) throw new Error('AesGcmCodec needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  get activeKeyId(): string {
    return this.keys[0].id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys[0];
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: enc.encode(ENCODING), [KEY_ID_HEADER]: enc.encode(id) },
        // iv | ciphertext | tag
        data: Buffer.concat([iv, body, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || dec.decode(encoding) !== ENCODING) return payload; // not ours (e.g. written before encryption)
      const idBytes = payload.metadata?.[KEY_ID_HEADER];
      if (!idBytes) throw new ValueError(`encrypted payload has no ${KEY_ID_HEADER} header`);
      const id = dec.decode(idBytes);
      const key = this.byId.get(id);
      if (!key)
        throw new ValueError(
          `payload was encrypted with key "${id}", which is not configured (HWAYO_CODEC_KEYS has: ${[...this.byId.keys()].join(', ')})`,
        );
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
