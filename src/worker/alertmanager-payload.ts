// Alertmanager's webhook body (version 4), pure: the firing alerts it carries, each as the release's
// alertFiring signal payload. Resolved alerts and alerts without a namespace are left out; a body that is not a
// version 4 webhook is refused with the reason.
import { alertSignalProblem, type AlertSignal } from '../workflows/alert-rules';

/** More alerts than this in one body is not a grouping Alertmanager sends for one release. */
export const MAX_ALERTS = 500;

export type WebhookReading = { ok: true; firing: AlertSignal[]; skipped: string[] } | { ok: false; problem: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function readAlertmanagerWebhook(body: unknown): WebhookReading {
  if (!isObject(body)) return { ok: false, problem: 'the body is not a JSON object' };
  if (body.version !== '4') return { ok: false, problem: `version ${JSON.stringify(body.version)} is not "4"` };
  if (!Array.isArray(body.alerts)) return { ok: false, problem: 'alerts is not a list' };
  if (body.alerts.length > MAX_ALERTS) return { ok: false, problem: `more than ${MAX_ALERTS} alerts` };
  const firing: AlertSignal[] = [];
  const skipped: string[] = [];
  body.alerts.forEach((a: unknown, i) => {
    if (!isObject(a)) return void skipped.push(`alerts[${i}] is not an object`);
    if (a.status !== 'firing') return;
    const labels = isObject(a.labels) ? a.labels : {};
    const signal = { alertname: labels.alertname, labels, startsAt: a.startsAt };
    const problem = alertSignalProblem(signal);
    if (problem) return void skipped.push(`alerts[${i}]: ${problem}`);
    if (typeof labels.namespace !== 'string') return void skipped.push(`alerts[${i}]: no namespace label`);
    firing.push(signal as AlertSignal);
  });
  return { ok: true, firing, skipped };
}
