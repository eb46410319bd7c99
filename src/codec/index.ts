// Payload encryption for everything that reaches Temporal: workflow inputs, results, signals,
// updates, queries, activity arguments, heartbeats and failures. The client, the worker and the
// codec server all build their codecs here, so they agree on keys.
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { AesGcmCodec, type AesGcmCodecOptions } from './aes-gcm';
import { codecMode } from './mode';

export { AesGcmCodec, ENCODING, KDF_HEADER, KEY_ID_HEADER } from './aes-gcm';
export { CODEC_KEYS_VAR, parseCodecKeys, type CodecKey } from './keys';
export { CODEC_MODE_VAR, codecMode, type CodecMode } from './mode';

/** The payload codecs HWAYO_CODEC_KEYS configures; empty under HWAYO_CODEC=off; throws when neither is set. */
export function codecsFromEnv(env: NodeJS.ProcessEnv = process.env, options?: AesGcmCodecOptions): PayloadCodec[] {
  const mode = codecMode(env);
  return mode.kind === 'keys' ? [new AesGcmCodec(mode.keys, options)] : [];
}

/** Module that exports `failureConverter`; give it to `bundleWorkflowCode({ failureConverterPath })` too. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The data converter for the client and the worker. With keys configured, failure messages and
 * stack traces are encrypted as well (they can quote inputs).
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter {
  const payloadCodecs = codecsFromEnv(env);
  return payloadCodecs.length ? { payloadCodecs, failureConverterPath: FAILURE_CONVERTER_PATH } : {};
}
