// Prometheus scrapes its targets, and every one is up.
import type { CheckRunner } from './check';
import { probe } from './probe';

/** SEED 3.2 "every service up=1": every target Prometheus scrapes must be up == 1. */
export const prometheusTargets: CheckRunner<'prometheus-targets'> = async ({ name, jobs }, { config }) => {
  const url = `${config.prometheus.url.replace(/\/$/, '')}/api/v1/query?query=up`;
  return probe(name, `Prometheus at ${config.prometheus.url}`, url, (status, text) => {
    if (status !== 200) return { ok: false, detail: `Prometheus answered HTTP ${status} to the up query` };
    let series: { metric: Record<string, string>; value: [number, string] }[];
    try {
      series = (JSON.parse(text) as { data?: { result?: typeof series } }).data?.result ?? [];
    } catch {
      return { ok: false, detail: 'Prometheus did not answer JSON to the up query' };
    }
    // A plan may name the jobs that are its services; other jobs (a gateway, pods of other apps) do not count.
    if (jobs) series = series.filter((s) => jobs.includes(s.metric.job));
    const of = jobs ? ` of job ${jobs.join(', ')}` : '';
    if (series.length === 0) return { ok: false, detail: `Prometheus has no scrape targets${of} (up is empty)` };
    const down = series
      .filter((s) => s.value[1] !== '1')
      .map((s) => `${s.metric.job}/${s.metric.instance}${s.metric.namespace ? ` (${s.metric.namespace})` : ''}`);
    return down.length
      ? {
          ok: false,
          detail: `${down.length} of ${series.length} targets${of} down: ${down.join(', ')}`,
          data: { targets: series.length, down: down.length },
        }
      : { ok: true, detail: `all ${series.length} targets${of} up`, data: { targets: series.length, down: 0 } };
  });
};
