// The invariants every chaos scenario checks, from evidence outside the product where there is any:
// the route's writes from the kube-apiserver's audit log (scripts/stack/kube-audit-policy.yaml), the
// notifications from the stack's sinks, the RDS snapshots and instances from moto, the report from S3.
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { stackVar } from '../integration/stack';
import type { ReleaseReport, ReleaseResult } from '../../src/workflows/definitions';
import { http, WORKER_SA } from './harness';
import { notificationProblems, type Notifications } from './notification-rules';

export const ROUTE = { namespace: 'hwayo-gateway', name: 'hwayo-canary' };
import { PRE_MAINTENANCE_ANNOTATION as MAINTENANCE_ANNOTATION } from '../../src/activities/traffic/routers';

interface AuditEvent {
  stage: string;
  verb: string;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  user?: { username?: string };
  responseStatus?: { code?: number };
  objectRef?: { resource?: string; namespace?: string; name?: string };
  responseObject?: RouteObject;
}
interface RouteObject {
  kind?: string;
  metadata?: { annotations?: Record<string, string>; resourceVersion?: string };
  spec?: {
    http?: { match?: unknown; route?: { destination?: { host?: string }; weight?: number }[] }[];
    rules?: { matches?: unknown[]; backendRefs?: { namespace?: string; weight?: number }[] }[];
  };
}

/** What a written route sends to green: "green 25%", or "maintenance". */
export function routeLabel(obj: RouteObject, greenNamespace: string): string {
  const annotations = obj.metadata?.annotations ?? {};
  const prefix = MAINTENANCE_ANNOTATION in annotations ? 'maintenance' : '';
  if (prefix) return prefix;
  if (obj.spec?.http) {
    const main = obj.spec.http.find((h) => !h.match) ?? obj.spec.http[obj.spec.http.length - 1];
    const green = (main?.route ?? []).find((r) => r.destination?.host?.split('.')[1] === greenNamespace);
    return `green ${green?.weight ?? 0}%`;
  }
  const rules = obj.spec?.rules ?? [];
  const main =
    rules.find((r) => !r.matches?.length || r.matches.every((m) => !(m as { headers?: unknown }).headers)) ??
    rules[rules.length - 1];
  const green = (main?.backendRefs ?? []).find((b) => b.namespace === greenNamespace);
  return `green ${green?.weight ?? 0}%`;
}

/** The audit log and its rotated backups (kube-audit-<time>.log), oldest first. */
function auditFiles(): string[] {
  const log = stackVar('HWAYO_KUBE_AUDIT_LOG');
  const dir = dirname(log);
  const stem = basename(log, '.log');
  const rotated = readdirSync(dir)
    .filter((f) => f.startsWith(`${stem}-`) && f.endsWith('.log'))
    .sort()
    .map((f) => join(dir, f));
  return [...rotated, ...(existsSync(log) ? [log] : [])];
}

/** Successful writes of the route by the worker's ServiceAccount between `from` and `to`, in order. */
export async function routeWrites(
  from: Date,
  to: Date,
  greenNamespace = 'hwayo-production-green',
): Promise<{ at: string; verb: string; label: string }[]> {
  const writes: { at: string; verb: string; label: string; obj?: RouteObject }[] = [];
  for (const file of auditFiles()) {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.includes(ROUTE.name) || !(line.includes('"virtualservices"') || line.includes('"httproutes"')))
        continue;
      const e = JSON.parse(line) as AuditEvent;
      if (e.stage !== 'ResponseComplete' || !['create', 'update', 'patch'].includes(e.verb)) continue;
      if (e.objectRef?.namespace !== ROUTE.namespace || e.objectRef?.name !== ROUTE.name) continue;
      if (e.user?.username !== WORKER_SA || (e.responseStatus?.code ?? 500) >= 300) continue;
      const at = new Date(e.requestReceivedTimestamp);
      if (at < from || at > to) continue;
      writes.push({
        at: e.requestReceivedTimestamp,
        verb: e.verb,
        label: e.responseObject ? routeLabel(e.responseObject, greenNamespace) : '?',
      });
    }
  }
  return writes.sort((a, b) => a.at.localeCompare(b.at));
}

/**
 * Successful writes by the worker's ServiceAccount to `resource` in `namespace` between `from` and `to` (any level of
 * the log).
 */
export async function workerWrites(
  resource: string,
  namespace: string,
  from: Date,
  to: Date,
): Promise<{ at: string; verb: string; name: string }[]> {
  const out: { at: string; verb: string; name: string }[] = [];
  for (const file of auditFiles()) {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.includes(`"resource":"${resource}"`) || !line.includes(namespace)) continue;
      const e = JSON.parse(line) as AuditEvent;
      if (e.stage !== 'ResponseComplete' || !['create', 'update', 'patch', 'delete'].includes(e.verb)) continue;
      if (e.objectRef?.resource !== resource || e.objectRef?.namespace !== namespace) continue;
      if (e.user?.username !== WORKER_SA || (e.responseStatus?.code ?? 500) >= 300) continue;
      const at = new Date(e.requestReceivedTimestamp);
      if (at >= from && at <= to)
        out.push({ at: e.requestReceivedTimestamp, verb: e.verb, name: e.objectRef?.name ?? '' });
    }
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

interface Received {
  kind: string;
  channel?: string;
  body: Record<string, unknown>;
}

/** What the sinks received about a version, grouped by where (slack channel, pagerduty, email) and normalised text. */
export async function notificationsOf(version: string): Promise<Notifications> {
  const { received } = await http<{ received: Received[] }>('GET', `${stackVar('SINKS_URL')}/received`);
  const out: Notifications = {};
  for (const r of received) {
    const text =
      r.kind === 'slack'
        ? String(r.body.text ?? JSON.stringify(r.body.blocks))
        : r.kind === 'pagerduty'
          ? `${String(r.body.event_action)} ${String((r.body.payload as Record<string, unknown> | undefined)?.summary ?? r.body.dedup_key)}`
          : String(r.body.subject);
    if (!text.includes(version)) continue;
    // The incident a release opens outlives it and keeps its own clock: the invariants compare releases.
    if (text.includes('-incident')) continue;
    const where = r.kind === 'slack' ? `slack ${r.channel}` : r.kind;
    const norm = text
      .split(version)
      .join('V')
      .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T');
    (out[where] ??= {})[norm] = (out[where][norm] ?? 0) + 1;
  }
  return out;
}

/** RDS snapshots and instances (moto), to see what a release created. */
export async function rdsState(): Promise<{ snapshots: string[]; instances: string[] }> {
  const rds = new RDSClient({ endpoint: stackVar('AWS_ENDPOINT_URL'), region: stackVar('AWS_REGION') });
  try {
    const s = await rds.send(new DescribeDBSnapshotsCommand({}));
    const i = await rds.send(new DescribeDBInstancesCommand({}));
    // Manual snapshots only: moto (like RDS) adds an automated "rds:" one for every new instance.
    return {
      snapshots: (s.DBSnapshots ?? [])
        .filter((x) => x.SnapshotType !== 'automated' && !x.DBSnapshotIdentifier!.startsWith('rds:'))
        .map((x) => x.DBSnapshotIdentifier!)
        .sort(),
      instances: (i.DBInstances ?? []).map((x) => x.DBInstanceIdentifier!).sort(),
    };
  } finally {
    rds.destroy();
  }
}

async function storedReport(id: string): Promise<ReleaseReport | undefined> {
  const s3 = new S3Client({
    endpoint: stackVar('AWS_ENDPOINT_URL'),
    region: stackVar('AWS_REGION'),
    forcePathStyle: true,
  });
  try {
    const o = await s3.send(
      new GetObjectCommand({ Bucket: 'hwayo-release-artifacts', Key: `reports/${id}/report.json` }),
    );
    return JSON.parse(await o.Body!.transformToString()) as ReleaseReport;
  } catch {
    return undefined;
  } finally {
    s3.destroy();
  }
}

/** What a release did, as far as the invariants compare it with a fault-free run of the same plan. */
export interface Summary {
  id: string;
  outcome: string;
  weights: number[];
  routeWrites: string[];
  steps: string[];
  compensations: string[];
  notifications: Record<string, number>;
  newSnapshots: string[];
  newInstances: string[];
}

export interface Observed {
  id: string;
  version: string;
  result: ReleaseResult;
  from: Date;
  to: Date;
  rdsBefore: { snapshots: string[]; instances: string[] };
}

/**
 * Checks one release against the invariants and returns the problems (empty: all hold) and its summary.
 * With a baseline (the fault-free run's summary), the outcome, route writes, steps, compensations and
 * the number of distinct notifications per destination must equal it.
 */
export async function checkInvariants(
  o: Observed,
  baseline?: Summary,
): Promise<{ problems: string[]; summary: Summary }> {
  const problems: string[] = [];
  const r = o.result;
  const report = r.report;
  const writes = await routeWrites(o.from, o.to);
  const labels = writes.map((w) => w.label);
  const notes = await notificationsOf(o.version);
  const rdsAfter = await rdsState();
  const summary: Summary = {
    id: o.id,
    outcome: r.outcome,
    weights: r.weights,
    routeWrites: labels,
    steps: report.steps.map((s) => `${s.weight}% ${s.result.split(':')[0]}`),
    compensations: report.compensations,
    // By destination name: critical ones are sent in parallel, so their arrival order is not the release's.
    notifications: Object.fromEntries(
      Object.entries(notes)
        .map(([k, v]) => [k, Object.keys(v).length] as const)
        .sort(([a], [b]) => a.localeCompare(b)),
    ),
    newSnapshots: rdsAfter.snapshots.filter((s) => !o.rdsBefore.snapshots.includes(s)),
    newInstances: rdsAfter.instances.filter((s) => !o.rdsBefore.instances.includes(s)),
  };

  // The route: written once per move, in order; never the same value twice in a row (a repeated write).
  const moves = r.weights.map((w) => `green ${w}%`);
  const withoutMaintenance = labels.filter((l) => l !== 'maintenance');
  for (let i = 1; i < labels.length; i++)
    if (labels[i] === labels[i - 1])
      problems.push(`route written twice in a row: ${labels[i]} (writes ${labels.join(', ')})`);
  if (JSON.stringify(withoutMaintenance) !== JSON.stringify(moves))
    problems.push(`route writes ${JSON.stringify(labels)} do not match the release's moves ${JSON.stringify(moves)}`);

  problems.push(...notificationProblems(notes));
  // At most one emergency snapshot and one restored instance per emergency.
  if (summary.newSnapshots.length > 1) problems.push(`more than one RDS snapshot: ${summary.newSnapshots.join(', ')}`);
  if (summary.newInstances.length > 1)
    problems.push(`more than one restored RDS instance: ${summary.newInstances.join(', ')}`);

  // The report: complete, consistent with the result, and stored.
  if (report.outcome !== r.outcome) problems.push(`report outcome ${report.outcome} != result ${r.outcome}`);
  if (!report.finishedAt || !report.startedAt || !report.timeline.length)
    problems.push('report lacks times or timeline');
  if (!report.preflight.length) problems.push('report has no preflight run');
  if (report.steps.some((s, i) => i < r.weights.length && s.weight !== r.weights[i]))
    problems.push(
      `report steps ${JSON.stringify(summary.steps)} do not follow the weights ${JSON.stringify(r.weights)}`,
    );
  if (!report.timeline.some((t) => t.event.startsWith('release finished')))
    problems.push('report timeline does not end the release');
  const stored = await storedReport(o.id);
  if (!stored) problems.push('no report stored in S3');
  else if (stored.outcome !== r.outcome) problems.push(`stored report outcome ${stored.outcome} != ${r.outcome}`);

  if (baseline) {
    const same = (what: keyof Summary) => {
      if (JSON.stringify(summary[what]) !== JSON.stringify(baseline[what]))
        problems.push(
          `${what} ${JSON.stringify(summary[what])} differs from the fault-free run's ${JSON.stringify(baseline[what])}`,
        );
    };
    (['outcome', 'weights', 'routeWrites', 'steps', 'compensations', 'notifications'] as const).forEach(same);
    if (summary.newSnapshots.length !== baseline.newSnapshots.length)
      problems.push(
        `${summary.newSnapshots.length} new snapshots, the fault-free run made ${baseline.newSnapshots.length}`,
      );
  }
  return { problems, summary };
}
