// Loaded by path (workers load it inside the workflow sandbox too): failure messages and stack traces
// go into an encoded payload, so the codec encrypts them like any other payload.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
