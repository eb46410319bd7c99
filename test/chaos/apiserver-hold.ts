// A TCP proxy between the worker and the kube-apiserver that can hold the apiserver's answers back. The worker
// writes the route through it; holding the answers lets a scenario see a write committed at the apiserver
// (read by the test's own admin client, not through the proxy) while the worker still waits for the answer,
// and kill the worker there: the side effect done, the activity not completed.
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { parse as parseYaml, stringify } from 'yaml';

/** pass: bytes flow; delay: each answer chunk is forwarded `delayMs` late; freeze: answers are dropped. */
export type HoldMode = 'pass' | 'delay' | 'freeze';

export interface ApiserverHold {
  /** host:port of the proxy on 127.0.0.1. */
  address: string;
  setMode(mode: HoldMode): void;
  /** Drops every proxied connection and lets bytes flow again (the next worker connects afresh). */
  reset(): void;
  close(): Promise<void>;
}

export async function apiserverHold(target: { host: string; port: number }, delayMs: number): Promise<ApiserverHold> {
  let mode: HoldMode = 'pass';
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (d) => upstream.write(d));
    // The answer and its end (a `Connection: close` answer ends the socket) keep their order: both go the same way.
    const toClient = (send: () => void) => {
      if (mode === 'pass') return send();
      if (mode === 'freeze') return;
      // Same delay for everything: timers of equal length fire in order, so the stream stays intact.
      setTimeout(() => {
        if (mode !== 'freeze' && !client.destroyed) send();
      }, delayMs);
    };
    upstream.on('data', (d) => toClient(() => client.write(d)));
    let ended = false;
    upstream.on('end', () => {
      ended = true;
      toClient(() => client.end());
    });
    // Reset rather than ended (an error): the client is cut off the same way, after what came before.
    upstream.on('close', () => ended || toClient(() => client.destroy()));
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    setMode: (m) => void (mode = m),
    reset: () => {
      mode = 'pass';
      for (const s of sockets) s.destroy();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** The apiserver a kubeconfig names (its first cluster), as host and port. */
export function kubeconfigTarget(file: string): { host: string; port: number } {
  const url = new URL(clusterOf(parseYaml(readFileSync(file, 'utf8'))).server as string);
  return { host: url.hostname, port: Number(url.port || 443) };
}

/**
 * A copy of kubeconfig `from` at `to` whose server is `address` (same scheme, CA and credentials). The
 * apiserver's certificate names the loopback address, whatever the port.
 */
export function kubeconfigVia(from: string, to: string, address: string): string {
  const doc = parseYaml(readFileSync(from, 'utf8')) as Record<string, unknown>;
  const cluster = clusterOf(doc);
  const url = new URL(cluster.server as string);
  if (url.hostname !== '127.0.0.1') throw new Error(`${from}: the apiserver is ${url.hostname}, not 127.0.0.1`);
  url.host = address;
  cluster.server = url.toString().replace(/\/$/, '');
  writeFileSync(to, stringify(doc), { mode: 0o600 });
  return to;
}

function clusterOf(doc: unknown): Record<string, unknown> {
  const clusters = (doc as { clusters?: { cluster: Record<string, unknown> }[] }).clusters ?? [];
  if (clusters.length !== 1) throw new Error(`expected one cluster in the kubeconfig, found ${clusters.length}`);
  return clusters[0].cluster;
}
