// The data plane's stand-in pod (test/fixtures/dataplane/app.ts) behind the gateway: Traefik reuses idle
// connections to a backend for up to 90 s, so a pod that closed them after Node's default 5 s raced the
// gateway's reuse and lost users' requests on a healthy blue (the sick e2e saw 499/502 on blue while
// green's pods started). The pod keeps an idle connection past those 5 s and past the gateway's 90 s.
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createStandIn, KEEP_ALIVE_MS } from '../fixtures/dataplane/app';

test('a stand-in keeps an idle connection open past 5 s, and longer than the gateway keeps it (90 s)', async () => {
  const { server } = createStandIn({
    namespace: 'hwayo-production',
    pod: 'api-gateway-1',
    image: 'registry.local/hwayo-api-gateway:1.0.0',
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  // One socket: the second request reuses it only if the pod did not close it while idle.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const post = () =>
    new Promise<{ status?: number; reused: boolean }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/v1/items', method: 'POST', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, reused: req.reusedSocket }));
      });
      req.on('error', reject);
      req.end();
    });
  try {
    expect(await post()).toEqual({ status: 200, reused: false });
    await new Promise((r) => setTimeout(r, 6000));
    expect(await post()).toEqual({ status: 200, reused: true });
    expect(server.keepAliveTimeout).toBe(KEEP_ALIVE_MS);
    expect(KEEP_ALIVE_MS).toBeGreaterThan(90_000);
  } finally {
    agent.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}, 20_000);
