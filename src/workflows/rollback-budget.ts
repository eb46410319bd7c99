// Phase budgets of seed sections 6 and 12, pure: an automatic rollback completes within 5 minutes, a
// manual one (confirmation and reason included) within 10. The report states each rollback against its budget.
import type { RollbackTrigger } from './exits';

export type RollbackKind = 'automatic' | 'manual';

export const ROLLBACK_BUDGET_MS: Record<RollbackKind, number> = { automatic: 5 * 60_000, manual: 10 * 60_000 };

export interface RollbackRecord {
  kind: RollbackKind;
  trigger: RollbackTrigger['kind'];
  /** The metrics that fired, for a metric trigger (the incident's severity reads them). */
  metrics?: string[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  budgetMs: number;
  withinBudget: boolean;
}

/** A person asked for it (rollback, abort, a cancelled workflow): manual; the release's own triggers: automatic. */
export function rollbackKind(trigger: RollbackTrigger): RollbackKind {
  return ['manual', 'manual-after-success', 'abort', 'cancelled'].includes(trigger.kind) ? 'manual' : 'automatic';
}

export function rollbackRecord(trigger: RollbackTrigger, startedMs: number, finishedMs: number): RollbackRecord {
  const kind = rollbackKind(trigger);
  const durationMs = Math.max(0, finishedMs - startedMs);
  return {
    kind,
    trigger: trigger.kind,
    ...(trigger.kind === 'metric' ? { metrics: [...trigger.metrics] } : {}),
    startedAt: new Date(startedMs).toISOString(),
    finishedAt: new Date(finishedMs).toISOString(),
    durationMs,
    budgetMs: ROLLBACK_BUDGET_MS[kind],
    withinBudget: durationMs <= ROLLBACK_BUDGET_MS[kind],
  };
}

/** The report's line for one rollback. */
export function rollbackLine(r: RollbackRecord, format: (ms: number) => string): string {
  const verdict = r.withinBudget ? 'within' : '**OVER**';
  return `- ${r.startedAt} ${r.kind} rollback (${r.trigger}): ${format(r.durationMs)}, ${verdict} its ${format(r.budgetMs)} budget`;
}

/**
 * When the rollback was asked for: a person's accepted rollback (or abort) control, so the manual budget
 * counts from the request; otherwise undefined (an automatic one starts when the release decides it).
 */
export function requestedAtMs(
  trigger: RollbackTrigger,
  audit: { at: string; action: string; accepted: boolean }[],
): number | undefined {
  const action = trigger.kind === 'abort' ? 'abort' : trigger.kind.startsWith('manual') ? 'rollback' : undefined;
  const entry = action && [...audit].reverse().find((e) => e.accepted && e.action === action);
  return entry ? Date.parse(entry.at) : undefined;
}

/** Runs a rollback and records it against its budget, also when it fails part way. */
export async function timedRollback(
  r: { audit: { at: string; action: string; accepted: boolean }[]; rollbacks: RollbackRecord[] },
  trigger: RollbackTrigger,
  run: () => Promise<void>,
): Promise<void> {
  const startedMs = requestedAtMs(trigger, r.audit) ?? Date.now();
  try {
    await run();
  } finally {
    r.rollbacks.push(rollbackRecord(trigger, startedMs, Date.now()));
  }
}
