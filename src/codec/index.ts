// Payload encryption for everything that reaches Temporal: workflow inputs, results, signals,
// updates, queries, activity arguments, heartbeats and failures. The client, the worker and the
// codec server all build their codecs here, so they agree on keys.
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm';
import { CODEC_KEYS_VAR, parseCodecKeys } from './keys';

export { AesGcmCodec, ENCODING, KEY_ID_HEADER } from './aes-gcm';
export { CODEC_KEYS_VAR, parseCodecKeys, type CodecKey } from './keys';

/** The payload codecs configured by HWAYO_CODEC_KEYS; empty when no keys are set (no encryption). */
export function codecsFromEnv(env: NodeJS.ProcessEnv = process.env): PayloadCodec[] {
  const keys = parseCodecKeys(env[CODEC_KEYS_VAR]);
  return keys.length ? [new AesGcmCodec(keys)] : [];
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
