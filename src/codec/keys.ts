// The codec key ring from HWAYO_CODEC_KEYS="k2:<base64 32 bytes>,k1:<base64 32 bytes>": the first key
// encrypts new payloads, all of them decrypt, so an old key stays listed until no history needs it.

export interface CodecKey {
  id: string;
  key: Buffer;
}

export const CODEC_KEYS_VAR = 'HWAYO_CODEC_KEYS';

/** Parses the key list; throws an error naming the variable and the bad entry (never the key material). */
export function parseCodecKeys(value: string | undefined, variable = CODEC_KEYS_VAR): CodecKey[] {
  if (!value?.trim()) return [];
  const keys: CodecKey[] = [];
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .forEach((entry, i) => {
      const sep = entry.indexOf(':');
      const id = sep > 0 ? entry.slice(0, sep).trim() : '';
      if (!id) throw new Error(`${variable}: entry ${i + 1} must be "<key id>:<base64 key>"`);
      if (!/^[A-Za-z0-9._-]+$/.test(id))
        throw new Error(`${variable}: key id "${id}" may use letters, digits, ".", "_" and "-" only`);
      const b64 = entry.slice(sep + 1).trim();
      const key = Buffer.from(b64, 'base64');
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || key.length !== 32) {
        throw new Error(
          `${variable}: key "${id}" must be 32 bytes in base64 (got ${key.length} bytes); generate one with: openssl rand -base64 32`,
        );
      }
      if (keys.some((k) => k.id === id)) throw new Error(`${variable}: key id "${id}" is listed twice`);
      keys.push({ id, key });
    });
  return keys;
}
