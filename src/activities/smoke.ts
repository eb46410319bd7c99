// The smoke stage's calls (SEED section 9 "After"): each endpoint the plan lists, through the gateway,
// with the status it must answer. A wrong status or no answer is a result, not a throw: the workflow
// decides, and the report lists every endpoint.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { SmokeSpec } from '../plan/types';
import { NetworkFailure, toNetworkFailure } from './http';

export interface SmokeResult {
  name: string;
  method: string;
  path: string;
  expectStatus: number;
  /** The status answered; absent when nothing answered. */
  status?: number;
  ok: boolean;
  ms: number;
  detail: string;
}

const TIMEOUT_MS = 10_000;

/**
 * One call, answering its status. node:http rather than fetch: fetch drops a Host header, and a gateway
 * reached by address routes on it (TLS then names the host too).
 */
function statusOf(url: URL, method: string, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const body = method === 'POST' ? '{}' : undefined;
    const req = send(
      url,
      {
        method,
        headers: { ...(host ? { host } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(host && url.protocol === 'https:' ? { servername: host } : {}),
        timeout: TIMEOUT_MS,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', (e) => reject(toNetworkFailure(e, TIMEOUT_MS)));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })));
    req.on('error', (e) => reject(toNetworkFailure(e, TIMEOUT_MS)));
    req.end(body);
  });
}

export function createSmokeActivities() {
  return {
    async smokeTest(input: { smoke: SmokeSpec }): Promise<SmokeResult[]> {
      const { url, hostHeader, endpoints } = input.smoke;
      const base = url.replace(/\/+$/, '');
      // One at a time: a smoke test checks answers, it does not load the gateway.
      const results: SmokeResult[] = [];
      for (const e of endpoints) {
        const started = Date.now();
        const where = `${e.method} ${e.path}`;
        try {
          const status = await statusOf(new URL(`${base}${e.path}`), e.method, hostHeader);
          const ok = status === e.expectStatus;
          results.push({
            ...e,
            status,
            ok,
            ms: Date.now() - started,
            detail: `${where} answered ${status}${ok ? '' : `, expected ${e.expectStatus}`}`,
          });
        } catch (err) {
          if (!(err instanceof NetworkFailure)) throw err;
          results.push({ ...e, ok: false, ms: Date.now() - started, detail: `${where}: ${err.message}` });
        }
      }
      return results;
    },
  };
}
