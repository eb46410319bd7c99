// The org-wide stop-the-line: one singleton workflow per namespace holds whether releases may move traffic up
// or start. Shared by the singleton, the releases' activity that asks it, and the CLI.
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export const STOP_THE_LINE_ID = 'hwayo-stop-the-line';

export interface StopTheLineState {
  frozen: boolean;
  by?: string;
  since?: string;
  reason?: string;
  /** Counts accepted freezes and unfreezes: a signed request names the next one, so it works once. */
  seq: number;
  /**
   * The run id of the singleton's first run (patch stop-the-line-chain): a signed request names it, so a request
   * signed for a singleton that was terminated and started again (its seq back at 0) does not work on the new one.
   */
  chain?: string;
}

export interface StopTheLineRequest {
  action: 'freeze' | 'unfreeze';
  by: string;
  reason: string;
  /** The state's seq the request was signed for. */
  seq: number;
  /** The state's chain the request was signed for (required once the singleton has one). */
  chain?: string;
  /** base64 ed25519 signature of stopTheLineText(request), by an operator key of the platform policy. */
  signature: string;
}

export interface StopTheLineAnswer {
  accepted: boolean;
  detail: string;
  state: StopTheLineState;
}

/** The exact text an operator signs: v2 names the singleton's chain, v1 (before stop-the-line-chain) does not. */
export function stopTheLineStatement(req: Omit<StopTheLineRequest, 'signature'>): string {
  // A header line, then a JSON array, so no field (a reason with newlines) can bleed into another.
  if (req.chain === undefined)
    return `hwayo-release stop-the-line v1\n${JSON.stringify([req.action, req.by, req.seq, req.reason])}`;
  return `hwayo-release stop-the-line v2\n${JSON.stringify([req.action, req.by, req.chain, req.seq, req.reason])}`;
}

export const stopTheLineQuery = defineQuery<StopTheLineState>('stopTheLine');
export const stopTheLineUpdate = defineUpdate<StopTheLineAnswer, [StopTheLineRequest]>('stopTheLine');
