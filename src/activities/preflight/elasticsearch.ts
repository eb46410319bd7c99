// Elasticsearch's /_cluster/health is green.
import type { CheckRunner } from './check';
import { probe } from './probe';

function elasticsearchVerdict(status: number, text: string) {
  if (status !== 200) return { ok: false, detail: `Elasticsearch /_cluster/health answered HTTP ${status}` };
  let health: { status?: string; cluster_name?: string; unassigned_shards?: number };
  try {
    health = JSON.parse(text) as typeof health;
  } catch {
    return { ok: false, detail: 'Elasticsearch /_cluster/health did not answer JSON' };
  }
  const cluster = health.cluster_name ?? 'cluster';
  return health.status === 'green'
    ? { ok: true, detail: `Elasticsearch ${cluster} is green` }
    : {
        ok: false,
        detail: `Elasticsearch ${cluster} is ${health.status ?? 'of unknown status'}, expected green${health.unassigned_shards ? ` (${health.unassigned_shards} unassigned shards)` : ''}`,
      };
}

export const elasticsearch: CheckRunner<'elasticsearch'> = (check) =>
  probe(check.name, 'Elasticsearch', `${check.url.replace(/\/$/, '')}/_cluster/health`, elasticsearchVerdict);
