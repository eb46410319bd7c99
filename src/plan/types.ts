// The one release-plan type. Users write it as YAML/JSON (durations as "15m"); `loadPlan` validates it
// once at the edge and hands the workflow this normalised form (durations in milliseconds).
import type { DEFAULT_METRIC_PROVIDER, MetricProviderKind, QueryFieldOf } from '../metrics/registry';
import type { Freeze, Windows } from '../policy/windows';

export type Role = string;

export interface ServiceSpec {
  /** Deployment (and Service) name in both namespaces. */
  name: string;
  healthPath: string;
}

export interface Approver {
  id: string;
  role: Role;
  name?: string;
  /** ed25519 public key (base64, raw 32 bytes). When set, this approver's decisions must be signed. */
  publicKey?: string;
}

/** A person who may send control requests (promote, resume, abort, pause, rollback); approvers may too. */
export interface Operator {
  id: string;
  name?: string;
  /** ed25519 public key (base64, raw 32 bytes); their controls are signed with it. */
  publicKey: string;
}

export type PreflightGroup = 'infrastructure' | 'security' | 'monitoring';

/** One pre-deployment check from SEED section 3.2 / 8.1; `kind` picks the activity that runs it. */
export type PreflightCheck =
  | { name: string; group: PreflightGroup; kind: 'kubernetes-nodes' }
  | { name: string; group: PreflightGroup; kind: 'postgres' }
  | { name: string; group: PreflightGroup; kind: 'redis' }
  | { name: string; group: PreflightGroup; kind: 's3-bucket'; bucket: string }
  | { name: string; group: PreflightGroup; kind: 'config-backup'; bucket: string }
  /** SEED 9 "Before": the backup snapshot exists, is available, encrypted and at most maxAgeHours old. */
  | { name: string; group: PreflightGroup; kind: 'rds-snapshot'; snapshot: string; maxAgeHours: number }
  /**
   * SEED 9 "rollback script tested": the last restore rehearsal of `database` (`hwayo-release rehearsal`)
   * succeeded at most `maxAge` ms ago (default 7 days).
   */
  | { name: string; group: PreflightGroup; kind: 'restore-rehearsal'; database: string; maxAge?: number }
  | { name: string; group: PreflightGroup; kind: 'tls-certificate'; host: string; port: number; minValidDays: number }
  | {
      name: string;
      group: PreflightGroup;
      kind: 'waf';
      webAclName: string;
      webAclId?: string;
      scope: 'REGIONAL' | 'CLOUDFRONT';
    }
  | {
      name: string;
      group: PreflightGroup;
      kind: 'security-groups';
      groupIds?: string[];
      tag?: { key: string; value: string };
      allowedPorts: number[];
    }
  | { name: string; group: PreflightGroup; kind: 'http'; url: string }
  | { name: string; group: PreflightGroup; kind: 'elasticsearch'; url: string }
  /** `jobs`: only these scrape jobs' targets must be up (default: every target Prometheus scrapes). */
  | { name: string; group: PreflightGroup; kind: 'prometheus-targets'; jobs?: string[] }
  | { name: string; group: PreflightGroup; kind: 'security-evidence' }
  /** `namespace` defaults to the release's blue (the namespace that carries production). */
  | { name: string; group: PreflightGroup; kind: 'cluster-policies'; namespace?: string }
  /** Istio mTLS STRICT for blue and green (the mesh-wide policy lives in rootNamespace, default istio-system). */
  | { name: string; group: PreflightGroup; kind: 'mesh-mtls'; rootNamespace?: string }
  /** The route sends all traffic to blue, blue runs every service, green is absent or empty. */
  | { name: string; group: PreflightGroup; kind: 'release-baseline' }
  /**
   * SEED 7/11: production's availability over `window` (ms; default 730 h, a month) against `target` (percent,
   * default 99.9); fails while the error budget is spent. `requests`: the request counter selector ({{namespace}}
   * is blue), `errors`: the matcher of failed requests (src/plan/error-budget.ts has the defaults).
   */
  | {
      name: string;
      group: PreflightGroup;
      kind: 'error-budget';
      target?: number;
      window?: number;
      requests?: string;
      errors?: string;
    };

export type PreflightKind = PreflightCheck['kind'];

export interface CanaryStep {
  weight: number;
  watchMs: number;
}

export { METRIC_PROVIDERS, type MetricProviderKind } from '../metrics/registry';

/**
 * A metric the canary analysis reads. Its query is a template: {{namespace}} (the side being measured:
 * green for the canary, blue for stable), {{blue_namespace}}, {{green_namespace}}, {{app}}, {{version}}
 * are filled in per release; {{cluster}}, {{region}} per cluster of a release with waves (refused without).
 * Providers only measure; analysis.ts judges the readings.
 */
interface MetricBase {
  name: string;
  unit?: string;
  /** Must hold at the end of every watch window (SEED "healthy" table). */
  healthy?: { max?: number; min?: number };
  /** Breaching this at any analysis tick rolls back at once (SEED section 6 triggers). */
  rollback?: { above?: number; below?: number };
  /** Canary compared with stable: canary value may exceed stable's by at most maxIncrease (or drop by maxDecrease). */
  compareToStable?: { maxIncrease?: number; maxDecrease?: number };
  /** The watches that read and judge this metric; absent is every watch (SEED 11's error rate is full-switch only). */
  stages?: ('canary' | 'full-switch')[];
}

/**
 * One metric of each provider of the registry (src/metrics/registry.ts), its `query` as that provider's spec
 * reads it. `provider` absent is Prometheus (every plan written before providers existed).
 */
export type MetricSpecOf<K extends MetricProviderKind> = MetricBase &
  (K extends typeof DEFAULT_METRIC_PROVIDER ? { provider?: K } : { provider: K }) & { query: QueryFieldOf<K> };
export type MetricSpec = { [K in MetricProviderKind]: MetricSpecOf<K> }[MetricProviderKind];

/** The routers a plan may name in `traffic.provider`, each registered in src/activities/traffic/routers/index.ts. */
export const ROUTER_KINDS = ['istio', 'gateway-api', 'traefik'] as const;
export type RouterKind = (typeof ROUTER_KINDS)[number];
export type TrafficProvider = RouterKind;

export interface TrafficSpec {
  provider: TrafficProvider;
  /** VirtualService / HTTPRoute / TraefikService (and its IngressRoute) name and the namespace it lives in. */
  name: string;
  namespace: string;
  host: string;
  /** Requests carrying this header always go to green. */
  canaryHeader: { name: string; value: string };
  /** Destination hosts (Istio) or Service names (Gateway API) of each side; {{namespace}} templated. */
  blueDestination: string;
  greenDestination: string;
  port: number;
  /** Backend that serves the maintenance page during emergency recovery; {{namespace}} is the route's. */
  maintenanceDestination: string;
  /** The service whose Service receives the split traffic (the seed routes through api-gateway). */
  entryService: string;
}

export interface DatabaseSpec {
  instance: string;
  backupSnapshot: string;
  restoredInstance: string;
  snapshotPrefix: string;
  /**
   * How long the emergency snapshot and the restore may take in all (an RDS snapshot or restore of a
   * real database takes tens of minutes). Absent only in plans of releases started before these existed.
   */
  snapshotTimeoutMs?: number;
  restoreTimeoutMs?: number;
  /** The Kubernetes Secret (in each namespace) the apps read their database host from. */
  connectionSecret: { name: string; key: string };
}

export interface NotificationSpec {
  slackChannels: { critical: string; warning: string; info: string };
  email: string;
  pagerduty: boolean;
  /** Who incident response reaches, in order: the first on opening, the next at each escalation (default: `email`). */
  onCall?: string[];
}

export interface ReleasePlan {
  app: string;
  /** Release windows narrower than the platform policy's (absent: the policy's, or none). */
  windows?: Windows;
  /** Freezes added to the platform policy's (patch plan-freezes): traffic holds during them as during the policy's. */
  freezes?: Freeze[];
  services: ServiceSpec[];
  /**
   * The two namespaces that take turns carrying production. `blue` and `green` name them for the first
   * release; with `alternate`, each release starts by finding which of the two the route sends all
   * traffic to and uses that one as blue (after a success, the next release deploys into the other).
   */
  environments: { blue: string; green: string; alternate: boolean };
  /** A service's health URL: {{service}}, {{namespace}}, {{path}} (and {{cluster}}, {{region}}) are filled in. */
  healthUrlTemplate: string;
  approval: {
    timeoutMs: number;
    requiredRoles: Role[];
    approvers: Approver[];
    /** Decisions must be signed: true unless allowUnsigned (kept for plans written before allowUnsigned). */
    requireSignatures: boolean;
    /**
     * Lets decisions and controls through unsigned; the only way to run without approver keys. The CLI
     * warns at start and the report says "approved without signatures". Absent in histories from before.
     */
    allowUnsigned?: boolean;
    /** Who may send controls besides the approvers; with signatures required, risk-raising ones must be signed. */
    operators?: Operator[];
  };
  preflight: {
    /** Infrastructure checks older than this when approval lands are run again. */
    freshnessMs: number;
    checks: PreflightCheck[];
  };
  green: { readyTimeoutMs: number };
  traffic: TrafficSpec;
  canary: {
    steps: CanaryStep[];
    analysisIntervalMs: number;
    /** Consecutive inconclusive analyses tolerated before `onInconclusive` happens. */
    inconclusiveLimit: number;
    onInconclusive: 'pause' | 'rollback';
    /** Consecutive failed health checks of green tolerated; one more rolls back (SEED: "> 3 times"). */
    healthCheckFailureLimit: number;
    /** A pause ends by itself after this long (plans from before it: 1 h); analysis never pauses. */
    maxPauseMs?: number;
  };
  fullSwitch: { watchMs: number };
  metrics: MetricSpec[];
  retention: { blueKeepMs: number };
  rollback: { blueReadyTimeoutMs: number };
  database: DatabaseSpec;
  notifications: NotificationSpec;
  /** Where namespace backups and reports go. */
  artifactsBucket: string;
  /** SEED 9 "After": API calls through the gateway once green has all traffic (absent in plans from before it). */
  smoke?: SmokeSpec;
}

export interface SmokeEndpoint {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  expectStatus: number;
}

export interface SmokeSpec {
  /** The gateway users reach (the path of each endpoint is appended). */
  url: string;
  /** Host header to send when `url` is an address rather than the public host name. */
  hostHeader?: string;
  endpoints: SmokeEndpoint[];
}
