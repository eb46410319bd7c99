// The seed's plan (shared/SEED.md) as the default, written in the same form users write plans in.
// Every number here is the seed's; a user's plan is merged over this.

const side = '{{namespace}}';
const ns = `namespace="${side}"`;
// `or vector(0)`: a service that never answered 5xx has no 5xx series; that is 0%, not missing data.
const errorRate = `(sum(rate(http_requests_total{${ns},status=~"5.."}[5m])) or vector(0)) / sum(rate(http_requests_total{${ns}}[5m])) * 100`;
/** p95 of one API path's requests (the `path` label of the services' request histogram). */
const endpointP95 = (path: string) =>
  `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${ns},path="${path}"}[5m])))`;

export const DEFAULT_PLAN_DOCUMENT = {
  app: 'hwayo',
  services: [
    { name: 'web-app', healthPath: '/health' },
    { name: 'api-gateway', healthPath: '/api/v1/health' },
    { name: 'auth-service', healthPath: '/auth/health' },
    { name: 'workflow-engine', healthPath: '/workflow/health' },
    { name: 'notification-service', healthPath: '/notification/health' },
    { name: 'report-generator', healthPath: '/report/health' },
  ],
  environments: { blue: 'hwayo-production', green: 'hwayo-production-green', alternate: true },
  healthUrlTemplate: 'http://{{service}}.{{namespace}}.svc.cluster.local{{path}}',
  approval: {
    timeout: '24h',
    requiredRoles: ['tech-lead', 'product-manager', 'qa-lead'],
    approvers: [
      { id: 'tech-lead', role: 'tech-lead', name: 'Tech lead' },
      { id: 'product-manager', role: 'product-manager', name: 'Product manager' },
      { id: 'qa-lead', role: 'qa-lead', name: 'QA lead' },
    ],
  },
  preflight: {
    freshness: '1h',
    checks: [
      { name: 'kubernetes-nodes-ready', group: 'infrastructure', kind: 'kubernetes-nodes' },
      { name: 'release-baseline', group: 'infrastructure', kind: 'release-baseline' },
      { name: 'database-accepting-connections', group: 'infrastructure', kind: 'postgres' },
      { name: 'redis-ping', group: 'infrastructure', kind: 'redis' },
      { name: 's3-assets-readable', group: 'infrastructure', kind: 's3-bucket', bucket: 'hwayo-prod-assets' },
      // SEED section 9 "Before": the snapshot emergency recovery restores from is ready.
      {
        name: 'database-backup-ready',
        group: 'infrastructure',
        kind: 'rds-snapshot',
        snapshot: 'hwayo-prod-db-backup-latest',
        maxAgeHours: 24,
      },
      // SEED section 9 "Before": the config backup of blue, taken now, before anything changes.
      {
        name: 'config-backup-of-blue',
        group: 'infrastructure',
        kind: 'config-backup',
        bucket: 'hwayo-release-artifacts',
      },
      {
        name: 'tls-certificate',
        group: 'security',
        kind: 'tls-certificate',
        host: 'hwayo.com',
        port: 443,
        minValidDays: 14,
      },
      { name: 'waf-rules', group: 'security', kind: 'waf', webAclName: 'hwayo-prod-waf', scope: 'REGIONAL' },
      {
        name: 'security-groups',
        group: 'security',
        kind: 'security-groups',
        tag: { key: 'app', value: 'hwayo' },
        allowedPorts: [80, 443],
      },
      { name: 'security-evidence', group: 'security', kind: 'security-evidence' },
      { name: 'cluster-policies', group: 'security', kind: 'cluster-policies' },
      { name: 'mesh-mtls', group: 'security', kind: 'mesh-mtls' },
      { name: 'monitoring-health', group: 'monitoring', kind: 'http', url: 'http://monitoring.internal/health' },
      { name: 'prometheus-targets-up', group: 'monitoring', kind: 'prometheus-targets' },
      // SEED 7 and 11: 99.9% a month (730 h: 43.8 min of budget); no release while the budget is spent.
      { name: 'error-budget', group: 'monitoring', kind: 'error-budget', target: 99.9, window: '730h' },
      {
        name: 'log-cluster-green',
        group: 'monitoring',
        kind: 'elasticsearch',
        url: 'http://elasticsearch.internal:9200',
      },
    ],
  },
  green: { readyTimeout: '600s' },
  traffic: {
    provider: 'istio',
    name: 'hwayo-canary',
    // Not blue's namespace: blue is deleted after the retention window, and the route must outlive it.
    namespace: 'hwayo-gateway',
    host: 'hwayo.com',
    canaryHeader: { name: 'canary', value: 'true' },
    // {{namespace}} is each side's namespace, so the route follows the pair as it alternates.
    blueDestination: 'api-gateway.{{namespace}}.svc.cluster.local',
    greenDestination: 'api-gateway.{{namespace}}.svc.cluster.local',
    port: 80,
    // In the route's namespace ({{namespace}} here): the page must outlive both blue and green.
    maintenanceDestination: 'maintenance-page.{{namespace}}.svc.cluster.local',
    entryService: 'api-gateway',
  },
  canary: {
    steps: [
      { weight: 5, watch: '15m' },
      { weight: 25, watch: '30m' },
      { weight: 50, watch: '30m' },
    ],
    analysisInterval: '1m',
    inconclusiveLimit: 3,
    onInconclusive: 'pause',
    healthCheckFailureLimit: 3,
    maxPause: '1h',
  },
  fullSwitch: { watch: '10m' },
  // The seed's PromQL averages over all traffic; these are scoped to the side being measured
  // ({{namespace}} = green for the canary) so a sick canary at 5% is not diluted by healthy blue.
  metrics: [
    {
      name: 'error_rate',
      unit: '%',
      query: errorRate,
      healthy: { max: 1 },
      rollback: { above: 5 },
    },
    {
      name: 'p95_latency',
      unit: 's',
      query: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${ns}}[5m])))`,
      healthy: { max: 2 },
      rollback: { above: 5 },
    },
    {
      name: 'cpu',
      unit: '%',
      query: `avg(rate(container_cpu_usage_seconds_total{${ns}}[5m])) * 100`,
      healthy: { max: 80 },
      rollback: { above: 95 },
    },
    {
      name: 'memory',
      unit: '%',
      query: `avg(container_memory_usage_bytes{${ns}} / container_spec_memory_limit_bytes{${ns}}) * 100`,
      healthy: { max: 85 },
      rollback: { above: 95 },
    },
    {
      name: 'login_success',
      unit: '%',
      query: `sum(rate(user_login_success_total{${ns}}[5m])) / sum(rate(user_login_attempts_total{${ns}}[5m])) * 100`,
      healthy: { min: 95 },
      rollback: { below: 90 },
    },
    {
      name: 'data_submission_success',
      unit: '%',
      query: `sum(rate(data_submission_success_total{${ns}}[5m])) / sum(rate(data_submission_attempts_total{${ns}}[5m])) * 100`,
      rollback: { below: 95 },
    },
    {
      name: 'report_generation_success',
      unit: '%',
      query: `sum(rate(report_generation_success_total{${ns}}[5m])) / sum(rate(report_generation_attempts_total{${ns}}[5m])) * 100`,
      rollback: { below: 98 },
    },
    {
      name: 'api_availability',
      unit: '%',
      query: `avg(avg_over_time(up{${ns}}[5m])) * 100`,
      rollback: { below: 99 },
    },
    // SEED section 11's baselines: each API's p95 under its bound, and the SLA's error rate once green
    // takes all traffic (at a 5% canary the section 5.2 bound of 1% is the one that applies).
    { name: 'login_p95', unit: 's', query: endpointP95('/auth/login'), healthy: { max: 0.5 } },
    { name: 'data_records_p95', unit: 's', query: endpointP95('/api/v1/records'), healthy: { max: 1 } },
    { name: 'report_generation_p95', unit: 's', query: endpointP95('/report/generate'), healthy: { max: 30 } },
    {
      name: 'error_rate_sla',
      unit: '%',
      query: errorRate,
      healthy: { max: 0.1 },
      stages: ['full-switch'],
    },
  ],
  retention: { blueKeep: '24h' },
  rollback: { blueReadyTimeout: '2m' },
  database: {
    instance: 'hwayo-prod-db',
    backupSnapshot: 'hwayo-prod-db-backup-latest',
    restoredInstance: 'hwayo-prod-db-restored',
    snapshotPrefix: 'emergency-snapshot',
    snapshotTimeout: '1h',
    restoreTimeout: '2h',
    connectionSecret: { name: 'hwayo-database', key: 'DATABASE_HOST' },
  },
  notifications: {
    slackChannels: { critical: '#hwayo-critical', warning: '#hwayo-alerts', info: '#hwayo-releases' },
    email: 'oncall@hwayo.com',
    pagerduty: true,
  },
  artifactsBucket: 'hwayo-release-artifacts',
  // SEED section 9 "After": each API users depend on answers through the gateway after the full switch.
  smoke: {
    url: 'https://hwayo.com',
    endpoints: [
      { name: 'login', method: 'POST', path: '/auth/login', expectStatus: 200 },
      { name: 'data-submission', method: 'POST', path: '/api/v1/records', expectStatus: 200 },
      { name: 'report-generation', method: 'POST', path: '/report/generate', expectStatus: 200 },
      { name: 'notifications', method: 'GET', path: '/api/v1/notifications', expectStatus: 200 },
      { name: 'customer-portal', method: 'GET', path: '/portal', expectStatus: 200 },
      { name: 'audit-log', method: 'GET', path: '/api/v1/audit-log', expectStatus: 200 },
    ],
  },
};
