// The health of a side: every service's health endpoint answers 200 (and, when asked, PostgreSQL
// `SELECT 1` and Redis `PING`). Failed checks are results, not throws. Preflight checks: ./preflight/.
import type { ActivityConfig } from './config';
import type { ServiceHealthInput, ServiceHealthResult } from './contract';
import { checkPostgres, checkRedis } from './datastores';
import { nonRetryable } from './errors';
import { expect200, probe } from './preflight/probe';

export function renderHealthUrl(template: string, service: string, namespace: string, path: string): string {
  return template
    .replace(/\{\{service\}\}/g, service)
    .replace(/\{\{namespace\}\}/g, namespace)
    .replace(/\{\{path\}\}/g, path);
}

export function createHealthActivities(config: ActivityConfig) {
  return {
    async checkServiceHealth(input: ServiceHealthInput): Promise<ServiceHealthResult> {
      if (!input.services.length) throw nonRetryable('InvalidInput', 'no services to check');
      const checks = await Promise.all(
        input.services.map((s) => {
          const url = renderHealthUrl(input.healthUrlTemplate, s.name, input.namespace, s.healthPath);
          return probe(
            `${s.name}-health`,
            `${s.name} in ${input.namespace}`,
            url,
            expect200(`${s.name} in ${input.namespace} (${s.healthPath})`),
          );
        }),
      );
      if (input.includeDataStores) {
        checks.push(await checkPostgres('database-select-1', config.postgres.connectionString));
        checks.push(await checkRedis('redis-ping', config.redis.url));
      }
      return { healthy: checks.every((c) => c.ok), checks };
    },
  };
}
