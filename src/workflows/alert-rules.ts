// A firing Alertmanager alert as a signal to the release, and what the release does with it: pure. The
// worker's webhook (src/worker/alert-webhook.ts) forwards it; the workflow checks it again, since anyone who
// can signal could send one. Which alerts may act comes from the platform policy, never from the alert.
import { defineSignal } from '@temporalio/workflow';
import type { RollbackTrigger, Stop } from './exits';
import type { Stage } from './definitions';

/** One firing alert, as the webhook forwards it. */
export interface AlertSignal {
  alertname: string;
  labels: Record<string, string>;
  /** When Alertmanager says it started firing (RFC 3339). */
  startsAt: string;
}

export const alertFiringSignal = defineSignal<[AlertSignal]>('alertFiring');

const MAX_LABELS = 64;
const MAX_VALUE = 1024;
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Why `p` is not an AlertSignal, or undefined when it is one. */
export function alertSignalProblem(p: unknown): string | undefined {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'the alert is not an object';
  const { alertname, labels, startsAt } = p as Record<string, unknown>;
  if (typeof alertname !== 'string' || !LABEL_NAME.test(alertname)) return 'alertname is not an alert name';
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return 'labels is not an object';
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS) return `more than ${MAX_LABELS} labels`;
  for (const [k, v] of entries) {
    if (!LABEL_NAME.test(k)) return `label name ${JSON.stringify(k.slice(0, 130))} is not a label name`;
    if (typeof v !== 'string' || v.length > MAX_VALUE)
      return `label ${k} is not a string of <= ${MAX_VALUE} characters`;
  }
  if (typeof startsAt !== 'string' || !RFC3339.test(startsAt) || Number.isNaN(Date.parse(startsAt)))
    return 'startsAt is not an RFC 3339 time';
  return undefined;
}

/** What the release knows when an alert arrives. */
export interface AlertContext {
  releaseId: string;
  green: string;
  stage: Stage;
  greenWeight: number;
  /** The alert names the platform policy lets roll back (absent: none). */
  rollbackOnAlerts?: readonly string[];
}

export type AlertDecision =
  | { act: 'rollback'; stop: Stop & { trigger: Extract<RollbackTrigger, { kind: 'alert' }> } }
  | { act: 'ignore'; why: string };

const ignore = (why: string): AlertDecision => ({ act: 'ignore', why });

/**
 * A permitted alert firing for green's namespace (and, when it names one, this release) rolls back a live
 * canary: stage canary with traffic on green. Anything else is recorded and ignored.
 */
export function alertDecision(p: unknown, ctx: AlertContext): AlertDecision {
  const problem = alertSignalProblem(p);
  if (problem) return ignore(`invalid alert: ${problem}`);
  const a = p as AlertSignal;
  const { namespace, release } = a.labels;
  if (namespace !== ctx.green) return ignore(`namespace ${namespace ?? '(none)'} is not green (${ctx.green})`);
  if (release !== undefined && release !== ctx.releaseId) return ignore(`release ${release} is not this release`);
  if (!ctx.rollbackOnAlerts?.includes(a.alertname))
    return ignore(
      ctx.rollbackOnAlerts
        ? `the platform policy does not roll back on ${a.alertname}`
        : 'no platform policy names alerts that roll back',
    );
  if (ctx.stage !== 'canary' || ctx.greenWeight <= 0)
    return ignore(`no live canary (stage ${ctx.stage}, green at ${ctx.greenWeight}%)`);
  return {
    act: 'rollback',
    stop: {
      result: 'rollback',
      reason: `canary at ${ctx.greenWeight}%: alert ${a.alertname} firing for ${namespace} since ${a.startsAt}`,
      trigger: { kind: 'alert', alertname: a.alertname },
    },
  };
}

/** The audit line of one alert: what fired, for where, and what the release did. */
export function alertAuditDetail(p: unknown, d: AlertDecision): string {
  const a = alertSignalProblem(p) ? undefined : (p as AlertSignal);
  const what = a ? `${a.alertname} (namespace ${a.labels.namespace ?? '-'}, since ${a.startsAt})` : 'alert';
  return d.act === 'rollback' ? `${what}: rolling back` : `${what} ignored: ${d.why}`;
}
