// Pure decisions the release workflow takes. No I/O, no clocks: the workflow passes everything in,
// and tests call these directly.
import type { MetricQuery, MetricReading } from '../activities/contract';
import { renderMetricQuery } from '../plan/metric-queries';
import type { MetricSpec, ReleasePlan } from '../plan/types';

export interface QueryVars {
  app: string;
  version: string;
  blueNamespace: string;
  greenNamespace: string;
}

export { promqlStringContents, renderTemplate } from '../plan/metric-queries';

/** Each metric's query for one side, rendered by its provider's rules (plan/metric-queries.ts). */
export function metricQueries(metrics: MetricSpec[], vars: QueryVars, side: 'canary' | 'stable'): MetricQuery[] {
  const namespace = side === 'canary' ? vars.greenNamespace : vars.blueNamespace;
  const raw = {
    namespace,
    blue_namespace: vars.blueNamespace,
    green_namespace: vars.greenNamespace,
    app: vars.app,
    version: vars.version,
  };
  return metrics.map((m) => renderMetricQuery(m, raw));
}

export interface Finding {
  metric: string;
  value?: number;
  /** What was violated, in words a person reads in the report: "error_rate 7.2 > 5". */
  detail: string;
}

export interface Verdict {
  kind: 'pass' | 'breach' | 'unhealthy' | 'inconclusive';
  findings: Finding[];
  /** Metrics that gave no number (never counted as passing). */
  inconclusive: Finding[];
}

const valueOf = (readings: MetricReading[] | undefined, name: string): MetricReading | undefined =>
  readings?.find((r) => r.name === name);
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, ''));

/**
 * Evaluates one sample. At every analysis tick only rollback triggers (and the canary-vs-stable
 * comparison) count; at the end of a window the healthy thresholds must hold too. A metric that is
 * needed for the decision and has no number makes the verdict inconclusive unless something else
 * already breached: missing data never passes.
 */
export function evaluateSample(
  metrics: MetricSpec[],
  canary: MetricReading[],
  stable: MetricReading[] | undefined,
  at: 'tick' | 'window-end',
): Verdict {
  const breaches: Finding[] = [];
  const unhealthy: Finding[] = [];
  const inconclusive: Finding[] = [];
  for (const m of metrics) {
    const needed =
      m.rollback !== undefined || m.compareToStable !== undefined || (at === 'window-end' && m.healthy !== undefined);
    if (!needed) continue;
    const r = valueOf(canary, m.name);
    if (!r || !('value' in r)) {
      inconclusive.push({
        metric: m.name,
        detail: r && 'inconclusive' in r ? `${m.name}: ${r.inconclusive} (${r.detail})` : `${m.name}: no reading`,
      });
      continue;
    }
    const v = r.value;
    if (m.rollback?.above !== undefined && v > m.rollback.above)
      breaches.push({
        metric: m.name,
        value: v,
        detail: `${m.name} ${fmt(v)} > ${fmt(m.rollback.above)} (rollback trigger)`,
      });
    if (m.rollback?.below !== undefined && v < m.rollback.below)
      breaches.push({
        metric: m.name,
        value: v,
        detail: `${m.name} ${fmt(v)} < ${fmt(m.rollback.below)} (rollback trigger)`,
      });
    if (m.compareToStable) {
      const s = valueOf(stable, m.name);
      if (!s || !('value' in s)) {
        inconclusive.push({
          metric: m.name,
          detail: `${m.name}: stable side ${s && 'inconclusive' in s ? s.inconclusive : 'has no reading'}`,
        });
      } else {
        const { maxIncrease, maxDecrease } = m.compareToStable;
        if (maxIncrease !== undefined && v > s.value + maxIncrease)
          breaches.push({
            metric: m.name,
            value: v,
            detail: `${m.name} canary ${fmt(v)} > stable ${fmt(s.value)} + ${fmt(maxIncrease)}`,
          });
        if (maxDecrease !== undefined && v < s.value - maxDecrease)
          breaches.push({
            metric: m.name,
            value: v,
            detail: `${m.name} canary ${fmt(v)} < stable ${fmt(s.value)} - ${fmt(maxDecrease)}`,
          });
      }
    }
    if (at === 'window-end' && m.healthy) {
      if (m.healthy.max !== undefined && v > m.healthy.max)
        unhealthy.push({
          metric: m.name,
          value: v,
          detail: `${m.name} ${fmt(v)} > ${fmt(m.healthy.max)} (healthy maximum)`,
        });
      if (m.healthy.min !== undefined && v < m.healthy.min)
        unhealthy.push({
          metric: m.name,
          value: v,
          detail: `${m.name} ${fmt(v)} < ${fmt(m.healthy.min)} (healthy minimum)`,
        });
    }
  }
  if (breaches.length) return { kind: 'breach', findings: breaches, inconclusive };
  if (unhealthy.length) return { kind: 'unhealthy', findings: unhealthy, inconclusive };
  if (inconclusive.length) return { kind: 'inconclusive', findings: [], inconclusive };
  return { kind: 'pass', findings: [], inconclusive };
}

export function describeVerdict(v: Verdict): string {
  if (v.kind === 'pass') return 'all metrics within bounds';
  const list = v.kind === 'inconclusive' ? v.inconclusive : v.findings;
  return list.map((f) => f.detail).join('; ');
}

export function needsStable(metrics: MetricSpec[]): boolean {
  return metrics.some((m) => m.compareToStable !== undefined);
}

/** Consecutive green health-check failures that force a rollback: more than the plan's limit. */
export function healthFailuresExceeded(plan: ReleasePlan, consecutiveFailures: number): boolean {
  return plan.canary.healthCheckFailureLimit > 0 && consecutiveFailures > plan.canary.healthCheckFailureLimit;
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

/** How long to wait before the next analysis tick. */
export function nextTickMs(intervalMs: number, remainingMs: number): number {
  return Math.max(0, Math.min(intervalMs, remainingMs));
}

/**
 * The emergency snapshot identifier: derived from the release and the moment the emergency began, so a retry reuses it.
 */
export function emergencySnapshotId(prefix: string, startedAtMs: number): string {
  const t = new Date(startedAtMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'z')
    .toLowerCase();
  return `${prefix}-${t}`;
}

/**
 * Blue is the namespace of the plan's pair that carries production (`live`), green the other. When
 * nothing carries all traffic (a release in flight, maintenance, no route) the plan's order stands and
 * the release-baseline check says what is wrong.
 */
export function sidesFor(
  pair: { blue: string; green: string },
  live: string | undefined,
): { blue: string; green: string; swapped: boolean } {
  return live === pair.green
    ? { blue: pair.green, green: pair.blue, swapped: true }
    : { blue: pair.blue, green: pair.green, swapped: false };
}

/**
 * The instance an emergency restores into: the plan's name plus the moment the emergency began, so a
 * retry of this release finds its own instance and never adopts one left by another release (which may
 * be production's database since that release's emergency). RDS instance identifiers have 63 characters.
 */
export function emergencyRestoreId(restoredInstance: string, startedAtMs: number): string {
  const suffix = emergencySnapshotId('', startedAtMs); // "-20261128t090102z"
  return `${restoredInstance.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/**
 * The idempotency key of one notification: the run id makes a release started again under the same
 * workflow id send its own messages (not be silenced by the first run's records); the key stays within
 * the activities' 200 characters (the run id alone is unique, the release id is for people).
 */
export function notificationKey(releaseId: string, runId: string, seq: number, what: string): string {
  const tail = `:${runId}:${seq}:${what.slice(0, 60)}`;
  return `${releaseId.slice(0, 200 - tail.length)}${tail}`;
}

/**
 * The PagerDuty dedup key: one incident per kind of event ("emergency", "incident", "rollback-started")
 * of one run, so a later kind is not folded into an earlier, possibly acknowledged, incident. At most 255.
 */
export function pageDedupKey(releaseId: string, runId: string, what: string): string {
  const tail = `:${runId}:${what.slice(0, 60)}`;
  return `${releaseId.slice(0, 255 - tail.length)}${tail}`;
}
