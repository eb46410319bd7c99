// An HTTP GET judged by a check: a network failure is a failed check (the endpoint is what we check).
import type { CheckResult } from '../contract';
import { httpRequest, NetworkFailure } from '../http';

export const HTTP_TIMEOUT_MS = 5_000;

export async function probe(
  name: string,
  label: string,
  url: string,
  judge: (status: number, text: string) => Omit<CheckResult, 'name'>,
): Promise<CheckResult> {
  const started = Date.now();
  try {
    const res = await httpRequest(url, { method: 'GET', timeoutMs: HTTP_TIMEOUT_MS });
    const verdict = judge(res.status, res.text);
    return { name, ...verdict, data: { ...verdict.data, status: res.status, latencyMs: Date.now() - started } };
  } catch (err) {
    if (err instanceof NetworkFailure)
      return { name, ok: false, detail: `${label} (${url}): ${err.message}`, data: { reachable: false } };
    throw err;
  }
}

export const expect200 = (label: string) => (status: number) =>
  status === 200
    ? { ok: true, detail: `${label} answered 200` }
    : { ok: false, detail: `${label} answered HTTP ${status}, expected 200` };
