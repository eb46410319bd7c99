// DORA metrics from the releases' own records: which releases changed production (deployments), which of those
// failed (a rollback after traffic moved, or the emergency path), lead time (requested to all traffic on green;
// the evidence carries no commit time) and time to restore (rollback started to blue verified). One definition
// for the worker's Prometheus metrics and for `hwayo-release stats`.
import type { DoraFacts } from '../workflows/audit-entries';

export interface ReleaseFacts {
  releaseId: string;
  app: string;
  outcome?: string;
  startedAt: string;
  dora?: DoraFacts;
}

export interface DoraObservation {
  /** Absent when production never changed (refused, rejected, failed before traffic moved). */
  deployment?: 'success' | 'failure';
  leadTimeSeconds?: number;
  restoreSeconds?: number;
}

const CHANGED = new Set([
  'succeeded',
  'rolled-back',
  'rolled-back-after-success',
  'emergency-recovered',
  'emergency-failed',
]);
const FAILED = new Set(['rolled-back', 'rolled-back-after-success', 'emergency-recovered', 'emergency-failed']);
const seconds = (from?: string, to?: string) =>
  from && to && Date.parse(to) >= Date.parse(from) ? (Date.parse(to) - Date.parse(from)) / 1000 : undefined;

/** What one finished release adds to the DORA metrics; releases from before the audit log go by their outcome. */
export function doraObservation(outcome: string | undefined, facts: DoraFacts | undefined): DoraObservation {
  const deployed = facts ? facts.deployed : CHANGED.has(outcome ?? '');
  if (!deployed) return {};
  const failed = facts
    ? facts.failedAt !== undefined || outcome?.startsWith('emergency') === true
    : FAILED.has(outcome ?? '');
  const lead = seconds(facts?.requestedAt, facts?.fullTrafficAt);
  const restore = seconds(facts?.failedAt, facts?.restoredAt);
  return {
    deployment: failed ? 'failure' : 'success',
    ...(lead !== undefined ? { leadTimeSeconds: lead } : {}),
    ...(restore !== undefined ? { restoreSeconds: restore } : {}),
  };
}

export interface DoraSummary {
  days: number;
  releases: number;
  deployments: number;
  failures: number;
  deploymentsPerDay: number;
  changeFailureRate?: number;
  leadTimeMedianSeconds?: number;
  restoreMedianSeconds?: number;
  /** Releases still running are not counted yet. */
  running: number;
}

const median = (xs: number[]): number | undefined => {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The four metrics over the releases started within `days`. */
export function doraSummary(releases: ReleaseFacts[], days: number): DoraSummary {
  const finished = releases.filter((r) => r.outcome !== undefined);
  const seen = finished.map((r) => doraObservation(r.outcome, r.dora));
  const deployments = seen.filter((o) => o.deployment).length;
  const failures = seen.filter((o) => o.deployment === 'failure').length;
  return {
    days,
    releases: finished.length,
    deployments,
    failures,
    deploymentsPerDay: deployments / days,
    ...(deployments ? { changeFailureRate: failures / deployments } : {}),
    ...optional('leadTimeMedianSeconds', median(seen.flatMap((o) => o.leadTimeSeconds ?? []))),
    ...optional('restoreMedianSeconds', median(seen.flatMap((o) => o.restoreSeconds ?? []))),
    running: releases.length - finished.length,
  };
}

const optional = <K extends string>(key: K, value: number | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, number>>;

const duration = (s?: number) =>
  s === undefined
    ? 'n/a'
    : s < 120
      ? `${Math.round(s)} s`
      : s < 7200
        ? `${Math.round(s / 60)} min`
        : `${(s / 3600).toFixed(1)} h`;

export function renderDoraSummary(s: DoraSummary): string {
  return [
    `DORA metrics over the last ${s.days} day(s): ${s.releases} finished release(s)${s.running ? `, ${s.running} running (not counted)` : ''}`,
    `  deployment frequency   ${s.deployments} deployment(s), ${s.deploymentsPerDay.toFixed(2)} per day`,
    `  change failure rate    ${s.changeFailureRate === undefined ? 'n/a' : `${(s.changeFailureRate * 100).toFixed(0)}%`} (${s.failures} of ${s.deployments})`,
    `  lead time (median)     ${duration(s.leadTimeMedianSeconds)} (release requested to 100% on green)`,
    `  time to restore (median) ${duration(s.restoreMedianSeconds)} (rollback started to blue verified)`,
  ].join('\n');
}
