// Incident response (seed section 10), pure: which release endings open an incident and at what
// severity, how each severity is notified, when an unacknowledged incident escalates and when the
// next status update is due. The incident workflow (incident.ts) only acts on these answers.
import type { Severity } from '../activities/contract';
import type { Outcome } from './definitions';
import type { RollbackRecord } from './rollback-budget';

export type IncidentSeverity = 'critical' | 'high' | 'medium' | 'low';

const MIN = 60_000;

/** Seed section 10: the commander must take the incident within these. */
export const RESPONSE_TARGET_MS: Record<IncidentSeverity, number> = {
  critical: 15 * MIN,
  high: 60 * MIN,
  medium: 4 * 60 * MIN,
  low: 24 * 60 * MIN,
};

/** Seed section 10: status updates every 30 minutes until resolved. */
export const STATUS_UPDATE_INTERVAL_MS = 30 * MIN;

/** Where each severity goes: the plan's Slack channel of that level, and whether it pages and mails on-call. */
export const INCIDENT_ROUTING: Record<IncidentSeverity, { channel: Severity; page: boolean; email: boolean }> = {
  critical: { channel: 'critical', page: true, email: true },
  high: { channel: 'critical', page: true, email: false },
  medium: { channel: 'warning', page: false, email: true },
  low: { channel: 'info', page: false, email: false },
};

/** Metrics that count users failing (errors, failed logins or submissions, unavailability), not slowness or load. */
const USER_FAILURE_METRIC = /error|success|availab/i;

/** What ended the release, as far as the severity rules care. */
export interface IncidentCause {
  outcome: Outcome;
  /** The release's last rollback, when it rolled back. */
  rollback?: Pick<RollbackRecord, 'trigger' | 'metrics'>;
}

/**
 * The incident a release ending opens, or undefined when none is due. critical: the emergency path ran,
 * or a rollback trigger on a user-failure metric fired (users failing above the plan's bound); high: any
 * other automatic rollback; medium: a rollback a person asked for; low: a release its checks refused.
 * An abort or a cancellation is a person's choice with nothing failing: no incident.
 */
export function incidentSeverity(cause: IncidentCause): IncidentSeverity | undefined {
  const { outcome, rollback } = cause;
  if (outcome === 'emergency-recovered' || outcome === 'emergency-failed') return 'critical';
  if (outcome === 'preflight-failed') return 'low';
  if (!rollback) return undefined;
  switch (rollback.trigger) {
    case 'metric':
      return (rollback.metrics ?? []).some((m) => USER_FAILURE_METRIC.test(m)) ? 'critical' : 'high';
    case 'manual':
    case 'manual-after-success':
      return 'medium';
    case 'abort':
    case 'cancelled':
      return undefined;
    default:
      return 'high';
  }
}

/**
 * Who an escalation reaches: escalation n (1-based) goes to the n-th on-call after the first, and stays
 * with the last one listed once the list runs out. Level 0 is the opening notification.
 */
export function onCallAt(onCall: string[], level: number): string {
  return onCall[Math.min(level, onCall.length - 1)];
}

export interface IncidentClock {
  severity: IncidentSeverity;
  openedMs: number;
  /** Set once a commander has taken the incident: escalation stops. */
  acknowledgedMs?: number;
  escalations: number;
  updates: number;
}

export interface IncidentEvent {
  kind: 'escalate' | 'update';
  atMs: number;
}

/**
 * The next thing the incident does on its own: escalate again every response target while nobody has
 * taken it, post a status update every 30 minutes from its opening. An escalation due at the same time
 * as an update comes first.
 */
export function nextIncidentEvent(c: IncidentClock): IncidentEvent {
  const update: IncidentEvent = { kind: 'update', atMs: c.openedMs + (c.updates + 1) * STATUS_UPDATE_INTERVAL_MS };
  if (c.acknowledgedMs !== undefined) return update;
  const escalate: IncidentEvent = {
    kind: 'escalate',
    atMs: c.openedMs + (c.escalations + 1) * RESPONSE_TARGET_MS[c.severity],
  };
  return escalate.atMs <= update.atMs ? escalate : update;
}

/**
 * Everything the incident does on its own from its opening up to `untilMs`, in order, when a commander
 * takes it at `acknowledgedMs` (or never): the schedule the workflow follows, one event at a time.
 */
export function incidentSchedule(
  severity: IncidentSeverity,
  openedMs: number,
  untilMs: number,
  acknowledgedMs?: number,
): IncidentEvent[] {
  const c: IncidentClock = { severity, openedMs, escalations: 0, updates: 0 };
  const events: IncidentEvent[] = [];
  for (;;) {
    let next = nextIncidentEvent(c);
    if (acknowledgedMs !== undefined && acknowledgedMs <= next.atMs) next = nextIncidentEvent({ ...c, acknowledgedMs });
    if (next.atMs > untilMs) return events;
    events.push(next);
    if (next.kind === 'escalate') c.escalations++;
    else c.updates++;
  }
}

/** Seed section 6's manual rollback reasons: the reason of a rollback control starts with one, "errors: ...". */
export const ROLLBACK_CATEGORIES = ['errors', 'latency', 'business', 'security', 'other'] as const;
export type RollbackCategory = (typeof ROLLBACK_CATEGORIES)[number];

/** The category a rollback reason names, or undefined. */
export function rollbackCategory(reason: string | undefined): RollbackCategory | undefined {
  const m = /^\s*([a-z]+)\s*:\s*\S/.exec(reason ?? '');
  return m && (ROLLBACK_CATEGORIES as readonly string[]).includes(m[1]) ? (m[1] as RollbackCategory) : undefined;
}

/** Why a manual rollback's reason is refused (no category), or undefined. */
export function rollbackReasonProblem(reason: string | undefined): string | undefined {
  if (rollbackCategory(reason)) return undefined;
  return `a rollback's reason must start with its category (${ROLLBACK_CATEGORIES.join(', ')}), e.g. "errors: 5xx after the switch"`;
}
