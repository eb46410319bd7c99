// Test doubles for the release workflow's activities: a small scripted "world" that records every
// call in order, so tests assert what the workflow did (traffic weights, compensations, pages), and
// lets a test make metrics, health checks or rollouts go bad at a chosen moment.
import { clusterProgressActivities } from '../../src/activities/temporal/cluster-progress';
import { parentRollbackActivities } from '../../src/activities/temporal/parent-rollback';
import { Context } from '@temporalio/activity';
import type { Activities } from '../../src/activities';
import { INCIDENT_WORKFLOW } from '../../src/workflows/incident-definitions';
import { promqlOf } from '../../src/plan/metric-queries';
import type { CheckResult, MetricReading } from '../../src/activities/contract';
import type { PolicyReading } from '../../src/activities/policy';
import { resolveWindows } from '../../src/activities/policy/windows';
import type { StopTheLineState } from '../../src/workflows/stop-the-line-defs';
import { mailSubject, pageSummary, slackBody } from '../../src/activities/notify-format';
import type { MetricSpec } from '../../src/plan/types';
import type { AuditLogEntry } from '../../src/workflows/audit-entries';

export interface Call {
  name: string;
  args: unknown;
}

export const HEALTHY: Record<string, number> = {
  error_rate: 0.2,
  p95_latency: 0.35,
  cpu: 35,
  memory: 50,
  login_success: 99.2,
  data_submission_success: 99.6,
  report_generation_success: 99.9,
  api_availability: 100,
  login_p95: 0.3,
  data_records_p95: 0.8,
  report_generation_p95: 20,
  error_rate_sla: 0.05,
};

export interface Scripts {
  /** Readings for the canary side at the current weight; return a partial map to override HEALTHY. */
  canary?: (ctx: {
    weight: number;
    query: number;
  }) => Partial<Record<string, number | 'empty' | 'nan' | 'timeout'>> | 'fail';
  stable?: (ctx: { weight: number; query: number }) => Partial<Record<string, number>>;
  checks?: Record<string, CheckResult['ok']>;
  /** Status each smoke endpoint answers (by name; 200 unless listed; 0: no answer). */
  smoke?: Record<string, number>;
  serviceHealth?: (ctx: { namespace: string; call: number; weight: number }) => boolean;
  rolloutReady?: (namespace: string, call: number) => boolean;
  /** The namespace the route sends all traffic to (default: the plan's blue); null: neither. */
  live?: string | null;
  /** Throws to make createNamespace fail (e.g. a namespace of someone else's under green's name). */
  createNamespace?: (name: string) => void;
  /** Awaited before a preflight check returns: the nth (1-based) run of the check named `name`. */
  holdCheck?: (name: string, nth: number) => Promise<void> | undefined;
  /** Awaited before storeReport returns (tests hold the release between stage "done" and its end). */
  storeReport?: () => Promise<void>;
  /** Thrown by appendAuditLog (the audit store is down) while it returns true. */
  auditDown?: () => boolean;
  /** What readPlatformPolicy answers (default: the worker runs without a policy, HWAYO_POLICY=none). */
  policy?: PolicyReading | (() => PolicyReading);
  /** What the stop-the-line singleton answers (default: never frozen). */
  stopTheLine?: () => StopTheLineState;
}

/** What a sink would receive, formatted by the real activities' own functions. */
export interface Delivered {
  sink: 'slack' | 'pagerduty' | 'email';
  /** Slack channel or mail address. */
  to: string;
  /** Slack's webhook text, PagerDuty's summary or the mail's subject. */
  text: string;
}

export class FakeWorld {
  readonly calls: Call[] = [];
  readonly delivered: Delivered[] = [];
  /** The audit store: one entry per key (release, seq); a second write of a key must bring the same entry. */
  readonly auditLog = new Map<string, AuditLogEntry>();
  weight = 0;
  private metricQueries = 0;
  private healthCalls = 0;
  private rolloutCalls = 0;
  /** Activity calls running now. */
  inFlight = 0;
  /** Called after every recorded activity call (tests use it to act at a precise moment). */
  onCall?: (call: Call) => void;

  constructor(public scripts: Scripts = {}) {}

  named(name: string): Call[] {
    return this.calls.filter((c) => c.name === name);
  }

  /** The activity names in call order, without the periodic analysis and health calls. */
  sequence(skip = ['queryMetrics', 'checkServiceHealth', 'runCheck', 'postSlack']): string[] {
    // The policy read comes first in every release that has it: a read, like the checks.
    // So do the stop-the-line's answers, asked before the start and every traffic increase; audit writes are
    // bookkeeping.
    const reads = ['readPlatformPolicy', 'readStopTheLine', 'appendAuditLog'];
    return this.calls.map((c) => c.name).filter((n) => !skip.includes(n) && !reads.includes(n));
  }

  weights(): number[] {
    return this.named('setTrafficWeight').map((c) => (c.args as { greenWeight: number }).greenWeight);
  }

  /** Calls made by incident workflows, kept apart so a release's own calls read as before. */
  readonly incident: Call[] = [];

  private incidentCall(name: string, args: unknown): unknown {
    this.incident.push({ name, args });
    const { bucket, key } = args as { bucket?: string; key?: string };
    return name === 'storeIncidentReview'
      ? { location: `s3://${bucket}/${key}.md` }
      : { delivered: true, duplicate: false };
  }

  private record(name: string, args: unknown) {
    const c = { name, args };
    this.calls.push(c);
    this.onCall?.(c);
  }

  activities(): Activities {
    const ok = (name: string): CheckResult => ({ name, ok: true, detail: 'ok' });
    const acts: Partial<Activities> = {
      runCheck: async (input) => {
        this.record('runCheck', input);
        await this.scripts.holdCheck?.(
          input.check.name,
          this.named('runCheck').filter((c) => (c.args as typeof input).check.name === input.check.name).length,
        );
        const passed = this.scripts.checks?.[input.check.name] ?? true;
        return { name: input.check.name, ok: passed, detail: passed ? 'ok' : `${input.check.name} failed` };
      },
      checkServiceHealth: async (input) => {
        this.record('checkServiceHealth', input);
        const healthy =
          this.scripts.serviceHealth?.({ namespace: input.namespace, call: ++this.healthCalls, weight: this.weight }) ??
          true;
        return {
          healthy,
          checks: input.services.map((s) => ({ name: s.name, ok: healthy, detail: healthy ? '200' : 'HTTP 503' })),
        };
      },
      queryMetrics: async (input) => {
        this.record('queryMetrics', input);
        const stableSide = input.queries.some((q) => promqlOf(q)?.includes('namespace="hwayo-production"'));
        const ctx = { weight: this.weight, query: ++this.metricQueries };
        if (stableSide) {
          const over = this.scripts.stable?.(ctx) ?? {};
          return input.queries.map((q) => ({ name: q.name, value: over[q.name] ?? HEALTHY[q.name] ?? 1 }));
        }
        const script = this.scripts.canary?.(ctx) ?? {};
        if (script === 'fail') throw new Error('prometheus unreachable');
        return input.queries.map((q): MetricReading => {
          const v = script[q.name] ?? HEALTHY[q.name] ?? 1;
          if (v === 'empty') return { name: q.name, inconclusive: 'empty-result', detail: 'no series' };
          if (v === 'nan') return { name: q.name, inconclusive: 'not-a-number', detail: 'NaN' };
          if (v === 'timeout') return { name: q.name, inconclusive: 'timeout', detail: 'query timed out' };
          return { name: q.name, value: v };
        });
      },
      smokeTest: async (input) => {
        this.record('smokeTest', input);
        return input.smoke.endpoints.map((e) => {
          const status = this.scripts.smoke?.[e.name] ?? 200;
          const ok = status === e.expectStatus;
          const answer = status === 0 ? 'no answer' : `answered ${status}`;
          const detail = `${e.method} ${e.path} ${answer}${ok ? '' : `, expected ${e.expectStatus}`}`;
          return { ...e, ...(status ? { status } : {}), ok, ms: 5, detail };
        });
      },
      readPlatformPolicy: async () => {
        this.record('readPlatformPolicy', {});
        const p = this.scripts.policy;
        return (typeof p === 'function' ? p() : p) ?? { source: 'none', problems: [] };
      },
      resolveWindows: async (input) => {
        this.record('resolveWindows', input);
        return resolveWindows(input);
      },
      readStopTheLine: async () => {
        this.record('readStopTheLine', {});
        return this.scripts.stopTheLine?.() ?? { frozen: false, seq: 0 };
      },
      checkKubernetesNodes: async () => ok('nodes'),
      checkClusterPolicies: async () => ok('policies'),
      createNamespace: async (input) => {
        this.record('createNamespace', input);
        this.scripts.createNamespace?.(input.name);
        return { created: true };
      },
      copySecretsAndConfig: async (input) => (
        this.record('copySecretsAndConfig', input),
        { secrets: ['hwayo-database'], configMaps: ['hwayo-config'], networkPolicies: ['default-deny'] }
      ),
      deployGreen: async (input) => {
        this.record('deployGreen', input);
        return {
          deployments: input.services.map((s) => ({
            name: s.name,
            image: `registry.local/hwayo-${s.name}:${input.imageTag}`,
            replicas: 2,
          })),
        };
      },
      waitForRollout: async (input) => {
        this.record('waitForRollout', input);
        const ready = this.scripts.rolloutReady?.(input.namespace, ++this.rolloutCalls) ?? true;
        return { ready, detail: ready ? 'all ready' : 'api-gateway 0/2 ready' };
      },
      scaleDeployments: async (input) => {
        this.record('scaleDeployments', input);
        return { 'web-app': 2, 'api-gateway': 3 };
      },
      deleteNamespace: async (input) => (this.record('deleteNamespace', input), { deleted: true }),
      backupNamespace: async (input) => (
        this.record('backupNamespace', input),
        { location: `s3://${input.bucket}/${input.key}`, objects: 42 }
      ),
      deployVersion: async (input) => (this.record('deployVersion', input), { deployments: [] }),
      switchDatabaseConnection: async (input) => (
        this.record('switchDatabaseConnection', input),
        { updated: input.namespaces }
      ),
      setTrafficWeight: async (input) => {
        this.record('setTrafficWeight', input);
        const changed = this.weight !== input.greenWeight;
        this.weight = input.greenWeight;
        return { greenWeight: input.greenWeight, changed };
      },
      setMaintenanceMode: async (input) => (this.record('setMaintenanceMode', input), { changed: true }),
      snapshotDatabase: async (input) => (
        this.record('snapshotDatabase', input),
        { snapshotId: input.snapshotId, status: 'available', existed: false }
      ),
      restoreDatabase: async (input) => {
        this.record('restoreDatabase', input);
        const instance = input.instance ?? input.database.restoredInstance;
        return { instance, endpoint: `${instance}.rds.local`, port: 5432, existed: false };
      },
      findLiveEnvironment: async (input) => {
        this.record('findLiveEnvironment', input);
        const live = this.scripts.live === null ? undefined : (this.scripts.live ?? input.namespaces[0]);
        return live ? { live, detail: `route sends all traffic to ${live}` } : { detail: 'route splits traffic' };
      },
      appendAuditLog: async (input) => {
        this.record('appendAuditLog', input);
        if (this.scripts.auditDown?.()) throw new Error('audit store unavailable');
        let written = 0;
        for (const e of input.entries) {
          const key = `${e.releaseId}/${e.seq}`;
          const stored = this.auditLog.get(key);
          if (stored && JSON.stringify(stored) !== JSON.stringify(e)) throw new Error(`audit entry ${key} differs`);
          if (!stored) written++;
          this.auditLog.set(key, e);
        }
        return { written, present: input.entries.length - written, bucket: 'fake-audit' };
      },
      storeReport: async (input) => {
        this.record('storeReport', input);
        await this.scripts.storeReport?.();
        return { location: `s3://${input.bucket}/${input.key}.md` };
      },
      // Only incident workflows store reviews (incidentCall answers them).
      storeIncidentReview: async (input) => this.incidentCall('storeIncidentReview', input) as { location: string },
      postSlack: async (input) => {
        this.record('postSlack', input);
        this.delivered.push({ sink: 'slack', to: input.channel, text: slackBody(input.severity, input.text).text });
        return { delivered: true, duplicate: false };
      },
      sendPage: async (input) => {
        this.record('sendPage', input);
        this.delivered.push({ sink: 'pagerduty', to: input.dedupKey, text: pageSummary(input.summary) });
        return { delivered: true, duplicate: false };
      },
      // Real: it queries the child workflow on the test server.
      readClusterProgress: clusterProgressActivities.readClusterProgress,
      // Real: it describes the child and queries its parent on the test server.
      readParentRollback: parentRollbackActivities.readParentRollback,
      sendEmail: async (input) => {
        this.record('sendEmail', input);
        this.delivered.push({ sink: 'email', to: input.to, text: mailSubject(input.subject) });
        return { delivered: true, duplicate: false };
      },
    };
    // Count the calls in flight: the harness must not skip workflow time while one runs (a held call
    // would outlive its heartbeat timeout in skipped time; in production the worker heartbeats it).
    const counted = Object.fromEntries(
      Object.entries(acts).map(([name, fn]) => [
        name,
        async (...args: unknown[]) => {
          if (Context.current().info.workflowType === INCIDENT_WORKFLOW) return this.incidentCall(name, args[0]);
          this.inFlight += 1;
          try {
            return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
          } finally {
            this.inFlight -= 1;
          }
        },
      ]),
    );
    return counted as unknown as Activities;
  }
}

/** Names of metrics that have a rollback trigger, with a value that fires it. */
export function firingValue(m: MetricSpec): number {
  if (m.rollback?.above !== undefined) return m.rollback.above + 1;
  if (m.rollback?.below !== undefined) return m.rollback.below - 1;
  throw new Error(`${m.name} has no rollback trigger`);
}
