// Health and preflight checks: service health endpoints, PostgreSQL, Redis, TLS, HTTP endpoints,
// Elasticsearch, Prometheus targets, security evidence reports. Failed checks are results, not throws.
import type { ActivityConfig } from './config';
import type { CheckResult, RunCheckInput, ServiceHealthInput, ServiceHealthResult } from './contract';
import { notImplemented } from './errors';

export function createHealthActivities(_config: ActivityConfig) {
  return {
    /** Runs one preflight check of the plan, dispatching on its kind. */
    async runCheck(_input: RunCheckInput): Promise<CheckResult> { return notImplemented('runCheck'); },
    async checkServiceHealth(_input: ServiceHealthInput): Promise<ServiceHealthResult> { return notImplemented('checkServiceHealth'); },
  };
}
