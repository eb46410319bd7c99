// Whether payloads are encrypted: always, unless HWAYO_CODEC=off says otherwise. Without keys a worker or
// client refuses to start rather than write releases (plans, approvals, reports) to Temporal in plaintext.
import { CODEC_KEYS_VAR, parseCodecKeys, type CodecKey } from './keys';

export const CODEC_MODE_VAR = 'HWAYO_CODEC';

export const KEYS_REQUIRED =
  `payload encryption is required: set ${CODEC_KEYS_VAR} ("<key id>:<base64 of 32 bytes>", from ` +
  `openssl rand -base64 32), or ${CODEC_MODE_VAR}=off on a local stack or in tests`;

/** `keys`: encrypt with the ring, refuse plaintext. `off`: no codec at all (a local stack, tests). */
export type CodecMode = { kind: 'keys'; keys: CodecKey[] } | { kind: 'off' };

/**
 * HWAYO_CODEC_KEYS set: the codec is on, whatever HWAYO_CODEC says (off only permits running without keys, never
 * turns configured encryption off). No keys: HWAYO_CODEC=off runs in plaintext; anything else is an error
 * naming both variables.
 */
export function codecMode(env: NodeJS.ProcessEnv): CodecMode {
  const mode = env[CODEC_MODE_VAR] || undefined;
  if (mode !== undefined && mode !== 'off' && mode !== 'required')
    throw new Error(
      `${CODEC_MODE_VAR} must be "required" (the default) or "off" (a local stack or tests only), got "${mode}"`,
    );
  const keys = parseCodecKeys(env[CODEC_KEYS_VAR]);
  if (keys.length) return { kind: 'keys', keys };
  if (mode === 'off') return { kind: 'off' };
  throw new Error(`${CODEC_KEYS_VAR} is not set: ${KEYS_REQUIRED}`);
}
