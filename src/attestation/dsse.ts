// DSSE envelopes (github.com/secure-systems-lab/dsse, protocol v1): the signature covers the payload type and
// the payload bytes through PAE, so neither can be swapped without breaking it. Pure: the worker signs with it
// and the CLI verifies with it.
import { ed25519 } from '@noble/curves/ed25519';
import { sha256 } from '@noble/hashes/sha2';
import { fromBase64, publicKeyProblem, toBase64 } from '../plan/public-keys';

export interface DsseSignature {
  keyid: string;
  sig: string;
}

export interface DsseEnvelope {
  payloadType: string;
  /** base64 of the payload bytes. */
  payload: string;
  signatures: DsseSignature[];
}

const utf8 = (text: string) => new TextEncoder().encode(text);

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** "sha256:<hex>" of the bytes. */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${hex(sha256(typeof bytes === 'string' ? utf8(bytes) : bytes))}`;
}

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes as decimal. */
export function pae(payloadType: string, body: Uint8Array): Uint8Array {
  const type = utf8(payloadType);
  const head = utf8(`DSSEv1 ${type.length} ${payloadType} ${body.length} `);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** The key id a signature names: "sha256:" of the raw 32-byte public key. */
export function keyIdOf(publicKey: string): string {
  return sha256Digest(fromBase64(publicKey) ?? new Uint8Array());
}

export function sign(payloadType: string, body: Uint8Array, privateKey: Uint8Array): DsseEnvelope {
  const publicKey = toBase64(ed25519.getPublicKey(privateKey));
  const sig = ed25519.sign(pae(payloadType, body), privateKey);
  return { payloadType, payload: toBase64(body), signatures: [{ keyid: keyIdOf(publicKey), sig: toBase64(sig) }] };
}

/** Why the envelope's signature by `publicKey` does not hold, or undefined when it does. Never throws. */
export function signatureProblem(envelope: DsseEnvelope, publicKey: string): string | undefined {
  const keyProblem = publicKeyProblem(publicKey);
  if (keyProblem) return `the public key ${keyProblem}`;
  const keyid = keyIdOf(publicKey);
  const mine = envelope.signatures.filter((s) => s.keyid === keyid);
  if (mine.length === 0)
    return `no signature by key ${keyid} (signed by ${envelope.signatures.map((s) => s.keyid).join(', ') || 'nobody'})`;
  const body = fromBase64(envelope.payload);
  if (!body) return 'the payload is not base64';
  const message = pae(envelope.payloadType, body);
  const key = fromBase64(publicKey) as Uint8Array;
  const holds = mine.some((s) => {
    const sig = typeof s.sig === 'string' ? fromBase64(s.sig) : undefined;
    if (!sig || sig.length !== 64) return false;
    try {
      return ed25519.verify(sig, message, key, { zip215: false });
    } catch {
      return false;
    }
  });
  return holds ? undefined : `the signature by key ${keyid} does not verify: the envelope was changed after signing`;
}
