// The pod runner's readiness probe (test/fixtures/dataplane/readiness.ts): which probe a pod declares,
// and that an attempt passes only against a process that accepts connections (HTTP: answers 200-399).
import { createServer, type Server } from 'node:http';
import type { V1Pod } from '@kubernetes/client-node';
import { behaviourOf } from '../fixtures/dataplane/app';
import { probeOf, probeOnce } from '../fixtures/dataplane/readiness';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('../integration/native-esm')>('../integration/native-esm').kubernetesClient(),
);

const pod = (readinessProbe?: object): V1Pod => ({
  spec: { containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: 3000 }], readinessProbe }] },
});

test('probeOf: httpGet (named port resolved), tcpSocket, an exec probe as a connection check, none', () => {
  expect(probeOf(pod({ httpGet: { path: '/health', port: 'http' }, timeoutSeconds: 2 }))).toEqual({
    kind: 'http',
    port: 3000,
    path: '/health',
    timeoutMs: 2000,
  });
  expect(probeOf(pod({ tcpSocket: { port: 3001 } }))).toMatchObject({ kind: 'tcp', port: 3001, timeoutMs: 1000 });
  expect(probeOf(pod({ exec: { command: ['true'] } }))).toMatchObject({ kind: 'tcp', port: 3000 });
  expect(probeOf(pod())).toBeUndefined();
});

test('behaviourOf: -slowstart-<ms> delays listening, and is not -slow-', () => {
  expect(behaviourOf('r/app:1.0.0-slowstart-4000')).toMatchObject({ startMs: 4000, latencyMs: 0 });
  expect(behaviourOf('r/app:1.0.0')).toMatchObject({ startMs: 0 });
});

describe('probeOnce', () => {
  let server: Server;
  let port = 0;
  let status = 200;
  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(status).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test('passes on a listening process, fails where nothing listens and on a 5xx answer', async () => {
    const http = { kind: 'http' as const, port, path: '/health', timeoutMs: 1000 };
    expect(await probeOnce('127.0.0.1', http)).toBe(true);
    expect(await probeOnce('127.0.0.1', { ...http, kind: 'tcp' })).toBe(true);
    status = 503;
    expect(await probeOnce('127.0.0.1', http)).toBe(false);
    const closed = new Promise((r) => server.close(r));
    server.closeAllConnections();
    await closed;
    expect(await probeOnce('127.0.0.1', http)).toBe(false);
    expect(await probeOnce('127.0.0.1', { ...http, kind: 'tcp' })).toBe(false);
    server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
});
