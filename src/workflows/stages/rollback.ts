// The rollback saga and its compensations: traffic back to blue, blue verified (the emergency path
// when it is not healthy), green deleted, people told at the start and the end.
import { patched, sleep } from '@temporalio/workflow';
import type { Severity } from '../../activities/contract';
import type { ReleasePlan } from '../../plan/types';
import { auditRollback } from '../audit-log';
import type { Outcome } from '../definitions';
import { errorText, type RollbackTrigger } from '../exits';
import type { ReleaseState } from '../release-state';
import { timedRollback } from '../rollback-budget';
import { releaseMetrics, rollbackTriggerLabel } from '../sinks';
import { checkHealth, deleteNamespace, notify, setWeight, waitForRollout } from '../steps';
import { emergency } from './emergency';

export async function rollBack(
  r: ReleaseState,
  trigger: RollbackTrigger,
  why: string,
  outcome: Outcome,
  severity: Severity = 'critical',
): Promise<void> {
  r.enter('rolling-back', `rolling back: ${why}`);
  r.reason = why;
  r.outcome = outcome;
  auditRollback(r, why, outcome);
  releaseMetrics.rollback(rollbackTriggerLabel(trigger));
  await timedRollback(r, trigger, async () => {
    await notify(r, severity, 'rollback-started', `Rolling back: ${why}`);
    try {
      await r.saga.compensate();
    } finally {
      const ok = r.outcome !== 'emergency-failed';
      await notify(
        r,
        ok ? 'warning' : 'critical',
        'rollback-finished',
        `Rollback finished (${r.outcome}): ${r.saga.ran.join(' -> ')}`,
      );
    }
  });
}

/** Brings blue back and checks it; falls through to the emergency path when blue is not healthy. */
export async function verifyBlue(r: ReleaseState): Promise<void> {
  const ready = await waitForRollout(r, r.blue, r.plan.rollback.blueReadyTimeoutMs).catch((err: unknown) => ({
    ready: false,
    detail: errorText(err),
  }));
  const health = ready.ready ? await checkBlueHealth(r) : { healthy: false, detail: `blue not ready: ${ready.detail}` };
  if (health.healthy) {
    r.event('blue verified healthy');
    return;
  }
  r.event(`blue verification failed: ${health.detail}`);
  await emergency(r, `blue verification failed after rollback: ${health.detail}`);
}

/** Blue's health, in rounds (blueVerification) since patch verify-blue-rounds; one round before it. */
async function checkBlueHealth(r: ReleaseState): Promise<{ healthy: boolean; detail: string }> {
  const { rounds, pauseMs } = patched('verify-blue-rounds') ? blueVerification(r.plan) : { rounds: 1, pauseMs: 0 };
  for (let round = 1; ; round++) {
    const health = await checkHealth(r, true, r.blue);
    if (health.healthy || round >= rounds) return health;
    r.event(`blue health round ${round} of ${rounds} failed (${health.detail}); checking again in ${pauseMs / 1000} s`);
    await sleep(pauseMs);
  }
}

export const deleteGreen = (r: ReleaseState): Promise<void> => deleteNamespace(r, r.green);

/** The undo steps green and the canary owe, by name: a run that continues as new hands them on by name. */
const UNDO = {
  'delete-green': (r: ReleaseState) => deleteGreen(r),
  'verify-blue': (r: ReleaseState) => verifyBlue(r),
  'traffic-to-blue': (r: ReleaseState) => setWeight(r, 0, 'rollback'),
} as const satisfies Record<string, (r: ReleaseState) => Promise<void>>;
export type UndoStep = keyof typeof UNDO;

export function owe(r: ReleaseState, step: UndoStep): void {
  r.saga.add(step, () => UNDO[step](r));
}

/** Rebuilds the undo steps a previous run owed (newest first, as Saga.pending lists them). */
export function oweAgain(r: ReleaseState, pendingNewestFirst: string[]): void {
  for (const step of [...pendingNewestFirst].reverse()) {
    if (!(step in UNDO)) throw new Error(`carried undo step "${step}" is not one a watch can owe`);
    owe(r, step as UndoStep);
  }
}

/**
 * How blue is re-checked after a rollback before the emergency path (a database restore) is taken: up to
 * the canary's health-failure limit in rounds (the seed's "health check failed > 3 times"), at least one,
 * spaced by the analysis interval capped at 10 s, so the rounds fit the seed's 1-minute blue health check.
 * One slow probe on a loaded node must not restore the database.
 */
export function blueVerification(plan: ReleasePlan): { rounds: number; pauseMs: number } {
  return {
    rounds: Math.max(1, plan.canary.healthCheckFailureLimit),
    pauseMs: Math.min(plan.canary.analysisIntervalMs, 10_000),
  };
}
