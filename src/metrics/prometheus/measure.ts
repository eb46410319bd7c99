// Prometheus, the measuring half: instant queries. A reading is a number or an inconclusive reason, never a guess:
// empty result, NaN, HTTP error and timeout each come back as their own reason.
import { inconclusive, type MetricProviderFactory } from '../measure';
import type { MetricReading } from '../reading';

interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}
interface PromResponse {
  status: 'success' | 'error';
  error?: string;
  errorType?: string;
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

const seriesLabel = (metric: Record<string, string>) =>
  `{${Object.entries(metric)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

/** Turns one /api/v1/query answer into a reading. Exported for the unit tests of the edge cases. */
export function readingFromResponse(name: string, status: number, text: string): MetricReading {
  let body: PromResponse | undefined;
  try {
    body = JSON.parse(text) as PromResponse;
  } catch {
    body = undefined;
  }
  if (status < 200 || status >= 300 || !body || body.status !== 'success' || !body.data) {
    const why = body?.error ? `${body.errorType ?? 'error'}: ${body.error}` : text.slice(0, 200);
    return inconclusive(name, 'http-error', `Prometheus answered HTTP ${status}: ${why}`);
  }
  const { resultType, result } = body.data;
  let raw: string;
  if (resultType === 'scalar') raw = (result as [number, string])[1];
  else if (resultType === 'vector') {
    const samples = result as PromSample[];
    if (samples.length === 0)
      return inconclusive(name, 'empty-result', 'the query matched no series (no data yet, or a wrong label?)');
    if (samples.length > 1) {
      const shown = samples
        .slice(0, 3)
        .map((s) => seriesLabel(s.metric))
        .join(', ');
      return inconclusive(
        name,
        'multiple-series',
        `the query returned ${samples.length} series (${shown}); aggregate it to one`,
      );
    }
    raw = samples[0].value[1];
  } else {
    return inconclusive(name, 'not-a-number', `the query returned a ${resultType}, not an instant value`);
  }
  const value = Number(raw);
  if (!Number.isFinite(value))
    return inconclusive(name, 'not-a-number', `the query evaluated to ${raw} (a division by zero: no traffic?)`);
  return { name, value };
}

export const measure: MetricProviderFactory<'prometheus'> = ({ prometheus, http }) => {
  const { url, timeoutMs } = prometheus;
  return {
    describe: (q) => q.promql,
    async measure(q) {
      const endpoint = `${url.replace(/\/$/, '')}/api/v1/query`;
      const res = await http(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          query: q.promql,
          timeout: `${Math.max(1, Math.floor(timeoutMs / 1000))}s`,
        }).toString(),
        timeoutMs,
      });
      if ('failure' in res) return inconclusive(q.name, res.failure, `Prometheus at ${url}: ${res.message}`);
      return readingFromResponse(q.name, res.status, res.text);
    },
  };
};
