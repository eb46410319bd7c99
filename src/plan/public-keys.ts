// ed25519 public keys as plans carry them (base64), and why one is unusable. Pure and
// deterministic (no Buffer): the plan schema checks keys with it, and the workflow again.
import { ed25519 } from '@noble/curves/ed25519';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Strict base64 decode (no Buffer in the workflow sandbox). Returns undefined on malformed input. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let i = 0;
  for (const ch of clean) {
    acc = (acc << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[i++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out +=
      B64[(n >> 18) & 63] +
      B64[(n >> 12) & 63] +
      (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') +
      (i + 2 < bytes.length ? B64[n & 63] : '=');
  }
  return out;
}

/**
 * Why a public key is unusable, or undefined when it is a sound ed25519 key: 32 bytes in canonical
 * encoding, a point on the curve, not of small order and free of torsion. A small-order key (the
 * identity 0100..00, for one) "verifies" forged signatures under lenient rules; no honest key is one.
 */
export function publicKeyProblem(publicKey: string): string | undefined {
  const bytes = /^[A-Za-z0-9+/]{43}=$/.test(publicKey) ? fromBase64(publicKey) : undefined;
  if (!bytes || bytes.length !== 32) return 'must be a base64 ed25519 public key (32 bytes)';
  let point: ReturnType<typeof ed25519.ExtendedPoint.fromHex>;
  try {
    point = ed25519.ExtendedPoint.fromHex(bytes, false);
  } catch {
    return 'is not a point on ed25519 in canonical encoding';
  }
  if (toBase64(point.toRawBytes()) !== publicKey) return 'is not in canonical encoding';
  if (point.isSmallOrder()) return 'is a small-order point (a weak key that accepts forged signatures)';
  if (!point.isTorsionFree()) return 'has a torsion component (not a key made by ed25519 key generation)';
  return undefined;
}
