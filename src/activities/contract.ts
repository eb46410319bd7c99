// What activities take and give back. Shared by the workflow (types only), the activity
// implementations, and the tests. Nothing here may carry a secret: inputs land in workflow history.
import type { DatabaseSpec, PreflightCheck, ServiceSpec, TrafficSpec } from '../plan/types';

/** Outcome of one preflight / health check. A failed check is a result, not an exception. */
export interface CheckResult {
  name: string;
  ok: boolean;
  /** One line a person can act on: "node kwok-node-2 is NotReady", "certificate expires in 3 days". */
  detail: string;
  /** Measured facts (latency, expiry date, counts) kept for the report. */
  data?: Record<string, string | number | boolean>;
}

export interface RunCheckInput {
  check: PreflightCheck;
  /** Filled-in values for checks that need them (the release's namespaces). */
  context: {
    blueNamespace: string;
    greenNamespace: string;
    route?: TrafficSpec;
    services?: string[];
    /** The release (security-evidence ties the reports to it: images on this tag, its commit, app, version). */
    app?: string;
    version?: string;
    imageTag?: string;
    /** What the emergency path would deploy to blue: security-evidence must cover its images too. */
    lastKnownGoodTag?: string;
  };
  /**
   * References to the CI's evidence reports: paths below the worker's HWAYO_EVIDENCE_ROOT, or s3:// URIs under the
   * version's prefix.
   */
  evidence?: EvidenceRefs;
}

export interface EvidenceRefs {
  trivy?: string;
  gitleaks?: string;
  npmAudit?: string;
  sonarqubeHotspots?: string;
}

export interface ServiceHealthInput {
  namespace: string;
  services: ServiceSpec[];
  healthUrlTemplate: string;
  /** Also check PostgreSQL `SELECT 1` and Redis `PING` with the worker's credentials. */
  includeDataStores: boolean;
}

export interface ServiceHealthResult {
  healthy: boolean;
  checks: CheckResult[];
}

export interface NamespaceCopyResult {
  secrets: string[];
  configMaps: string[];
  /**
   * Blue's NetworkPolicies: green must be as locked down (and pass the cluster-policies gate) once it is production.
   */
  networkPolicies: string[];
}

export interface DeployGreenInput {
  from: string;
  to: string;
  imageTag: string;
  services: ServiceSpec[];
  /** Labels set on every object we create, to find and clean them up. */
  labels: Record<string, string>;
}

export interface DeployResult {
  deployments: { name: string; image: string; replicas: number }[];
}

export interface WaitRolloutInput {
  namespace: string;
  deployments: string[];
  timeoutMs: number;
}

/** Progress kept in heartbeats so a retried wait resumes instead of starting over. */
export interface RolloutProgress {
  ready: Record<string, { ready: number; desired: number }>;
  startedAt: number;
}

export interface ScaleInput {
  namespace: string;
  /** Replicas to set: one number for every deployment, or per deployment. */
  replicas: number | Record<string, number>;
}

/** Replica counts before the change, so a compensation can put them back. */
export type ScaleResult = Record<string, number>;

export interface BackupInput {
  namespace: string;
  bucket: string;
  key: string;
}

export interface TrafficInput {
  route: TrafficSpec;
  blueNamespace: string;
  greenNamespace: string;
  greenWeight: number;
  /** Where the canary-header users go; absent: green while greenWeight > 0, else blue. */
  header?: 'green' | 'blue';
}

export interface LiveEnvironmentInput {
  route: TrafficSpec;
  /** The plan's pair, in the plan's order (blue, green). */
  namespaces: [string, string];
}

export interface LiveEnvironmentResult {
  /** The namespace the route's default rule sends all traffic to; absent when neither gets 100%. */
  live?: string;
  detail: string;
}

export interface TrafficResult {
  greenWeight: number;
  /** False when the route already had this weight (a retry or replayed step): nothing was written. */
  changed: boolean;
  resourceVersion?: string;
}

export interface MaintenanceInput {
  route: TrafficSpec;
  blueNamespace: string;
  greenNamespace: string;
  on: boolean;
}

/** One metric's rendered query, by provider (src/metrics/<kind>/spec.ts `render`). */
export type { MetricQuery, QueryOf } from '../plan/metric-queries';

export type { InconclusiveReason, MetricReading } from '../metrics/reading';

export interface SnapshotInput {
  database: DatabaseSpec;
  /** Derived from the release so that a retry finds its own snapshot instead of taking a second one. */
  snapshotId: string;
}

export interface SnapshotResult {
  snapshotId: string;
  status: string;
  /** True when the snapshot already existed (an earlier attempt made it). */
  existed: boolean;
}

export interface RestoreInput {
  database: DatabaseSpec;
  /**
   * The instance to restore into (one per emergency); absent in tasks scheduled before it existed:
   * database.restoredInstance.
   */
  instance?: string;
  /** Who restores (release id / run): an existing instance is adopted only when its owner tag says so. */
  owner?: string;
}

export interface RestoreResult {
  instance: string;
  endpoint: string;
  port: number;
  existed: boolean;
}

export interface SwitchConnectionInput {
  namespaces: string[];
  secret: { name: string; key: string };
  endpoint: string;
}

export interface DeployVersionInput {
  namespace: string;
  imageTag: string;
  services: ServiceSpec[];
}

export type Severity = 'critical' | 'warning' | 'info';

export interface SlackMessage {
  channel: string;
  severity: Severity;
  text: string;
  /** Same key = same logical message: a retried activity must not post twice. */
  idempotencyKey: string;
}

export interface PageInput {
  action: 'trigger' | 'resolve';
  /** PagerDuty dedup_key: one incident per release. */
  dedupKey: string;
  summary: string;
  severity: Severity;
  source: string;
  details?: Record<string, string | number>;
}

export interface EmailInput {
  to: string;
  subject: string;
  text: string;
  idempotencyKey: string;
  /** Critical (the default: on-call mail) is sent at least once; info and warning at most once per post. */
  severity?: Severity;
}

export interface StoreReportInput {
  bucket: string;
  key: string;
  markdown: string;
  json: string;
}
