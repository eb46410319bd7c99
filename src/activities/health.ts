// Health and preflight checks: service health endpoints, PostgreSQL, Redis, TLS, HTTP endpoints,
// Elasticsearch, Prometheus targets, security evidence reports. Failed checks are results, not throws.
import { awsClients } from './aws/clients';
import { checkS3Bucket, checkSecurityGroups, checkWaf } from './aws/checks';
import type { ActivityConfig } from './config';
import type { CheckResult, RunCheckInput, ServiceHealthInput, ServiceHealthResult } from './contract';
import { checkPostgres, checkRedis } from './datastores';
import { nonRetryable } from './errors';
import { commitOfTag } from './evidence';
import { checkSecurityEvidence } from './evidence-check';
import { httpRequest, NetworkFailure } from './http';
import { lazyKubeClients } from './kubernetes/client';
import { deployedImages } from './kubernetes/workloads';
import { createKubernetesActivities } from './kubernetes';
import { checkReleaseBaseline } from './traffic/baseline';
import { checkTlsCertificate } from './tls-check';

const HTTP_TIMEOUT_MS = 5_000;

/** GET `url` and judge the answer; a network failure is a failed check (the endpoint is what we check). */
async function probe(name: string, label: string, url: string, judge: (status: number, text: string) => Omit<CheckResult, 'name'>): Promise<CheckResult> {
  const started = Date.now();
  try {
    const res = await httpRequest(url, { method: 'GET', timeoutMs: HTTP_TIMEOUT_MS });
    const verdict = judge(res.status, res.text);
    return { name, ...verdict, data: { ...verdict.data, status: res.status, latencyMs: Date.now() - started } };
  } catch (err) {
    if (err instanceof NetworkFailure) return { name, ok: false, detail: `${label} (${url}): ${err.message}`, data: { reachable: false } };
    throw err;
  }
}

const expect200 = (label: string) => (status: number) =>
  status === 200 ? { ok: true, detail: `${label} answered 200` } : { ok: false, detail: `${label} answered HTTP ${status}, expected 200` };

function elasticsearchVerdict(status: number, text: string) {
  if (status !== 200) return { ok: false, detail: `Elasticsearch /_cluster/health answered HTTP ${status}` };
  let health: { status?: string; cluster_name?: string; unassigned_shards?: number };
  try { health = JSON.parse(text) as typeof health; } catch { return { ok: false, detail: 'Elasticsearch /_cluster/health did not answer JSON' }; }
  const cluster = health.cluster_name ?? 'cluster';
  return health.status === 'green'
    ? { ok: true, detail: `Elasticsearch ${cluster} is green` }
    : { ok: false, detail: `Elasticsearch ${cluster} is ${health.status ?? 'of unknown status'}, expected green${health.unassigned_shards ? ` (${health.unassigned_shards} unassigned shards)` : ''}` };
}

export function renderHealthUrl(template: string, service: string, namespace: string, path: string): string {
  return template.replace(/\{\{service\}\}/g, service).replace(/\{\{namespace\}\}/g, namespace).replace(/\{\{path\}\}/g, path);
}

export function createHealthActivities(config: ActivityConfig) {
  const aws = awsClients(config);
  const kube = lazyKubeClients(config.kubernetes);

  /** Every target Prometheus scrapes must be up == 1 (SEED 3.2 "every service up=1"). */
  async function prometheusTargets(name: string): Promise<CheckResult> {
    const url = `${config.prometheus.url.replace(/\/$/, '')}/api/v1/query?query=up`;
    return probe(name, `Prometheus at ${config.prometheus.url}`, url, (status, text) => {
      if (status !== 200) return { ok: false, detail: `Prometheus answered HTTP ${status} to the up query` };
      let series: { metric: Record<string, string>; value: [number, string] }[];
      try { series = (JSON.parse(text) as { data?: { result?: typeof series } }).data?.result ?? []; } catch { return { ok: false, detail: 'Prometheus did not answer JSON to the up query' }; }
      if (series.length === 0) return { ok: false, detail: 'Prometheus has no scrape targets (up is empty)' };
      const down = series.filter((s) => s.value[1] !== '1').map((s) => `${s.metric.job}/${s.metric.instance}${s.metric.namespace ? ` (${s.metric.namespace})` : ''}`);
      return down.length
        ? { ok: false, detail: `${down.length} of ${series.length} targets down: ${down.join(', ')}`, data: { targets: series.length, down: down.length } }
        : { ok: true, detail: `all ${series.length} targets up`, data: { targets: series.length, down: 0 } };
    });
  }

  /** The reports must name what this release deploys: blue's containers on the new tag, its commit, its app. */
  async function securityEvidence(name: string, input: RunCheckInput): Promise<CheckResult> {
    const { app, version, imageTag, services, blueNamespace } = input.context;
    if (!app || !version || !imageTag || !services) throw nonRetryable('InvalidInput', 'the security-evidence check needs the app, version, image tag and services in its context');
    const images = await deployedImages(kube(), blueNamespace, services, imageTag);
    return checkSecurityEvidence(name, input.evidence, {
      config: config.evidence, release: { app, version }, aws,
      artifact: { images, commit: commitOfTag(imageTag), projectKey: app },
    });
  }

  async function runCheck(input: RunCheckInput): Promise<CheckResult> {
    const { check } = input;
    switch (check.kind) {
      case 'kubernetes-nodes': return createKubernetesActivities(config).checkKubernetesNodes();
      case 'cluster-policies': return createKubernetesActivities(config).checkClusterPolicies({ namespace: check.namespace ?? input.context.blueNamespace });
      case 'release-baseline': {
        const { route, services, blueNamespace, greenNamespace } = input.context;
        if (!route || !services) throw nonRetryable('InvalidInput', 'the release-baseline check needs the route and services in its context');
        return checkReleaseBaseline(kube(), { name: check.name, route, services, blueNamespace, greenNamespace });
      }
      case 'postgres': return checkPostgres(check.name, config.postgres.connectionString);
      case 'redis': return checkRedis(check.name, config.redis.url);
      case 's3-bucket': return checkS3Bucket(aws, check);
      case 'waf': return checkWaf(aws, check);
      case 'security-groups': return checkSecurityGroups(aws, check);
      case 'tls-certificate': {
        const facts = await checkTlsCertificate({ host: check.host, port: check.port, minValidDays: check.minValidDays, caFile: config.tlsCaFile, timeoutMs: HTTP_TIMEOUT_MS });
        return { name: check.name, ...facts };
      }
      case 'http': return probe(check.name, check.url, check.url, expect200(check.url));
      case 'elasticsearch': return probe(check.name, 'Elasticsearch', `${check.url.replace(/\/$/, '')}/_cluster/health`, elasticsearchVerdict);
      case 'prometheus-targets': return prometheusTargets(check.name);
      case 'security-evidence': return securityEvidence(check.name, input);
      default: {
        const unknown: never = check;
        throw nonRetryable('InvalidInput', `unknown preflight check kind ${(unknown as { kind: string }).kind}`);
      }
    }
  }

  return {
    /** Runs one preflight check of the plan, dispatching on its kind. */
    runCheck,

    async checkServiceHealth(input: ServiceHealthInput): Promise<ServiceHealthResult> {
      if (!input.services.length) throw nonRetryable('InvalidInput', 'no services to check');
      const checks = await Promise.all(input.services.map((s) => {
        const url = renderHealthUrl(input.healthUrlTemplate, s.name, input.namespace, s.healthPath);
        return probe(`${s.name}-health`, `${s.name} in ${input.namespace}`, url, expect200(`${s.name} in ${input.namespace} (${s.healthPath})`));
      }));
      if (input.includeDataStores) {
        checks.push(await checkPostgres('database-select-1', config.postgres.connectionString));
        checks.push(await checkRedis('redis-ping', config.redis.url));
      }
      return { healthy: checks.every((c) => c.ok), checks };
    },
  };
}
