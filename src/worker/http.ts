// The worker's one HTTP port: /metrics (Prometheus), /healthz (the process answers), /readyz (the
// worker polls its task queue and the Temporal frontend answers).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Readiness {
  ready(): Promise<{ ready: boolean; detail: string }>;
}

export function createWorkerHttpServer(registry: Registry, readiness: Readiness): Server {
  return createServer((req, res): void => {
    const path = new URL(req.url ?? '/', 'http://worker').pathname;
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') =>
      res.writeHead(status, { 'Content-Type': type }).end(body);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply(405, 'use GET\n');
      return;
    }
    if (path === '/healthz') {
      reply(200, 'ok\n');
      return;
    }
    if (path === '/readyz') {
      readiness.ready().then(
        (r) => reply(r.ready ? 200 : 503, `${r.detail}\n`),
        (err: unknown) => reply(503, `${err instanceof Error ? err.message : String(err)}\n`),
      );
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => reply(200, text, registry.contentType),
        (err: unknown) => reply(500, String(err)),
      );
      return;
    }
    reply(404, 'not found: /metrics, /healthz, /readyz\n');
  });
}

export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
