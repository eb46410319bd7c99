// How a release leaves its happy path, typed: every early finish and every rollback carries what
// caused it, so metrics and decisions read the kind, never the wording of the message.
import type { Severity } from '../activities/contract';
import type { Outcome } from './definitions';

export type WatchStage = 'canary' | 'full-switch';

/** What started a rollback. */
export type RollbackTrigger =
  | { kind: 'metric'; stage: WatchStage; weight: number; metrics: string[] }
  | { kind: 'health-check' }
  | { kind: 'inconclusive-metrics' }
  | { kind: 'rollout-timeout' }
  | { kind: 'manual'; by: string }
  | { kind: 'manual-after-success'; by: string }
  | { kind: 'abort'; by: string }
  | { kind: 'cancelled' }
  | { kind: 'failure' }
  /** A release window closed with the canary under way and the policy says roll back (gate.ts). */
  | { kind: 'window-closed' }
  /** A firing alert the platform policy lets roll back a live canary (alert-rules.ts). */
  | { kind: 'alert'; alertname: string };

/** What ended a release before production changed. */
export type FinishTrigger =
  | { kind: 'preflight'; failed: string[] }
  | { kind: 'approval-timeout'; missing: string[] }
  | { kind: 'rejected'; by: string }
  | { kind: 'abort' };

const FINISH_OUTCOME: Record<FinishTrigger['kind'], Outcome> = {
  preflight: 'preflight-failed',
  'approval-timeout': 'approval-timed-out',
  rejected: 'rejected',
  abort: 'aborted',
};

/** Ends the release early with an outcome (no production change left to undo). */
export class Finish extends Error {
  readonly outcome: Outcome;
  constructor(
    readonly trigger: FinishTrigger,
    readonly reason: string,
  ) {
    super(reason);
    this.outcome = FINISH_OUTCOME[trigger.kind];
  }

  /** A failed check or a missed deadline wants attention; a decision by a person is news. */
  get severity(): Severity {
    return this.trigger.kind === 'preflight' || this.trigger.kind === 'approval-timeout' ? 'warning' : 'info';
  }
}

/** Leaves the release through the rollback saga. */
export class Rollback extends Error {
  constructor(
    readonly trigger: RollbackTrigger,
    readonly why: string,
    readonly outcome: Outcome,
    readonly severity: Severity = 'critical',
  ) {
    super(why);
  }
}

/** A control or a verdict that ends the forward path through the rollback saga. */
export interface Stop {
  result: 'abort' | 'rollback';
  reason: string;
  trigger: RollbackTrigger;
}

/** How a watched window ends: completed, promoted (the canary's remaining steps skipped), or a stop. */
export type WatchOutcome = { result: 'completed' } | { result: 'promote' } | Stop;

export const isStop = (o: WatchOutcome | undefined): o is Stop => o?.result === 'abort' || o?.result === 'rollback';

/** Leaves through the rollback saga when `o` is a stop: an abort ends as aborted, anything else as rolled back. */
export function leaveOn(o: WatchOutcome | undefined, severity: Severity = 'critical'): void {
  if (isStop(o)) throw new Rollback(o.trigger, o.reason, o.result === 'abort' ? 'aborted' : 'rolled-back', severity);
}

/** The text of an error and of the failure behind it (an activity failure's cause). */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}
