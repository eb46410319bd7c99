// Named steps that several stages take: each one activity call (or a few) with the line it leaves
// in the release's timeline. A step never decides; the stages and the policies do.
import { patched } from '@temporalio/workflow';
import type { CheckResult, Severity } from '../activities/contract';
import type { PreflightCheck } from '../plan/types';
import { auditTraffic, flushAuditLog } from './audit-log';
import type { ReleaseReport } from './definitions';
import { errorText } from './exits';
import { call, DEFAULT_OPTIONS, longOptions, NOTIFY_OPTIONS, TICK_HEALTH_OPTIONS, TRAFFIC_OPTIONS } from './proxies';
import { iso, type ReleaseState } from './release-state';
import { fillCluster } from '../plan/cluster-placeholders';
import { renderReportMarkdown } from './report';

/** The seed's routing: every message to Slack; critical ones also page and mail on-call. */
export async function notify(r: ReleaseState, severity: Severity, what: string, text: string): Promise<void> {
  // The first run's id: one release keeps one set of keys across the runs it continues into.
  const { plan, version, releaseId, firstRunId: runId } = r;
  const key = notificationKey(releaseId, runId, r.nextNotificationSeq(), what);
  const message = `[${plan.app} ${version}] ${text}`;
  const sends: Promise<unknown>[] = [
    call(NOTIFY_OPTIONS, `slack ${severity}: ${what}`, 'postSlack', {
      channel: plan.notifications.slackChannels[severity],
      severity,
      text: message,
      idempotencyKey: key,
    }),
  ];
  if (severity === 'critical') {
    if (plan.notifications.pagerduty) {
      sends.push(
        call(NOTIFY_OPTIONS, `page: ${what}`, 'sendPage', {
          action: 'trigger',
          dedupKey: pageDedupKey(releaseId, runId, what),
          summary: message,
          severity,
          source: 'hwayo-release',
          details: { stage: r.stage, version },
        }),
      );
    }
    sends.push(
      call(NOTIFY_OPTIONS, `email: ${what}`, 'sendEmail', {
        to: plan.notifications.email,
        subject: `[hwayo-release] ${plan.app} ${version}: ${what}`,
        text: message,
        idempotencyKey: key,
        severity,
      }),
    );
  }
  // A failed notification never stops a release or a rollback; it is recorded.
  const results = await Promise.allSettled(sends);
  results.forEach(
    (res) => res.status === 'rejected' && r.event(`notification "${what}" failed: ${String(res.reason)}`),
  );
}

/** Runs the plan's checks (all, or those `which` picks) in parallel; a check that cannot run fails. */
export async function runChecks(
  r: ReleaseState,
  which: (c: PreflightCheck) => boolean = () => true,
): Promise<CheckResult[]> {
  const { plan, input } = r;
  const checks = plan.preflight.checks.filter(which);
  const context = {
    blueNamespace: r.blue,
    greenNamespace: r.green,
    route: plan.traffic,
    services: plan.services.map((s) => s.name),
    app: plan.app,
    version: input.version,
    imageTag: input.imageTag,
    // The emergency path would deploy it: its images need clean evidence too.
    ...(r.signsLastKnownGood && input.lastKnownGoodTag ? { lastKnownGoodTag: input.lastKnownGoodTag } : {}),
  };
  const results = await Promise.all(
    checks.map((check) =>
      call(DEFAULT_OPTIONS, `preflight: ${check.name}`, 'runCheck', { check, context, evidence: input.evidence }).catch(
        (err: unknown): CheckResult => ({
          name: check.name,
          ok: false,
          detail: `check could not run: ${errorText(err)}`,
        }),
      ),
    ),
  );
  r.preflightRuns.push({ at: iso(), results: results.map(({ name, ok, detail }) => ({ name, ok, detail })) });
  return results;
}

/** The checks that failed, or none. */
export const failedChecks = (results: CheckResult[]): CheckResult[] => results.filter((c) => !c.ok);

/** Failed checks in one line of the reason: "name (detail); ...". */
export const describeFailures = (failed: CheckResult[]): string =>
  failed.map((f) => `${f.name} (${f.detail})`).join('; ');

export async function setWeight(r: ReleaseState, weight: number, why: string): Promise<void> {
  await call(TRAFFIC_OPTIONS, `traffic: green ${weight}%`, 'setTrafficWeight', {
    route: r.plan.traffic,
    blueNamespace: r.blue,
    greenNamespace: r.green,
    greenWeight: weight,
  });
  r.greenWeight = weight;
  r.weights.push(weight);
  r.event(`green weight ${weight}% (${why})`);
  auditTraffic(r, weight, why);
  r.updateUi();
  // A move forward is a stage boundary; a rollback's move back is written with its outcome.
  if (weight > 0) await flushAuditLog(r);
}

export function setMaintenanceMode(r: ReleaseState, on: boolean): Promise<unknown> {
  return call(TRAFFIC_OPTIONS, `maintenance mode ${on ? 'on' : 'off'}`, 'setMaintenanceMode', {
    route: r.plan.traffic,
    blueNamespace: r.blue,
    greenNamespace: r.green,
    on,
  });
}

/** Every service of `namespace` (green unless named) healthy; with data stores, `SELECT 1` and `PING` too. */
export async function checkHealth(
  r: ReleaseState,
  includeDataStores: boolean,
  namespace = r.green,
): Promise<{ healthy: boolean; detail: string }> {
  const { plan } = r;
  try {
    // Ticks (no data stores) time out sooner, so a worker crash mid-tick delays a rollback by seconds.
    const options = !includeDataStores && patched('tick-timeouts') ? TICK_HEALTH_OPTIONS : DEFAULT_OPTIONS;
    const res = await call(options, `health: ${namespace}`, 'checkServiceHealth', {
      namespace,
      services: plan.services,
      healthUrlTemplate: fillCluster(plan.healthUrlTemplate, r.vars()),
      includeDataStores,
    });
    return {
      healthy: res.healthy,
      detail:
        res.checks
          .filter((c) => !c.ok)
          .map((c) => `${c.name}: ${c.detail}`)
          .join('; ') || 'all healthy',
    };
  } catch (err) {
    return { healthy: false, detail: `health check could not run: ${errorText(err)}` };
  }
}

/** Waits until every deployment of the plan's services in `namespace` is rolled out, heartbeating. */
export function waitForRollout(r: ReleaseState, namespace: string, timeoutMs: number) {
  return call(longOptions(timeoutMs), `wait ${namespace} ready`, 'waitForRollout', {
    namespace,
    deployments: r.plan.services.map((s) => s.name),
    timeoutMs,
  });
}

/** Deletes a namespace of the pair and waits until it is gone. */
export async function deleteNamespace(r: ReleaseState, name: string): Promise<void> {
  await call(longOptions(10 * 60_000), `delete ${name}`, 'deleteNamespace', { name, waitMs: 10 * 60_000 });
  r.event(`deleted ${name}`);
}

/** Stores the report (markdown and JSON) next to the release's artifacts; a failure is recorded, not thrown. */
export async function storeReport(r: ReleaseState): Promise<ReleaseReport> {
  const report = r.rollbacks.length ? { ...r.report(), rollbacks: [...r.rollbacks] } : r.report();
  try {
    const { location } = await call(DEFAULT_OPTIONS, 'store report', 'storeReport', {
      bucket: r.plan.artifactsBucket,
      key: `reports/${r.releaseId}/report`,
      markdown: renderReportMarkdown(report),
      json: JSON.stringify(report),
    });
    r.event(`report stored at ${location}`);
  } catch (err) {
    r.event(`report could not be stored: ${errorText(err)}`);
  }
  return report;
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
